"""dlcalc: worked-example calculator for introductory deep-learning coursework.

From Python (a notebook)::

    import dlcalc
    s = dlcalc.solve("examples/mazur.yaml")      # or a dict with the problem file's keys
    s.result["layers"][0]["net"]

``solve``, ``check``, ``InvalidInput`` and ``WorkedSolution`` live in :mod:`dlcalc.api`,
imported when first used: ``import dlcalc`` stays light (no SymPy, Rich or Typer).
"""

import os
from typing import TYPE_CHECKING, Any

# dlcalc's matrices are tiny: one BLAS thread is faster, and starting OpenBLAS's thread pool
# costs ~60 ms of start-up.  Set before NumPy is first imported; a user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"

__all__ = ["InvalidInput", "WorkedSolution", "check", "solve"]

if TYPE_CHECKING:
    from dlcalc.api import InvalidInput, WorkedSolution, check, solve


def __getattr__(name: str) -> Any:
    """``dlcalc.solve`` and the rest of :mod:`dlcalc.api`, imported on first use."""
    if name in __all__:
        from dlcalc import api

        return getattr(api, name)
    raise AttributeError(f"module 'dlcalc' has no attribute {name!r}")
