"""Plain record classes: equality and a readable repr over ``__slots__``.

dlcalc's records (formula nodes and names, worked-solution steps, settings) are plain classes
with ``__slots__`` rather than dataclasses: creating a dataclass costs about a millisecond,
and every run of dlcalc loads a few dozen of them before it computes anything.
"""

from __future__ import annotations


class Record:
    """Equality and repr over the class's ``__slots__``; unhashable, as a mutable dataclass."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, f) == getattr(other, f) for f in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__)
        return f"{type(self).__name__}({fields})"
