"""Casebook: typical-case library and operating-guide generator for petition offices."""

__version__ = "0.1.0"
