"""Human review labels: append-only rows in the catalog's ``reviews`` table.

A changed label is a new row (the latest row per reviewer and item wins); an adjudication
row by a lead reviewer (committee/admin) overrides the reviewers. Every label is also an
audit-log entry in the same transaction. The queue itself is evidence in the run bundle
(``review_queue.parquet``), read through ``queries.runs.read_table``.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import datetime, timezone
from typing import Any, Collection

import pandas as pd

from audits.access import PERMISSIONS
from audits.errors import AssayError
from audits.stats import agreement
from audits.store.catalog import Catalog
from audits.jsontypes import JsonObject
from audits.store.records import LabelRecord, ReviewItem, ReviewSummaryRecord, RunSettings, SampleDetail
from audits.store.schema import ON_FIRST_USE
from audits.store.queries import audit_log, sealed_notes
from audits.store.queries import runs as rq

LABELS = ("correct", "incorrect", "needs_rephrasing")
REVIEW_ROLES = PERMISSIONS["review"]            # the one permission table (audits.access)
ADJUDICATOR_ROLES = PERMISSIONS["adjudicate"]
_SEP = "\x1f"

# Bundles are immutable, so a run's queue and settings can be cached per catalog file + run id.
_cache: dict[tuple[str, str, str], Any] = {}
_cache_lock = threading.Lock()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _cached(cat: Catalog, run_id: str, what: str, load) -> Any:
    key = (str(cat.path), run_id, what)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    value = load()
    with _cache_lock:
        _cache[key] = value
    return value


def review_queue(cat: Catalog, run_id: str) -> pd.DataFrame:
    """The run's review queue (task, sample_id, reason, stratum, priority), in review order."""
    def load() -> pd.DataFrame:
        frame = rq.read_table(cat, run_id, "review_queue")
        if frame.empty:
            return pd.DataFrame(columns=["task", "sample_id", "reason", "stratum", "priority"])
        frame["task"] = frame["task"].astype(str)
        frame["sample_id"] = frame["sample_id"].astype(str)
        return frame.reset_index(drop=True)
    return _cached(cat, run_id, "queue", load).copy()


def _queue_keys(cat: Catalog, run_id: str) -> frozenset[tuple[str, str]]:
    def load() -> frozenset[tuple[str, str]]:
        queue = review_queue(cat, run_id)
        return frozenset(zip(queue["task"], queue["sample_id"]))
    return _cached(cat, run_id, "keys", load)


def run_config(cat: Catalog, run_id: str) -> JsonObject:
    """The run's audit config as a mapping (the bundle's config.yaml), cached per run."""
    def load() -> JsonObject:
        return rq.run_config(cat, run_id)
    return _cached(cat, run_id, "config", load)


