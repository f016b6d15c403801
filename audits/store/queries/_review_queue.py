"""The review queue as reviewers are served it: the run's queue (evidence in the bundle, cached per
run), the samples behind its items, the next open item and the lease that keeps two reviewers
working at once on different items. Import these from :mod:`audits.store.queries.reviews`.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any, Collection

import pandas as pd

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.results import jsonable
from audits.store.catalog import Catalog
from audits.store.records import ReviewItem, RunSettings, SampleDetail
from audits.store.schema import ON_FIRST_USE
from audits.store.queries import runs as rq

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
    """A Parquet/pandas cell as a plain Python value: None for NA/NaN/NaT and non-finite floats, lists
    for arrays, Python scalars for numpy scalars, so callers can test truthiness safely and write JSON.
    The one NaN->None rule, :func:`audits.results.jsonable` (this kept a second copy that let inf through)."""
    return jsonable(value)


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


# ---- leases: two reviewers working at once are served different items ----

LEASE_S = 600
_LEASE_DDL = ON_FIRST_USE["review_leases"]


def _claim(con: Any, queue: pd.DataFrame, k: int, run_id: str, reviewer: str, skip: Collection[tuple[str, str]],
           lease_s: int) -> tuple[Any, int] | None:
    """On an open write connection: the reviewer's next open item that nobody else holds a live
    lease on, leased to them (replacing their previous lease); with how many items remain for them."""
    from datetime import timedelta

    from audits.store.lease import SKEW_S

    con.execute(_LEASE_DDL)
    now = _now()
    open_items = _open_items(con, queue, k, run_id, reviewer, skip)
    if not open_items:
        return None
    # a lease is an unsigned row: one that ends further ahead than any claim sets (an edited row, say until
    # 2099) holds nothing, or a catalog writer could keep every item from every reviewer for ever
    latest = now + timedelta(seconds=max(lease_s, LEASE_S) + SKEW_S)
    held = {(str(t), str(s)) for t, s in con.execute(
        "SELECT task, sample_id FROM review_leases WHERE run_id = ? AND reviewer <> ? AND expires_at > ? "
        "AND expires_at <= ?", [run_id, reviewer, now, latest]).fetchall()}
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
