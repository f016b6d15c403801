"""Shared dashboard state: the catalog, the run picker, cached queries, the empty message.

Pages call these helpers and never open connections themselves. Bundles are immutable, so
evidence reads are cached per run id; the run list is cached briefly so a new run shows up.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import pandas as pd
import streamlit as st

from audits.errors import AssayError
from audits.results import RunResults
from audits.store import bundle_reader
from audits.store.manifest import Manifest
from audits.store.queries import dashboard as dq
from dashboard._catalog import _catalog, catalog, catalog_path, has_catalog  # noqa: F401  (the one cached catalog)
from dashboard import _log  # the Audit log page's read (calls assay verify)

RUNS_TTL_S = 5
EVIDENCE_TTL_S = 60
_PICKER_KEY = "assay_run_picker"
_RUN_KEY = "assay_run"


@st.cache_data(ttl=RUNS_TTL_S, show_spinner=False)
def _runs(path: str) -> pd.DataFrame:
    return dq.list_runs(_catalog(path))


def runs(complete_only: bool = True) -> pd.DataFrame:
    """The run register (oldest first); empty when there is no catalog."""
    if not has_catalog():
        return pd.DataFrame(columns=["run_id", "audit", "period", "status", "created_at"])
    frame = _runs(str(catalog_path()))
    if complete_only and "status" in frame:
        frame = frame[frame["status"] == "complete"]
    return frame.reset_index(drop=True)


def _label(row: pd.Series) -> str:
    """Period · audit: what fits the 1280-px sidebar (the run id is the caption under the picker)."""
    return f"{row['period']} · {row['audit']}"


def _labels(frame: pd.DataFrame) -> dict[str, str]:
    """Each run's picker label; two runs of one period and audit add their run id's tail to tell them apart."""
    labels = {r["run_id"]: _label(r) for _, r in frame.iterrows()}
    seen = pd.Series(list(labels.values())).value_counts()
    return {rid: (f"{lab} · …{rid[-6:]}" if seen[lab] > 1 else lab) for rid, lab in labels.items()}


def run_picker() -> str | None:
    """Render the sidebar run picker (once per script run, from app.py) and return the choice."""
    frame = runs()
    if frame.empty:
        st.session_state[_RUN_KEY] = None
        return None
    ids = list(frame["run_id"])[::-1]  # newest first
    labels = _labels(frame)
    if st.session_state.get(_PICKER_KEY) not in ids:  # first load, or the run vanished
        wanted = st.query_params.get("run") or st.session_state.get(_RUN_KEY)
        st.session_state[_PICKER_KEY] = wanted if wanted in ids else ids[0]
    choice = st.sidebar.selectbox("Run", ids, key=_PICKER_KEY, format_func=labels.get,
                                  help="Every page shows this run; the URL keeps it (?run=...).")
    st.sidebar.caption(f"run {choice}")
    st.session_state[_RUN_KEY] = choice
    if st.query_params.get("run") != choice:
        st.query_params["run"] = choice
    return choice


def selected_run() -> str | None:
    """The run every page shows: the picker's choice, else ?run=, else the newest complete run."""
    frame = runs()
    if frame.empty:
        return None
    ids = list(frame["run_id"])
    for wanted in (st.session_state.get(_RUN_KEY), st.query_params.get("run")):
        if wanted in ids:
            return wanted
    return ids[-1]


def empty_catalog_message() -> None:
    """Say there is nothing to show yet and which command makes something."""
    where = catalog_path()
    st.info(f"No audit runs in the catalog **{where}** yet. Create some with `assay demo` "
            f"(two demo runs of the embedded model) or `assay run CONFIG`, then reload this page. "
            f"Point the dashboard at another catalog with `assay dashboard --catalog PATH`.",
            icon=":material/info:")


def require_run() -> str | None:
    """The selected run, or None after showing the empty-catalog message."""
    run_id = selected_run()
    if run_id is None:
        empty_catalog_message()
    return run_id


def show_error(err: AssayError) -> None:
    """Render a user error in one block, with its fix."""
    st.error(f"{err.problem}" + (f"\n\n**Fix:** {err.fix}" if err.fix else ""))


# ---- cached evidence reads (bundles are immutable; keyed by catalog path and run id) ----

def _cached(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(catalog, *args)`` from the query layer as a cached ``fn(*args)`` on this dashboard's catalog."""
    def call(path: str, *args: Any, **kwargs: Any) -> Any:
        return fn(_catalog(path), *args, **kwargs)

    call.__qualname__ = call.__name__ = f"cached_{fn.__module__}.{fn.__name__}"  # one cache per function
    cached = st.cache_data(ttl=EVIDENCE_TTL_S, show_spinner=False)(call)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return cached(str(catalog_path()), *args, **kwargs)
    wrapper.clear = cached.clear  # type: ignore[attr-defined]  (after an act, e.g. the audit log)
    return wrapper


results: Callable[[str], RunResults] = _cached(bundle_reader.results)
manifest: Callable[[str], Manifest] = _cached(bundle_reader.manifest)
table = _cached(bundle_reader.read_table)
table_columns = _cached(bundle_reader.table_columns)
available_tables = _cached(bundle_reader.available_tables)
distinct_values = _cached(dq.distinct_values)
count_samples = _cached(dq.count_samples)
sample_page = _cached(dq.sample_page)
findings_summary = _cached(dq.findings_summary)
findings_page = _cached(dq.findings_page)
score_by_group = _cached(dq.score_by_group)
paired_scores = _cached(dq.paired_scores)
paired_difference_stats = _cached(dq.paired_difference_stats)
audit_log_entries = _cached(_log.audit_log_entries)


def policy_packs(run_id: str) -> list[str]:
    """The policy packs the run's config names."""
    return list(results(run_id).policy)


def previous_run(run_id: str) -> str | None:
    """The latest complete run of the same audit before this one (from the cached run list)."""
    frame = runs()
    mine = frame[frame["run_id"] == run_id]
    if mine.empty:
        return None
    audit, created = mine.iloc[0]["audit"], mine.iloc[0]["created_at"]
    before = frame[(frame["audit"] == audit) & (frame["run_id"] != run_id) &
                   ((frame["created_at"] < created) | ((frame["created_at"] == created) & (frame["run_id"] < run_id)))]
    return None if before.empty else str(before.sort_values(["created_at", "run_id"]).iloc[-1]["run_id"])


def current_user(announce: bool = False) -> Any:
    """The signed-in user (dashboard.auth; may show the sign-in form and stop the page).

    app.py calls it with ``announce=True`` once per run (sign-in form, demo-mode note);
    pages call it plainly to read the identity.
    """
    from dashboard.auth import current_user as _current_user  # no fallback: a broken auth module fails closed

    return _current_user(announce=announce)


def can(action: str) -> bool:
    """Whether the current user may do ``action``: :func:`audits.access.can`, the one front door."""
    from audits.access import can as _can

    return bool(_can(current_user(), action))

