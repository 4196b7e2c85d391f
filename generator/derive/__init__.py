"""Pure functions from a library view to derived facts: deadlines, ledgers, statistics."""
