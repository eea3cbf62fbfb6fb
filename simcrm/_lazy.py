"""The one lazy-import helper of simcrm.

A module imported through :func:`lazy_import` is loaded on first attribute access.
It is used only where a measured start-up cost justifies it (each use says how
much), so ``simcrm --help`` and ``simcrm validate`` stay quick.  Everything else
is imported at the top of its module.  ``tests/test_architecture.py`` counts these
imports as edges of the import graph like any other.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    """Stands for a module until one of its attributes is used."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(self.module, attr)

    @property
    def module(self) -> ModuleType:
        """The module, imported now if it was not yet (``sys.modules`` caches it)."""
        return importlib.import_module(self._name)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_import(name: str) -> LazyModule:
    """The module ``name`` (absolute), imported on first attribute access."""
    return LazyModule(name)
