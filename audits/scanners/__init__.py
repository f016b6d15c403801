"""Built-in scanners: every module in this package registers itself on import."""

from audits.registry import import_submodules as _import_submodules

_import_submodules(__name__)
