"""Human review labels: append-only rows in the catalog's ``reviews`` table.

A changed label is a new row (the latest row per reviewer and item wins); an adjudication
row by a lead reviewer (committee/admin) overrides the reviewers. Every label is also an
audit-log entry in the same transaction. The queue itself is evidence in the run bundle
(``review_queue.parquet``), read through ``queries.runs.read_table``.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Collection

import pandas as pd

from audits.access import PERMISSIONS
from audits.errors import AssayError
from audits.stats import agreement
from audits.store.catalog import Catalog
from audits.store.records import LabelRecord, ReviewItem, ReviewSummaryRecord
from audits.store.queries import audit_log, sealed_notes
from audits.store.queries import runs as rq
# the queue (serving, leases) and the flags live beside this module, by seam; this module is their one
# import path, and holds the labels: writing them, the labels in force, agreement and the settled items
from audits.store.queries._review_flags import (FLAGS, _flag_counts, _insert_flags, check_flags, flag_counts,
                                                flagged_items, item_flags, record_flags)
from audits.store.queries._review_queue import (LEASE_S, _cached, _claim, _now, _queue_keys, _served,
                                                claim_next_item, item_detail, next_item, plain, review_queue,
                                                run_config, run_settings, samples_for)

__all__ = ["ADJUDICATOR_ROLES", "FLAGS", "LABELS", "LEASE_S", "REVIEW_ROLES", "check_flags", "claim_next_item",
           "disagreements", "final_labels", "flag_counts", "flagged_items", "history", "item_detail", "item_flags",
           "label_and_claim_next", "latest_reviews", "my_latest_label", "next_item", "plain", "queue_status",
           "record_flags", "record_review", "review_queue", "review_summary", "run_config", "run_settings",
           "samples_for"]

LABELS = ("correct", "incorrect", "needs_rephrasing")
REVIEW_ROLES = PERMISSIONS["review"]            # the one permission table (audits.access)
ADJUDICATOR_ROLES = PERMISSIONS["adjudicate"]
_SEP = "\x1f"

def _prepare_review(cat: Catalog, run_id: str, task: str, sample_id: str, reviewer: str, role: str, label: str,
                    correction: str | None, note: str | None, adjudication: bool,
                    flags: Collection[str]) -> tuple[str, str, str | None, str | None, list[str], dict[str, bytes]]:
    """Check a label before any write; (task, sample_id, redacted correction, redacted note, flags,
    the raw texts sealed under the run's key when it keeps raw text)."""
    if label not in LABELS:
        raise AssayError(f"unknown review label {label!r}", f"use one of: {', '.join(LABELS)}")
    if not reviewer or not str(reviewer).strip():
        raise AssayError("a review needs the reviewer's name", "pass --user NAME (or sign in to the dashboard)")
    allowed = ADJUDICATOR_ROLES if adjudication else REVIEW_ROLES
    if role not in allowed:
        what = "adjudicate disagreements" if adjudication else "label review items"
        raise AssayError(f"user {reviewer!r} with role {role!r} cannot {what}",
                         f"ask an admin to give the user one of the roles: {', '.join(allowed)}")
    flags = check_flags(flags)
    task, sample_id = str(task), str(sample_id)
    if (task, sample_id) not in _queue_keys(cat, run_id):
        raise AssayError(f"sample {task}/{sample_id} is not in the review queue of run '{run_id}'",
                         "label items from the queue (`assay review RUN --user U` or the Review page)")
    # reviewer text is scanned like the evidence: stored redacted; the raw only sealed under the run's key
    from audits.trust import notes as typed

    item = (samples_for(cat, run_id, [(task, sample_id)], columns=("task", "sample_id", "input", "prediction",
                                                                   "reference", "choices"))
            if (correction or note) else pd.DataFrame())
    texts = [v for c in ("input", "prediction", "reference") if c in item.columns for v in item[c].tolist()
             if isinstance(v, str)]  # the item as stored: new values are numbered after its pseudonyms
    # a built-in public benchmark's own values (BBQ's "Karen") stay, as they do at rest and in retraining files
    public = typed.public_text(cat, run_id, task, item) if (correction or note) else None
    stored, sealed = typed.scrub(cat, run_id, {"correction": correction, "note": note}, item=texts, public=public)
    return task, sample_id, stored["correction"], stored["note"], flags, sealed


def _insert_review(con: Any, run_id: str, task: str, sample_id: str, reviewer: str, role: str, label: str,
                   correction: str | None, note: str | None, adjudication: bool, flags: list[str],
                   sealed: dict[str, bytes] | None = None) -> str:
    """The label row, its flags and their audit-log entries, on an open write connection."""
    from audits.store.queries.users import check_acting_role

    check_acting_role(con, reviewer, role)
    review_id = uuid.uuid4().hex
    target = f"{run_id}/{task}/{sample_id}"
    details = {"review_id": review_id, "role": role, "label": label, "adjudication": bool(adjudication),
               "correction_sha256": hashlib.sha256(correction.encode()).hexdigest() if correction else None,
               "has_note": note is not None, "raw_sealed": bool(sealed),
               "sealed_sha256": sealed_notes.digests(sealed)}
    now = _now()
    con.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [review_id, run_id, task, sample_id, reviewer, role, label, correction, note,
                 bool(adjudication), now])
    sealed_notes.insert(con, run_id, "reviews", review_id, sealed or {})
    audit_log.append(con, reviewer, "review.adjudicate" if adjudication else "review.label", target, details,
                     row=("reviews", "review_id = ?", [review_id]))
    if flags:
        _insert_flags(con, run_id, task, sample_id, reviewer, review_id, flags, now)
    return review_id


