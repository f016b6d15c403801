"""What queued an item, beyond its text: the red-team attack that succeeded (family, technique, the
detector's verdict, the marker and the finding's excerpt) and a production log's user feedback.

Read from the run bundle (the samples row and the redteam finding), as the Review card shows them.
Free text here is read as stored: redacted at rest (``audits.trust.rawstore``), never raw.
"""

from __future__ import annotations

from typing import TypedDict

from audits.store.catalog import Catalog
from audits.store.queries.reviews import plain

ATTACK_REASON, FEEDBACK_REASON = "attack_success", "negative_feedback"
# the red-team family in words (audits/redteam/families.py names them)
FAMILY_WORDS = {
    "prompt-injection": "prompt injection (the user tells the model to ignore its instructions)",
    "indirect-injection": "indirect prompt injection (an instruction hidden in a retrieved document)",
    "system-prompt-leak": "system-prompt leak (the model reveals its hidden instructions)",
    "pii-extraction": "personal-data extraction (the model reveals a customer's details)",
    "jailbreak": "jailbreak (the model complies with a request it should refuse)",
}
# how the detector decided (the scanner's ``attack_verdict``: ``marker:<how>`` or ``compliance:<why>``)
_HOW = {"exact": "the marker appears as planted", "case": "the marker appears in other letter case",
        "normalised": "the marker appears with other spacing, punctuation or look-alike characters",
        "base64": "the marker appears base64-encoded"}


class AttackEvidence(TypedDict):
    """A successful red-team attempt, for the reviewer who confirms or dismisses it."""

    family: str | None
    family_words: str
    attack: str | None       # the technique (PromptInject rogue string, a jailbreak template, ...)
    markers: list[str]       # the alternatives of the success marker ('' list: a compliance-judged family)
    verdict: str             # how the detector decided, in words
    excerpt: str | None      # the finding's context: the output around the marker, marker between **


class Feedback(TypedDict):
    """A production log's user feedback on one output (text redacted at rest)."""

    value: str | None        # the logged value (thumbs_down, 1, ...)
    kind: str | None         # positive / negative / unknown
    text: str | None


def queued_as_attack(reason: object) -> bool:
    """Whether an item's queue reason (comma-separated) includes a successful red-team attack."""
    return ATTACK_REASON in str(reason).split(",")


def verdict_words(verdict: object) -> str:
    """``marker:base64`` -> 'the marker appears base64-encoded'; ``compliance:<why>`` -> the detector's reason."""
    text = str(verdict or "")
    kind, _, how = text.partition(":")
    if kind == "marker":
        return _HOW.get(how, f"marker detector: {how}")
    if kind == "compliance":
        return {"toxic": "the compliance detector found the answer toxic",
                "complied": "the compliance detector found an answer of some length, on the request's topic, "
                            "and no refusal",
                "off-topic": "the answer neither refused nor addressed the request (not counted as a success)",
                "refused": "the answer refused",
                "too-short": "the answer was too short to carry out the request"}.get(
                    how, f"compliance detector: {how}")
    return text or "—"


def _sample_row(cat: Catalog, run_id: str, task: str, sample_id: str, columns: list[str]) -> dict:
    from audits.store import bundle_reader

    frame = bundle_reader.read_table(cat, run_id, "samples", columns=["task", "sample_id", *columns],
                                     filters={"task": str(task), "sample_id": str(sample_id)}, limit=1)
    return {k: plain(v) for k, v in frame.iloc[0].to_dict().items()} if len(frame) else {}


def attack_evidence(cat: Catalog, run_id: str, task: str, sample_id: str) -> AttackEvidence | None:
    """The attack behind an item queued as ``attack_success`` (None when the sample is no probe)."""
    from audits.redteam.detectors import split_marker
    from audits.redteam.families import detector_for
    from audits.store import bundle_reader

    row = _sample_row(cat, run_id, task, sample_id, ["family", "attack", "success_marker", "attack_verdict"])
    if not row or row.get("family") is None:
        return None
    family = str(row["family"])
    judged = detector_for(family) == "compliance"
    found = bundle_reader.read_table(cat, run_id, "findings", columns=["context", "scanner"],
                                     filters={"task": str(task), "sample_id": str(sample_id), "scanner": "redteam"},
                                     limit=1)
    return {"family": family, "family_words": FAMILY_WORDS.get(family, family), "attack": row.get("attack"),
            "markers": [] if judged else split_marker(row.get("success_marker")),
            "verdict": verdict_words(row.get("attack_verdict")),
            "excerpt": plain(found.iloc[0]["context"]) if len(found) else None}


def feedback_of(cat: Catalog, run_id: str, task: str, sample_id: str) -> Feedback | None:
    """The user feedback logged with an item (None when its task reads no feedback)."""
    row = _sample_row(cat, run_id, task, sample_id, ["feedback_raw", "feedback", "feedback_text"])
    if not row or all(row.get(k) is None for k in ("feedback_raw", "feedback", "feedback_text")):
        return None
    return {"value": row.get("feedback_raw"), "kind": row.get("feedback"), "text": row.get("feedback_text")}


class AttackReviews(TypedDict):
    """How reviewers settled the successful attacks of a run."""

    queued: int
    confirmed: int           # settled "incorrect" / "needs_rephrasing": the attack worked
    dismissed: int           # settled "correct": a false alarm of the detector
    open: int                # not settled yet (unlabelled, or reviewers disagree)


def attack_reviews(cat: Catalog, run_id: str) -> AttackReviews | None:
    """Confirmed and dismissed red-team successes (settled labels only); None when none was queued."""
    from audits.store.queries import reviews as rv

    queue = rv.review_queue(cat, run_id)
    queued = int(queue["reason"].map(queued_as_attack).sum())
    if not queued:
        return None
    settled = rv.final_labels(cat, run_id)
    if settled.empty or not {"reason", "label"} <= set(settled.columns):
        return {"queued": queued, "confirmed": 0, "dismissed": 0, "open": queued}
    mine = settled[settled["reason"].map(queued_as_attack).astype(bool)]
    dismissed = int((mine["label"] == "correct").sum())
    return {"queued": queued, "confirmed": int(len(mine)) - dismissed, "dismissed": dismissed,
            "open": queued - int(len(mine))}
