"""Trust: the installation's signing key, signed log checkpoints, and `assay verify`.

Public surface: ``keys`` (key directory, signing key, rotation, per-run keys), ``checkpoint``
(make/check/load/save signed checkpoints) and ``verify`` (the full check).
"""

from audits.trust import checkpoint, keys  # noqa: F401
