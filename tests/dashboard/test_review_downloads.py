"""The Review page's retraining files are deferred downloads through dashboard.downloads: nothing is built
or logged while the page renders; a click builds the file for the session's user, re-checked at build time
(signed out, removed, role lowered: nothing built, nothing logged), and logs it under that user; raw PII
only for a role that may still see it. (They were built when "Prepare" was clicked, logged then whether or
not anyone downloaded them, and served later from the session's memory without any re-check.)"""

from __future__ import annotations

import json

import pytest

from audits.errors import AssayError

PAGE = """
import streamlit as st
from dashboard import auth, state
from dashboard.views import review
from streamlit.delta_generator import DeltaGenerator
built = st.session_state.setdefault("builders", {})
real = DeltaGenerator.download_button
def spy(self, label, data, *args, **kw):
    built[label] = data
    return real(self, label, data, *args, **kw)
DeltaGenerator.download_button = spy
try:
    state.run_picker()
    review.render()
finally:
    DeltaGenerator.download_button = real
"""


@pytest.fixture
def settled(tmp_path, monkeypatch):
    """A review run with six settled items (two each queued as pii_leak, wrong_answer, sampled), users ada
    (admin) and rita (reviewer), and a session token for each."""
    from audits.review.synthetic import make_review_run
    from audits.store.catalog import Catalog
    from audits.store.queries import reviews as rv
    from audits.store.queries import users as users_q
    from audits.trust import session

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv(session.IDLE_ENV, raising=False)
    monkeypatch.setenv("ASSAY_CATALOG", str(tmp_path / "c.duckdb"))
    cat = Catalog(tmp_path / "c.duckdb")
    make_review_run(cat, "run-r", n=40, reviewers_per_item=2)
    queue = rv.review_queue(cat, "run-r")
    picked = [queue[queue["reason"] == r].iloc[:2] for r in ("pii_leak", "wrong_answer", "sampled")]
    for item in __import__("pandas").concat(picked).itertuples():
        for who in ("ann", "ben"):
            label = "correct" if item.reason != "wrong_answer" else "incorrect"
            rv.record_review(cat, "run-r", item.task, item.sample_id, who, "reviewer", label,
                             correction=None if label == "correct" else "The right answer.")
    users_q.add_user(cat, "ada", "admin", "ada-password-1", actor="ada")   # labelled before users existed
    users_q.add_user(cat, "rita", "reviewer", "rita-password-1", actor="ada")
    return cat, {"ada": session.start(cat, "ada"), "rita": session.start(cat, "rita")}


def _exports(cat) -> list[dict]:
    from audits.store.queries import audit_log

    with cat.connect() as con:
        log = audit_log.entries(con)
    return [{"actor": who, "action": a, **json.loads(d)} for a, d, who in zip(log["action"], log["details"], log["actor"])
            if str(a).startswith("export.retraining") or "dashboard download" in str(d)]


def _render(token: str, keep_pii: bool = False) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(PAGE, default_timeout=120)
    at.session_state["assay_auth_token"] = token
    at.query_params["run"] = "run-r"
    at.run()
    if keep_pii:
        at.checkbox(key="rt_keep_pii").check().run()
    assert not at.exception, at.exception
    return at.session_state["builders"]


def test_nothing_is_built_on_render_and_a_click_builds_and_logs_under_the_user(settled):
    cat, tokens = settled
    builders = _render(tokens["rita"])
    assert set(builders) == {"SFT JSONL", "sft manifest", "PREFERENCE JSONL", "preference manifest"}
    assert all(callable(b) for b in builders.values())       # deferred: bytes only when clicked
    assert _exports(cat) == []                                # rendering built and logged nothing
    sft = builders["SFT JSONL"]()
    rows = [json.loads(line) for line in sft.decode().splitlines()]
    assert rows and all({"run_id", "task", "sample_id", "messages"} <= set(r) for r in rows)
    logged = _exports(cat)
    assert [(e["actor"], e["action"], e["pii_scrubbed"]) for e in logged] == [("rita", "export.retraining-sft", True)]
    import hashlib
    assert logged[0]["sha256"] == hashlib.sha256(sft).hexdigest()
    manifest = json.loads(builders["sft manifest"]())
    assert manifest["sha256"] == logged[0]["sha256"] and manifest["privacy_out"]["pii_leak"] > 0
    assert len(_exports(cat)) == 2                            # the manifest download is logged too


@pytest.mark.parametrize("end", ["signed out", "user removed", "role lowered"])
def test_after_the_session_ended_a_click_builds_and_logs_nothing(settled, end):
    from audits.store.queries import users as users_q
    from audits.trust import session

    cat, tokens = settled
    builders = _render(tokens["rita"])
    if end == "signed out":
        session.end(cat, tokens["rita"], "signed out")
    elif end == "user removed":
        users_q.deactivate_user(cat, "rita", actor="ada")
    else:
        users_q.add_user(cat, "rita", "viewer", actor="ada")
    for label, build in builders.items():
        with pytest.raises(AssayError):
            build()
    assert _exports(cat) == []


def test_raw_pii_is_built_only_for_a_role_that_may_see_it(settled):
    """The page offers "Keep raw PII" to admins only; the build checks it again with the role it re-read, and
    an admin lowered since the page rendered builds nothing (her session or ticket no longer holds)."""
    from audits.access import User
    from audits.store.queries import users as users_q
    from dashboard.views.review_exports import export_file

    cat, tokens = settled
    with pytest.raises(AssayError, match="may not export raw personal data"):
        export_file(cat, "run-r", "sft", User("rita", "committee"), True, [], [])
    builders = _render(tokens["ada"], keep_pii=True)
    users_q.add_user(cat, "ada", "committee", actor="ada")
    with pytest.raises(AssayError):
        builders["SFT JSONL"]()
    assert _exports(cat) == []
    builders = _render(tokens["rita"])             # a reviewer: scrubbed files only
    builders["SFT JSONL"]()
    assert [(e["actor"], e["pii_scrubbed"]) for e in _exports(cat)] == [("rita", True)]
