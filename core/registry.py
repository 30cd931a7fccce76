"""A tiny name → object registry, one per extension point (strategies, value functions, encoders, ...)."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar, overload

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
    """Maps names to registered objects. ``register`` is the one way in: ``@R.register`` on a class with a
    ``name``, ``R.register(obj)`` for a data object with a ``name``, ``@R.register(name="x")`` (or
    ``R.register(obj, name="x")``) for a function or class that has none. ``check``, when given, is called
    with each object before it is added and raises ``ValueError`` to refuse it."""

    def __init__(self, kind: str, check: Callable[[T], None] | None = None) -> None:
        self.kind = kind
        self._check = check
        self._items: dict[str, T] = {}

    @overload
    def register(self, obj: T, /, *, name: str | None = None) -> T: ...

    @overload
    def register(self, obj: None = None, /, *, name: str) -> Callable[[T], T]: ...

    def register(self, obj: T | None = None, /, *, name: str | None = None) -> T | Callable[[T], T]:
        """Add ``obj`` under ``name`` (default ``obj.name``) and return it; without ``obj``, a decorator."""
        if obj is None:
            if name is None:
                raise TypeError(f"{self.kind}: register() needs an object or a name")
            given = name
            return lambda item: self.register(item, name=given)
        key = name if name is not None else getattr(obj, "name", None)
        if not isinstance(key, str):
            raise TypeError(f"{self.kind} {obj!r}: has no str `name`; pass register(..., name=...)")
        if key in self._items:
            raise ValueError(f"{self.kind} {key!r} is registered twice")
        if self._check is not None:
            self._check(obj)
        self._items[key] = obj
        return obj

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            hint = did_you_mean(name, self._items) if isinstance(name, str) else ""
            raise UnknownNameError(f"unknown {self.kind} {name!r}{hint}; available: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def values(self) -> list[T]:
        """The registered objects, in name order."""
        return [self._items[name] for name in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def discover(package: str, path: Iterable[str], skip: Callable[[str], bool] = lambda name: False) -> None:
    """Import every module of ``package`` (its ``__path__`` is ``path``) whose name ``skip`` does not reject,
    so that each registers its extensions; call it at the end of the package's ``__init__``."""
    for module in pkgutil.iter_modules(path):
        if not skip(module.name):
            importlib.import_module(f"{package}.{module.name}")