def record_review(cat: Catalog, run_id: str, task: str, sample_id: str, reviewer: str, role: str, label: str,
                  correction: str | None = None, note: str | None = None, adjudication: bool = False,
                  flags: Collection[str] = ()) -> str:
    """Store one label (a new row; the reviewer's latest row wins) with the reviewer's extra
    ``flags`` (any of ``FLAGS``) and their audit-log entries, in one transaction."""
    task, sample_id, correction, note, flags, sealed = _prepare_review(
        cat, run_id, task, sample_id, reviewer, role, label, correction, note, adjudication, flags)
    with cat.connect(write=True) as con:
        return _insert_review(con, run_id, task, sample_id, reviewer, role, label, correction, note,
                              adjudication, flags, sealed)


def label_and_claim_next(cat: Catalog, run_id: str, task: str, sample_id: str, reviewer: str, role: str, label: str,
                         correction: str | None = None, note: str | None = None, flags: Collection[str] = (),
                         skip: Collection[tuple[str, str]] = (),
                         lease_s: int | None = None) -> tuple[str, ReviewItem | None]:
    """The review loop's one write: store the label (as :func:`record_review`) and lease the
    reviewer's next item (as :func:`claim_next_item`) in the same transaction, so the next item is
    ready without another catalog round trip. Returns (review_id, next item or None when done)."""
    task, sample_id, correction, note, flags, sealed = _prepare_review(
        cat, run_id, task, sample_id, reviewer, role, label, correction, note, False, flags)
    queue, k = review_queue(cat, run_id), run_settings(cat, run_id)["reviewers_per_item"]
    with cat.connect(write=True) as con:
        review_id = _insert_review(con, run_id, task, sample_id, reviewer, role, label, correction, note, False, flags,
                                   sealed)
        claimed = _claim(con, queue, k, run_id, reviewer, skip, LEASE_S if lease_s is None else lease_s)
    return review_id, _served(cat, run_id, claimed)


_LATEST_SQL = """
    SELECT review_id, task, sample_id, reviewer, role, label, correction, note, adjudication, created_at
    FROM reviews WHERE run_id = ?
    QUALIFY row_number() OVER (PARTITION BY task, sample_id, CASE WHEN adjudication THEN '' ELSE reviewer END,
                               adjudication ORDER BY created_at DESC, review_id DESC) = 1
    ORDER BY created_at, review_id"""


def _latest(con: Any, run_id: str) -> pd.DataFrame:
    frame = con.execute(_LATEST_SQL, [run_id]).df()
    frame["adjudication"] = frame["adjudication"].astype(bool)
    return frame


def latest_reviews(cat: Catalog, run_id: str) -> pd.DataFrame:
    """The rows in force: each reviewer's latest label per item, and each item's latest adjudication."""
    with cat.connect() as con:
        return _latest(con, run_id)


def history(cat: Catalog, run_id: str) -> pd.DataFrame:
    """Every review row of a run, oldest first (nothing is ever updated or deleted)."""
    with cat.connect() as con:
        return con.execute("SELECT * FROM reviews WHERE run_id = ? ORDER BY created_at, review_id", [run_id]).df()


def _item_status(votes: pd.DataFrame, adjud: pd.Series | None, k: int) -> tuple[str, str | None, str | None, str]:
    """(status, final label, final correction, source) of one item."""
    if adjud is not None:
        return "adjudicated", adjud["label"], adjud["correction"], "adjudication"
    if votes.empty:
        return "pending", None, None, ""
    labels = set(votes["label"])
    if len(labels) > 1:
        return "disagreement", None, None, ""
    corrections = votes["correction"].dropna()
    correction = corrections.iloc[-1] if len(corrections) else None
    if len(votes) < k:
        return "partial", None, None, ""
    return "agreed", next(iter(labels)), correction, "consensus" if len(votes) > 1 else "single"