def run_settings(cat: Catalog, run_id: str) -> RunSettings:
    """reviewers_per_item and the model's system prompt, from the run's config."""
    def load() -> RunSettings:
        config = run_config(cat, run_id)
        review = config.get("review") or {}
        model = config.get("model") or {}
        return {"reviewers_per_item": int(review.get("reviewers_per_item") or 1),
                "system_prompt": model.get("system_prompt")}
    return dict(_cached(cat, run_id, "settings", load))


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

    stored, sealed = typed.scrub(cat, run_id, {"correction": correction, "note": note})
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
    ``flags`` (privacy / unsafe / biased) and their audit-log entries, in one transaction."""
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


def item_detail(cat: Catalog, run_id: str, task: str, sample_id: str) -> SampleDetail:
    """The sample behind a queue item: input, prediction, reference, choices, gold label, correct."""
    wanted = ["input", "prediction", "reference", "choices", "label", "correct"]
    frame = rq.read_table(cat, run_id, "samples", filters={"task": str(task), "sample_id": str(sample_id)}, limit=1)
    if frame.empty:
        raise AssayError(f"sample {task}/{sample_id} is not in run '{run_id}'", "pick an item from the review queue")
    row = frame.iloc[0]
    out: SampleDetail = {"task": str(task), "sample_id": str(sample_id)}  # type: ignore[typeddict-item]  (filled below)
    for col in wanted:
        out[col] = plain(row[col]) if col in frame.columns else None
    out["gold"] = out.pop("label")
    return out


def plain(value: Any) -> Any:
    """A Parquet/pandas cell as a plain Python value: None for NA/NaN/NaT, lists for arrays,
    Python scalars for numpy scalars, so callers can test truthiness safely."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0):
        return [plain(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") and hasattr(value, "dtype") else value


def samples_for(cat: Catalog, run_id: str, keys: list[tuple[str, str]],
                columns: tuple[str, ...] = ("task", "sample_id", "input", "prediction", "reference")) -> pd.DataFrame:
    """Selected samples of a run by (task, sample_id), read straight from the bundle."""
    if not keys:
        return pd.DataFrame(columns=list(columns))
    frame = rq.read_table(cat, run_id, "samples", filters={("task", "sample_id"): keys})
    for col in columns:
        if col not in frame.columns:
            frame[col] = None
    frame["sample_id"] = frame["sample_id"].astype(str)
    return frame[list(columns)]


def _open_items(con: Any, queue: pd.DataFrame, k: int, run_id: str, reviewer: str,
                skip: Collection[tuple[str, str]]) -> list:
    """Queue items (priority order) this reviewer has not labeled and that still need ``k`` reviewers.
    (``queue`` and ``k`` are read before ``con`` is open: a catalog read inside a write deadlocks.)"""
    done = con.execute(
        "SELECT task, sample_id, count(DISTINCT reviewer) FILTER (WHERE NOT adjudication) AS n, "
        "bool_or(reviewer = ? AND NOT adjudication) AS mine, bool_or(adjudication) AS adjudicated "
        "FROM reviews WHERE run_id = ? GROUP BY task, sample_id", [reviewer, run_id]).fetchall()
    closed = {(t, s) for t, s, n, mine, adj in done if mine or adj or n >= k} | set(skip)
    return [item for item in queue.itertuples(index=False) if (item.task, item.sample_id) not in closed]


_DETAIL_COLUMNS = ("input", "prediction", "reference", "choices", "label", "correct")


def _queue_details(cat: Catalog, run_id: str) -> dict[tuple[str, str], SampleDetail]:
    """The samples behind the whole queue, read from the bundle once per run (the queue is a small
    share of the run), so serving the next item reads nothing."""
    def load() -> dict[tuple[str, str], SampleDetail]:
        queue = review_queue(cat, run_id)
        if queue.empty:
            return {}
        frame = rq.read_table(cat, run_id, "samples", filters={("task", "sample_id"): list(zip(queue["task"],
                                                                                              queue["sample_id"]))})
        out: dict[tuple[str, str], SampleDetail] = {}
        for row in frame.to_dict("records"):
            key = (str(row["task"]), str(row["sample_id"]))
            detail: SampleDetail = {"task": key[0], "sample_id": key[1]}  # type: ignore[typeddict-item]
            for col in _DETAIL_COLUMNS:
                detail[col] = plain(row.get(col))
            detail["gold"] = detail.pop("label")
            out.setdefault(key, detail)
        return out
    return _cached(cat, run_id, "details", load)


def _served(cat: Catalog, run_id: str, picked: tuple[Any, int] | None) -> ReviewItem | None:
    """A picked queue row (and how many remain) as the item a reviewer sees; the sample comes from
    the bundle (cached per run), outside any catalog transaction."""
    if picked is None:
        return None
    item, remaining = picked
    cached = _queue_details(cat, run_id).get((item.task, item.sample_id))
    detail = dict(cached) if cached is not None else item_detail(cat, run_id, item.task, item.sample_id)
    return {**detail, "reason": plain(item.reason), "stratum": plain(item.stratum), "priority": int(item.priority),
            "remaining": remaining, "n_queue": len(review_queue(cat, run_id))}


def next_item(cat: Catalog, run_id: str, reviewer: str,
              skip: Collection[tuple[str, str]] = ()) -> ReviewItem | None:
    """The next queue item (in priority order) this reviewer has not labeled and that still needs
    reviewers; with its input, prediction, reference, reason and how many items remain. None when
    done. ``skip``: (task, sample_id) pairs the reviewer passed over in this session."""
    queue, k = review_queue(cat, run_id), run_settings(cat, run_id)["reviewers_per_item"]
    with cat.connect() as con:
        open_items = _open_items(con, queue, k, run_id, reviewer, skip)
    return _served(cat, run_id, (open_items[0], len(open_items)) if open_items else None)


# ---- extra flags beside the label (privacy / unsafe / biased): append-only rows, each logged ----

FLAGS = ("privacy", "unsafe", "biased", "hallucination")  # hallucination: issue 22
_FLAGS_DDL = ON_FIRST_USE["review_flags"]


def check_flags(flags: Collection[str]) -> list[str]:
    """The known flags among ``flags``, sorted; AssayError naming the choices for an unknown one."""
    flags = sorted(set(flags or ()))
    unknown = [f for f in flags if f not in FLAGS]
    if unknown:
        raise AssayError(f"unknown review flag {unknown[0]!r}", f"use any of: {', '.join(FLAGS)}")
    return flags


def _insert_flags(con: Any, run_id: str, task: str, sample_id: str, reviewer: str, review_id: str,
                  flags: list[str], now: datetime) -> None:
    con.execute(_FLAGS_DDL)
    for flag in flags:
        con.execute("INSERT INTO review_flags VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [review_id, run_id, str(task), str(sample_id), reviewer, flag, now])
    audit_log.append(con, reviewer, "review.flag", f"{run_id}/{task}/{sample_id}",
                     {"review_id": review_id, "flags": flags})


def record_flags(cat: Catalog, run_id: str, task: str, sample_id: str, reviewer: str, review_id: str,
                 flags: Collection[str]) -> list[str]:
    """Store the reviewer's extra flags for the label ``review_id`` (one row each) and log them.
    (``record_review(..., flags=...)`` stores a label and its flags in one transaction.)"""
    flags = check_flags(flags)
    if not flags:
        return []
    with cat.connect(write=True) as con:
        _insert_flags(con, run_id, task, sample_id, reviewer, review_id, flags, _now())
    return flags


def _flag_rows(con: Any, sql: str, params: list[Any]) -> list[tuple]:
    """Rows of a query on ``review_flags``; none when no flag was ever recorded (no table yet).
    (Trying the query is far cheaper than asking information_schema first.)"""
    import duckdb

    try:
        return con.execute(sql, params).fetchall()
    except duckdb.CatalogException:
        return []


def _flag_counts(con: Any, run_id: str) -> dict[str, int]:
    rows = dict(_flag_rows(con, "SELECT flag, count(DISTINCT task || chr(31) || sample_id) FROM review_flags "
                                "WHERE run_id = ? GROUP BY flag", [run_id]))
    return {f: int(rows.get(f, 0)) for f in FLAGS}


def flag_counts(cat: Catalog, run_id: str) -> dict[str, int]:
    """Items flagged per flag (by anyone), for the queue's statistics and export filters."""
    with cat.connect() as con:
        return _flag_counts(con, run_id)


def flagged_items(cat: Catalog, run_id: str, flag: str | Collection[str]) -> set[tuple[str, str]]:
    """(task, sample_id) of the items someone flagged ``flag`` (one flag or several: any of them),
    a retraining export filter. An item counts as flagged once anyone flagged it with any label."""
    wanted = check_flags([flag] if isinstance(flag, str) else flag)
    if not wanted:
        return set()
    with cat.connect() as con:
        rows = _flag_rows(con, "SELECT DISTINCT task, sample_id FROM review_flags WHERE run_id = ? "
                               "AND flag IN (SELECT unnest(?::VARCHAR[]))", [run_id, wanted])
    return {(str(t), str(s)) for t, s in rows}


def item_flags(cat: Catalog, run_id: str) -> dict[tuple[str, str], set[str]]:
    """Every flagged item of a run with the flags anyone gave it (one read; the export filters)."""
    with cat.connect() as con:
        rows = _flag_rows(con, "SELECT DISTINCT task, sample_id, flag FROM review_flags WHERE run_id = ?", [run_id])
    out: dict[tuple[str, str], set[str]] = {}
    for task, sample_id, flag in rows:
        out.setdefault((str(task), str(sample_id)), set()).add(flag)
    return out


def my_latest_label(cat: Catalog, run_id: str, task: str, sample_id: str, reviewer: str) -> LabelRecord | None:
    """The reviewer's current label of one item (the latest row wins), for undo by relabelling."""
    with cat.connect() as con:
        row = con.execute("SELECT label, correction, note, created_at FROM reviews WHERE run_id = ? AND task = ? AND "
                          "sample_id = ? AND reviewer = ? AND NOT adjudication ORDER BY created_at DESC LIMIT 1",
                          [run_id, str(task), str(sample_id), reviewer]).fetchone()
    return None if row is None else {"label": row[0], "correction": row[1], "note": row[2], "created_at": row[3]}


# ---- leases: two reviewers working at once are served different items ----

LEASE_S = 600
_LEASE_DDL = ON_FIRST_USE["review_leases"]


def _claim(con: Any, queue: pd.DataFrame, k: int, run_id: str, reviewer: str, skip: Collection[tuple[str, str]],
           lease_s: int) -> tuple[Any, int] | None:
    """On an open write connection: the reviewer's next open item that nobody else holds a live
    lease on, leased to them (replacing their previous lease); with how many items remain for them."""
    from datetime import timedelta

    con.execute(_LEASE_DDL)
    now = _now()
    open_items = _open_items(con, queue, k, run_id, reviewer, skip)
    if not open_items:
        return None
    held = {(str(t), str(s)) for t, s in con.execute(
        "SELECT task, sample_id FROM review_leases WHERE run_id = ? AND reviewer <> ? AND expires_at > ?",
        [run_id, reviewer, now]).fetchall()}
    free = [item for item in open_items if (item.task, item.sample_id) not in held]
    if not free:
        return None
    item = free[0]
    con.execute("DELETE FROM review_leases WHERE run_id = ? AND reviewer = ?", [run_id, reviewer])
    con.execute("INSERT INTO review_leases VALUES (?, ?, ?, ?, ?)",
                [run_id, item.task, item.sample_id, reviewer, now + timedelta(seconds=lease_s)])
    return item, len(open_items)


def claim_next_item(cat: Catalog, run_id: str, reviewer: str, skip: Collection[tuple[str, str]] = (),
                    lease_s: int = LEASE_S) -> ReviewItem | None:
    """``next_item`` for this reviewer, leased to them for ``lease_s`` seconds so that another
    reviewer working at the same time is served a different item. The check and the lease are one
    write transaction (the catalog has one writer at a time), so two claims never take one item.
    A reviewer holds one lease at a time; an expired lease frees its item. Not evidence: leases
    are working state, replaced as the reviewer moves on."""
    queue, k = review_queue(cat, run_id), run_settings(cat, run_id)["reviewers_per_item"]
    with cat.connect(write=True) as con:
        claimed = _claim(con, queue, k, run_id, reviewer, skip, lease_s)
    return _served(cat, run_id, claimed)
