"""Office formats: Word documents in the GB/T 9704 layout and Excel ledgers."""
