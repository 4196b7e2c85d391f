"""`python -m generator` runs the casebook command."""

from .cli import main

main()
