"""The Audit log page's read: the latest entries and what `assay verify` finds.

It lives in the dashboard (an entry point) because it calls :mod:`audits.trust.verify`, which sits
above the store: the store never calls back up into verify."""

from __future__ import annotations

import pandas as pd

from audits.store.catalog import Catalog
from audits.store.queries import audit_log
from audits.trust.verify import verify


def audit_log_entries(cat: Catalog, limit: int = 500) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The latest audit-log entries, `assay verify`'s problems (empty list = intact: the chain, its
    signed checkpoints, every bundle and every evidence table reconciled with the log) and its notes
    (e.g. this file is an OLDER COPY of its catalog), as `assay verify` prints them."""
    with cat.connect() as con:
        entries = audit_log.entries(con, limit=limit)
    report = verify(cat)
    return entries, report.problems, report.notes
