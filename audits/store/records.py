"""The catalog's rows as the query layer returns them (``TypedDict``: plain dicts with a known shape).

Readers (policies, reports, the dashboard) annotate with these instead of an untyped dict; the
columns are those of ``audits/store/schema.py`` (timestamps come back as ``datetime``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from audits.stats._agreement import Agreement


class RunRecord(TypedDict, total=False):
    """A row of ``runs``: the run register (``queries.runs.get_run`` / ``list_runs``)."""

    run_id: str
    audit: str
    period: str
    status: str                 # running | complete | failed
    created_at: datetime
    finished_at: datetime | None
    bundle_path: str | None
    manifest_sha256: str | None
    config_sha256: str | None
    model: str | None
    device: str | None
    created_by: str | None
    error: str | None
    lease_host: str | None
    lease_pid: int | None
    heartbeat_at: datetime | None


class AttestationRecord(TypedDict, total=False):
    """A row of ``attestations`` (``queries.policies.list_attestations``)."""

    attestation_id: str
    run_id: str
    pack: str
    control_id: str
    username: str
    role: str
    status: str                 # attested | rejected
    note: str | None
    evidence_link: str | None
    evidence_sha256: str | None
    created_at: datetime


class SignoffRecord(TypedDict, total=False):
    """A row of ``signoffs`` (``queries.policies.list_signoffs``)."""

    signoff_id: str
    run_id: str
    username: str
    role: str
    decision: str               # approve | reject
    note: str | None
    created_at: datetime


class ReviewSummaryRecord(TypedDict):
    """``queries.reviews.review_summary``: how much of a run was reviewed, and how consistently."""

    n_queue: int
    n_reviewed: int
    n_samples: int
    coverage: float
    queue_coverage: float
    agreement: Agreement
    disagreements: int
    adjudicated: int
    reviewers: list[str]
    reviewers_per_item: int
    labels: dict[str, int]
    flags: dict[str, int]


class RunSettings(TypedDict):
    """What the review queue reads from a run's config (``queries.reviews.run_settings``)."""

    reviewers_per_item: int
    system_prompt: str | None


class SampleDetail(TypedDict):
    """The sample behind a review-queue item (``queries.reviews.item_detail``); texts as stored (redacted)."""

    task: str
    sample_id: str
    input: str | None
    prediction: str | None
    reference: str | None
    choices: list[str] | None
    gold: str | None            # the sample's label
    correct: bool | None


class ReviewItem(SampleDetail):
    """A queue item as a reviewer is served it (``queries.reviews.next_item`` / ``claim_next_item``)."""

    reason: str | None          # why it was queued (random, wrong_answer, pii_leak, ...)
    stratum: str | None
    priority: int
    remaining: int              # open items left for this reviewer
    n_queue: int


class LabelRecord(TypedDict):
    """A reviewer's latest label of one item (``queries.reviews.my_latest_label``)."""

    label: str
    correction: str | None
    note: str | None
    created_at: datetime


class UserRecord(TypedDict):
    """A user as the signed log recorded them (``queries.users.get_user`` / ``authenticate``)."""

    username: str
    role: str
    password_hash: str
    created_at: datetime
    active: bool
    os_user: str | None
