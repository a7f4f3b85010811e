"""Numbers and functions: float, carried (--carry) and exact arithmetic, expressions."""
