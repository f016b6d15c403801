"""The groundedness evidence of one reviewed item: its claims that the detector did not find supported."""

from __future__ import annotations

from typing import TypedDict

from audits.store.catalog import Catalog

NOT_SUPPORTED = ("unsupported", "contradicted")


class UnsupportedClaim(TypedDict):
    """One claim the detector did not find supported: its text (redacted at rest), verdict, probability and
    the nearest context span's offsets (None when the finding recorded none)."""

    claim: str
    verdict: str               # unsupported | contradicted
    score: float
    span_start: int | None
    span_end: int | None


def unsupported_claims(cat: Catalog, run_id: str, task: str, sample_id: str) -> list[UnsupportedClaim]:
    """The item's unsupported / contradicted claims (text redacted at rest, verdict, probability,
    nearest context span offsets), in answer order; [] when the run has no groundedness findings."""
    from audits.store import bundle_reader

    if "findings" not in bundle_reader.available_tables(cat, run_id):
        return []
    frame = bundle_reader.read_table(cat, run_id, "findings", filters={"task": str(task), "sample_id": str(sample_id),
                                                                       "scanner": "groundedness"})
    if frame.empty or "entity_type" not in frame.columns:
        return []
    frame = frame[frame["entity_type"].isin(NOT_SUPPORTED)].sort_values("start", kind="stable")
    return [UnsupportedClaim(claim=r["context"], verdict=r["entity_type"], score=r["score"],
                             span_start=r.get("span_start"), span_end=r.get("span_end")) for r in frame.to_dict("records")]
