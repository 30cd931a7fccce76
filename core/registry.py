"""A tiny name → object registry, one per extension point (strategies, value functions, encoders, ...)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


def did_you_mean(word: str, choices: Iterable[str], prefix: str = "") -> str:
    """ " (did you mean 'x'?)" naming the closest of ``choices`` to a mistyped ``word`` (each shown after
    ``prefix``), "" when none is close."""
    by_lower = {c.lower(): c for c in choices}
    typed = word.lower()
    starts = [c for low, c in by_lower.items() if len(typed) >= 2 and low.startswith(typed)]
    similar = [by_lower[c] for c in difflib.get_close_matches(typed, list(by_lower), n=2, cutoff=0.6)]
    close = list(dict.fromkeys(starts + similar))[:2]
    return f" (did you mean {' or '.join(repr(prefix + c) for c in close)}?)" if close else ""


class UnknownNameError(KeyError):
    """Lookup of a name that nothing registered; the message lists what is available."""

    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Generic[T]):
    """Maps names to registered objects; ``register`` is usable as a decorator."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            hint = did_you_mean(name, self._items) if isinstance(name, str) else ""
            raise UnknownNameError(f"unknown {self.kind} {name!r}{hint}; available: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
