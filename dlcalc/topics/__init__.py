"""Computations: one module per topic, each returning a worked Solution."""
