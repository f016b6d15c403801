"""CLI subcommands: each module exposes ``register(subparsers, common)`` and sets ``func``.

Modules are discovered, so a new command is a new file. ``common`` is a parent parser that
carries the shared ``--catalog`` option; pass it as ``parents=[common]``.
"""

from __future__ import annotations

import importlib
import pkgutil

COMMAND_MODULES = [importlib.import_module(f"{__name__}.{info.name}")
                   for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
                   if not info.name.startswith("_")]
