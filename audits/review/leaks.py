"""The span that queued an item as a PII leak: its type and redacted context for every reviewer,
the raw value only for roles with `view_raw_pii` and only when the run kept raw text (``store_raw``)."""

from __future__ import annotations

from typing import TypedDict

from audits.store.catalog import Catalog
from audits.store.queries.reviews import plain


class LeakedSpan(TypedDict):
    """A leaked personal-data finding of one output, as the review page shows it."""

    entity_type: str | None
    field: str | None
    context: str | None      # redacted
    value: str | None        # raw, only for view_raw_pii roles when the run kept raw text


def queued_spans(cat: Catalog, run_id: str, task: str, sample_id: str, raw_allowed: bool = False
                 ) -> list[LeakedSpan]:
    """The leaked personal-data findings of one item's output: ``entity_type``, ``field``, the redacted
    ``context`` and ``value`` — the raw text only when ``raw_allowed`` (roles with `view_raw_pii`) and the
    run kept it encrypted (``store_raw``), else None (the reader sees the placeholder and its type)."""
    from audits.store import bundle_reader
    from audits.trust import rawstore

    if "findings" not in bundle_reader.available_tables(cat, run_id):
        return []
    raw = rawstore.read_raw(bundle_reader.bundle_dir(cat, run_id), run_id) if raw_allowed else None
    if raw is not None:  # raw cells are keyed by row: the whole table, then the item
        frame = rawstore.with_raw(bundle_reader.read_table(cat, run_id, "findings"), raw, "findings")
    else:
        frame = bundle_reader.read_table(cat, run_id, "findings", filters={"task": str(task), "sample_id": str(sample_id)})
    if frame.empty or not {"task", "sample_id"} <= set(frame.columns):
        return []
    mask = (frame["task"].astype(str) == str(task)) & (frame["sample_id"].astype(str) == str(sample_id))
    if "leak" in frame.columns:
        mask &= frame["leak"].fillna(False).astype(bool)
    rows = frame[mask]
    return [{"entity_type": plain(r.get("entity_type")), "field": plain(r.get("field")),
             "context": plain(r.get("context")), "value": plain(r.get("value")) if raw_allowed else None}
            for r in rows.to_dict("records")]
