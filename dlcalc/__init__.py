"""dlcalc: worked-example calculator for introductory deep-learning coursework."""

import os

# dlcalc's matrices are tiny: one BLAS thread is faster, and starting OpenBLAS's thread pool
# costs ~60 ms of start-up.  Set before NumPy is first imported; a user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
