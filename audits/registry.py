"""A tiny decorator registry shared by backends, metrics, scanners and exports."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

from audits.errors import AssayError

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> object, filled by ``@registry.register("name")``."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            if name in self._items:
                raise RuntimeError(f"{self.kind} {name!r} registered twice")
            self._items[name] = obj
            return obj
        return deco

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "(none)"
            raise AssayError(f"unknown {self.kind} {name!r}", f"use one of: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items


def import_submodules(package: str) -> None:
    """Import every module of a package so their ``@register`` decorators run (plugin discovery)."""
    import importlib
    import pkgutil

    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_") and info.name != "base":
            importlib.import_module(f"{package}.{info.name}")