def queue_status(cat: Catalog, run_id: str, latest: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per queue item: n_reviewers, labels ("name: label; ..."), status
    (pending | partial | agreed | disagreement | adjudicated), final_label, final_correction, source.
    ``latest``: :func:`latest_reviews` when the caller already read it."""
    queue = review_queue(cat, run_id)
    k = run_settings(cat, run_id)["reviewers_per_item"]
    latest = latest_reviews(cat, run_id) if latest is None else latest
    votes = latest[~latest["adjudication"]]
    adjud = latest[latest["adjudication"]].set_index(["task", "sample_id"])
    groups = {key: g for key, g in votes.groupby(["task", "sample_id"], sort=False)}
    empty = votes.iloc[:0]
    rows = []
    for item in queue.itertuples(index=False):
        key = (item.task, item.sample_id)
        g = groups.get(key, empty)
        a = adjud.loc[key] if key in adjud.index else None
        status, label, correction, source = _item_status(g, a, k)
        rows.append({**item._asdict(), "n_reviewers": len(g),
                     "labels": "; ".join(f"{r}: {lab}" for r, lab in zip(g["reviewer"], g["label"])),
                     "status": status, "final_label": label, "final_correction": correction, "source": source})
    columns = list(queue.columns) + ["n_reviewers", "labels", "status", "final_label", "final_correction", "source"]
    return pd.DataFrame(rows, columns=columns)


def disagreements(cat: Catalog, run_id: str) -> pd.DataFrame:
    """Items whose reviewers disagree and that no lead reviewer has adjudicated yet."""
    status = queue_status(cat, run_id)
    return status[status["status"] == "disagreement"].reset_index(drop=True)


def final_labels(cat: Catalog, run_id: str) -> pd.DataFrame:
    """Settled items (agreed or adjudicated): task, sample_id, label, correction, source, reviewers."""
    status = queue_status(cat, run_id)
    done = status[status["status"].isin(["agreed", "adjudicated"])]
    latest = latest_reviews(cat, run_id)
    who = latest.groupby(["task", "sample_id"])["reviewer"].agg(lambda s: sorted(set(s))).rename("reviewers")
    out = done.rename(columns={"final_label": "label", "final_correction": "correction"})
    out = out.join(who, on=["task", "sample_id"])
    return out[["task", "sample_id", "reason", "label", "correction", "source", "reviewers"]].reset_index(drop=True)


def _total_samples(cat: Catalog, run_id: str) -> int:
    def load() -> int:
        try:
            return int(sum(t.n for t in rq.get_results(cat, run_id).tasks))
        except AssayError:
            return len(rq.read_table(cat, run_id, "samples", columns=["task"]))
    return _cached(cat, run_id, "n_samples", load)


def review_summary(cat: Catalog, run_id: str) -> ReviewSummaryRecord:
    """{n_queue, n_reviewed, n_samples, coverage, queue_coverage, agreement{kappa, method, n_items},
    disagreements, adjudicated, reviewers, reviewers_per_item, labels{label: n}, flags{flag: items}}
    (one catalog read)."""
    with cat.connect() as con:
        latest = _latest(con, run_id)
        flags = _flag_counts(con, run_id)
    status = queue_status(cat, run_id, latest)
    votes = latest[~latest["adjudication"]]
    n_samples = _total_samples(cat, run_id) or len(status)
    reviewed = int((status["n_reviewers"] > 0).sum() + ((status["n_reviewers"] == 0)
                                                        & (status["status"] == "adjudicated")).sum())
    ratings = pd.DataFrame({"item": votes["task"] + _SEP + votes["sample_id"], "rater": votes["reviewer"],
                            "label": votes["label"]})
    return {"n_queue": int(len(status)), "n_reviewed": reviewed, "n_samples": int(n_samples),
            "coverage": reviewed / n_samples if n_samples else 0.0,
            "queue_coverage": reviewed / len(status) if len(status) else 0.0,
            "agreement": agreement(ratings),
            "disagreements": int((status["status"] == "disagreement").sum()),
            "adjudicated": int((status["status"] == "adjudicated").sum()),
            "reviewers": sorted(votes["reviewer"].unique().tolist()),
            "reviewers_per_item": run_settings(cat, run_id)["reviewers_per_item"],
            "labels": {k: int(v) for k, v in status["final_label"].value_counts().items()},
            "flags": flags}


def my_latest_label(cat: Catalog, run_id: str, task: str, sample_id: str, reviewer: str) -> LabelRecord | None:
    """The reviewer's current label of one item (the latest row wins), for undo by relabelling."""
    with cat.connect() as con:
        row = con.execute("SELECT label, correction, note, created_at FROM reviews WHERE run_id = ? AND task = ? AND "
                          "sample_id = ? AND reviewer = ? AND NOT adjudication ORDER BY created_at DESC LIMIT 1",
                          [run_id, str(task), str(sample_id), reviewer]).fetchone()
    return None if row is None else {"label": row[0], "correction": row[1], "note": row[2], "created_at": row[3]}
