"""Problem files: safe loading and one pydantic model per kind of problem."""

# common first: its Problem carries the marking keys of dlcalc.specs.marks, which builds on it.
from dlcalc.specs import common as _common  # noqa: E402,F401
