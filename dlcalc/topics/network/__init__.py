"""Forward pass and backpropagation through a layered network, worked step by step.

Three parts: :mod:`.engine` computes on NumPy arrays (passes, gradients, the one update
routine), :mod:`.recorder` writes the worked solution off the engine's passes as formula
trees, with every label and name from :mod:`.labels`, and :mod:`.solve` drives both for
the ``forward`` and ``backprop`` commands.
"""

from dlcalc.topics.network.engine import Network, Pass, run_pass
from dlcalc.topics.network.solve import solve_backprop, solve_forward

__all__ = ["Network", "Pass", "run_pass", "solve_backprop", "solve_forward"]
