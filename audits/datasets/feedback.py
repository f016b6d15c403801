"""User feedback from a production log: one normalised column per sample.

``feedback`` is ``positive`` / ``negative`` / ``unknown`` (a value that is neither, counted and
never scored) or None (no feedback given, or a value listed under ``feedback.unrated``). Values match
the config's lists ignoring case and surrounding spaces ('Up' is 'up'); a log whose unknown rows
outnumber the rows it can score is refused in one line, since the rate would describe only the few
left. ``feedback_raw`` keeps the logged value, ``feedback_text`` the free text, and ``flag_negative_feedback`` makes negative feedback a
review-queue reason (``audits.review.queue.flag_masks`` reads ``flag_<reason>`` columns).
"""

from __future__ import annotations

from typing import Any, TypedDict

import pandas as pd

from audits.config import TaskConfig
from audits.errors import AssayError
from audits.jsontypes import JsonObject

POSITIVE, NEGATIVE, UNKNOWN, UNRATED = "positive", "negative", "unknown", "unrated"


def _text(value: Any) -> str | None:
    if value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value))):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _key(value: str) -> str:
    """A feedback value as matched against the config's lists: case and surrounding spaces ignored."""
    return value.strip().casefold()


def add_feedback(frame: pd.DataFrame, raw: pd.DataFrame, task: TaskConfig, source: str) -> None:
    """Add the feedback columns to ``frame`` (aligned with ``raw``) when the task declares ``feedback``."""
    fb = task.feedback
    if fb is None:
        return
    for what, col in (("feedback.field", fb.field), ("feedback.text", fb.text)):
        if col and col not in raw.columns:
            have = ", ".join(map(str, raw.columns[:12]))
            raise AssayError(f"task '{task.name}': {what} names column '{col}', which {source} does not have "
                             f"(columns: {have})", "fix the column name in the config")
    kind_of: dict[str, str] = {}
    for kind, listed in ((POSITIVE, fb.positive), (NEGATIVE, fb.negative), (UNRATED, fb.unrated)):
        for value in listed:
            if (first := kind_of.setdefault(_key(value), kind)) != kind:
                raise AssayError(f"task '{task.name}': feedback value {value!r} is listed as both {first} and {kind} "
                                 "(values match ignoring case)",
                                 "list each value under one of feedback.positive / feedback.negative / feedback.unrated")
    raw_values = [_text(v) for v in raw[fb.field].tolist()]
    kinds = [None if v is None else kind_of.get(_key(v), UNKNOWN) for v in raw_values]
    pos = sorted(fb.positive)
    others = sorted({v for v, k in zip(raw_values, kinds) if k in (UNKNOWN, NEGATIVE)})
    if others and not fb.negative:
        # no negative listed: every other value would be skipped as unknown and the rate could only be 100%
        shown = ", ".join(repr(shown_value(v)) for v in others[:5])
        raise AssayError(f"task '{task.name}': feedback.negative lists no value, so the {kinds.count(UNKNOWN)} "
                         f"rows whose feedback is not {pos} (e.g. {shown}) would all be skipped and "
                         "feedback_positive_rate could only read 100%",
                         "list the negative values under feedback.negative (e.g. negative: [down])")
    unknown, scored = kinds.count(UNKNOWN), kinds.count(POSITIVE) + kinds.count(NEGATIVE)
    if unknown > scored:
        # unknown values are skipped: were they the majority, the rate would describe the few rows left
        strange = sorted({v for v, k in zip(raw_values, kinds) if k == UNKNOWN})
        shown = ", ".join(repr(shown_value(v)) for v in strange[:5])
        raise AssayError(f"task '{task.name}': {unknown} of {len(kinds)} rows have feedback that is neither positive "
                         f"{pos} nor negative {sorted(fb.negative)} (e.g. {shown}), more than the {scored} rows it could "
                         "score, so feedback_positive_rate would describe only those",
                         "list those values under feedback.positive / feedback.negative, or under feedback.unrated "
                         "if they mean no feedback (e.g. unrated: [N/A])")
    frame["feedback_raw"] = raw_values
    frame["feedback"] = [None if k == UNRATED else k for k in kinds]
    if fb.text:
        frame["feedback_text"] = [_text(v) for v in raw[fb.text].tolist()]
    frame["flag_negative_feedback"] = (frame["feedback"] == NEGATIVE).to_numpy(dtype=bool)


WITHHELD = "(free text, not shown)"


def shown_value(value: str, personal: set[str] | None = None) -> str:
    """An unknown feedback value as results.json and the CLI may show it: a short label ('meh', 'thumbs_up')
    as it is; free text (long, or holding an '@' or a run of digits, as a phone number or an email does)
    or a value the run's PII detector finds personal data in (``personal``: a logged 'Derrick Jones')
    withheld, since the results are not redacted as the bundle's tables are."""
    import re

    label = len(value) <= 24 and "@" not in value and not re.search(r"\d{3}", value) and sum(map(str.isdigit, value)) < 5
    return value if label and value not in (personal or set()) else WITHHELD


def _personal(values: list[str], pii_options: JsonObject | None) -> set[str]:
    """Those of ``values`` in which the detector that redacts samples at rest (the run's PII settings)
    finds personal data."""
    from audits.trust.redact import Redactor

    if not values:
        return set()
    return {v for v, clean in zip(values, Redactor(pii_options)(values)) if clean != v}


class FeedbackCounts(TypedDict):
    """The task's ``feedback`` results block (``extra.feedback`` in results.json)."""

    positive: int
    negative: int
    unknown_skipped: int
    unknown_values: list[str]
    no_feedback: int
    scored: int


def feedback_counts(frame: pd.DataFrame, pii_options: JsonObject | None = None) -> FeedbackCounts | None:
    """Counts for the task's ``feedback`` results block: scored, positive, negative, unknown (skipped,
    with up to five of their values, free text and personal data withheld: ``pii_options`` are the run's
    PII settings, as redaction at rest uses them) and none; None when the task has no feedback column."""
    if "feedback" not in frame.columns:
        return None
    kinds = frame["feedback"]
    unknown = frame.loc[kinds == UNKNOWN, "feedback_raw"]
    distinct = sorted({str(v) for v in unknown})
    personal = _personal([v for v in distinct if shown_value(v) != WITHHELD], pii_options)
    return {"positive": int((kinds == POSITIVE).sum()), "negative": int((kinds == NEGATIVE).sum()),
            "unknown_skipped": int(len(unknown)),
            "unknown_values": sorted({shown_value(v, personal) for v in distinct})[:5],
            "no_feedback": int(kinds.isna().sum()), "scored": int(kinds.isin([POSITIVE, NEGATIVE]).sum())}
