"""dlcalc: worked-example calculator for introductory deep-learning coursework."""

__version__ = "0.1.0"
