"""Exports of a run bundle's evidence tables (samples, metrics, findings, ...)."""

from __future__ import annotations

from functools import partial

from audits.exports.base import EXPORTS
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q


def _read(table: str, cat: Catalog, run_id: str):
    runs_q.bundle_dir(cat, run_id)  # clear error for unknown or incomplete runs
    return runs_q.read_table(cat, run_id, table)


for _table in runs_q.BUNDLE_TABLES:
    EXPORTS.register(_table.replace("_", "-"))(partial(_read, _table))
