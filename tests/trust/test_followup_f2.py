"""Issue 19 follow-up (f2): what a killed run leaves on disk, what verify reconciles, and what the
dashboard shows. Each test fails without its fix."""

from __future__ import annotations

import stat

import pytest

from tests.test_resume import _interrupted, audit  # noqa: F401  (the fixture)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_killed_runs_checkpoints_are_readable_by_their_owner_only(audit, monkeypatch):  # noqa: F811
    """The checkpoints of a killed run hold its raw model outputs in clear (a bundle keeps them only
    encrypted): the folder is 0700 and every file in it 0600, not 0755/0644 (world-readable)."""
    raw_cfg, cat = audit
    run = _interrupted(raw_cfg, cat, monkeypatch)
    folder = cat.runs_dir / f".partial-{run}"
    files = sorted(p.name for p in folder.iterdir())
    assert "config.json" in files and "model-identity.json" in files and "loans.00000.parquet" in files
    assert _mode(folder) == 0o700
    assert {p.name: _mode(p) for p in folder.iterdir()} == {name: 0o600 for name in files}


# -- a download button's deferred builder builds only for a session still valid at build time ------

PAGE = """
import streamlit as st
from dashboard import auth
from dashboard.views import reports
from streamlit.delta_generator import DeltaGenerator
built = st.session_state.setdefault("builders", {})
real, real_st = DeltaGenerator.download_button, st.download_button
def spy(self, label, data, *args, **kw):
    built[label] = data
    return real(self, label, data, *args, **kw)
DeltaGenerator.download_button = spy
st.download_button = lambda label, data, *a, **kw: spy(st._main, label, data, *a, **kw)
user = auth.current_user()
try:
    reports._reports("r1")
    reports._tables("r1")
    reports._retraining("r1")
finally:
    DeltaGenerator.download_button, st.download_button = real, real_st
"""


@pytest.fixture
def signed_in_page(tmp_path, monkeypatch):
    from audits.store.catalog import Catalog
    from audits.store.queries import users as users_q
    from audits.trust import session
    from tests.trust.conftest import make_run

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv(session.IDLE_ENV, raising=False)
    monkeypatch.setenv("ASSAY_CATALOG", str(tmp_path / "c.duckdb"))
    cat = Catalog(tmp_path / "c.duckdb")
    users_q.add_user(cat, "ada", "admin", "ada-password-1", actor="ada")
    users_q.add_user(cat, "cleo", "committee", "cleo-password-1", actor="ada")
    make_run(cat)
    token = session.start(cat, "cleo")
    return cat, token


def _render(token: str) -> dict:
    """Render the Reports page's buttons in a tab signed in with ``token``; their builders by label."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(PAGE, default_timeout=60)
    at.session_state["assay_auth_token"] = token
    at.run()
    assert not at.exception, at.exception
    builders = at.session_state["builders"]
    assert st.download_button.__name__ == "download_button"
    return builders


def _downloads(cat) -> int:
    from audits.store.queries import audit_log

    with cat.connect() as con:
        log = audit_log.entries(con)
    return int(log["details"].astype(str).str.contains("dashboard download").sum())


def test_a_download_builds_while_the_session_is_valid_and_is_logged(signed_in_page):
    cat, token = signed_in_page
    builders = _render(token)
    assert {"Evidence pack (zip)", "CSV", "Parquet", "HTML report"} <= set(builders)
    before = _downloads(cat)
    assert builders["CSV"]().startswith(b"task,") and _downloads(cat) == before + 1


@pytest.mark.parametrize("end", ["signed out", "user removed", "role changed"])
def test_a_download_after_the_session_ended_builds_nothing(signed_in_page, end):
    """Signed out in another tab, the user removed, or their role lowered: the buttons this tab
    rendered before must not build the evidence pack, a table or a report (they did: the builder
    carried the name resolved at render time and never looked again)."""
    from audits.errors import AssayError
    from audits.store.queries import users as users_q
    from audits.trust import session

    cat, token = signed_in_page
    builders = _render(token)
    if end == "signed out":
        session.end(cat, token, "signed out")
    elif end == "user removed":
        users_q.deactivate_user(cat, "cleo", actor="ada")
    else:
        users_q.add_user(cat, "cleo", "viewer", actor="ada")
    before = _downloads(cat)
    for label in ("Evidence pack (zip)", "CSV", "Parquet", "HTML report"):
        with pytest.raises(AssayError):
            builders[label]()
    assert _downloads(cat) == before


# -- verify reconciles sealed_notes (the only raw copy of a note kept under store_raw) ------------

def _keeping_run(cat, run_id: str = "r2") -> str:
    import pandas as pd

    from audits.store.bundle import write_bundle
    from audits.store.queries import runs as runs_q
    from audits.trust import keys

    runs_q.register_run(cat, run_id, "unit", "2026Q4", "cfg", "model", actor="tester")
    keys.new_run_key(run_id)
    bundle, sha = write_bundle(cat.runs_dir, run_id, {"samples": pd.DataFrame({"task": ["t"], "sample_id": ["1"]})},
                               {"run_id": run_id, "tasks": []},
                               {"name": "unit", "scanners": {"pii": {"store_raw": True}}}, {"audit": "unit"})
    runs_q.complete_run(cat, run_id, bundle, sha, "tester", "cpu")
    return run_id


@pytest.fixture
def sealed(catalog):
    from audits.store.queries import policies as policies_q
    from audits.store.queries import sealed_notes
    from tests.trust.conftest import raw

    run = _keeping_run(catalog)
    policies_q.add_signoff(catalog, run, "cleo", "committee", "approve", "call jane.roe@example.org first")
    with raw(catalog) as con:
        assert con.execute("SELECT count(*) FROM sealed_notes").fetchone()[0] == 1
    assert sealed_notes.raw_notes(catalog, run)["value"].tolist() == ["call jane.roe@example.org first"]
    return catalog, run


def test_sealed_notes_verify_as_written(sealed):
    from tests.trust.conftest import problems

    assert problems(sealed[0]) == []


def test_deleting_a_sealed_note_is_caught(sealed):
    """The sealed row is the only raw copy of the note (the stored note is redacted): deleting it
    outside `assay erase` loses it for good, and verify said the catalog was intact."""
    from tests.trust.conftest import problems, raw

    cat, run = sealed
    with raw(cat) as con:
        con.execute("DELETE FROM sealed_notes")
    found = problems(cat)
    assert len(found) == 1 and found[0].startswith("sealed_notes: the sealed raw note of signoffs row ")
    assert f"(run '{run}', log entry " in found[0] and found[0].endswith("deleted outside `assay erase`")


@pytest.mark.parametrize("sql", [
    "INSERT INTO sealed_notes SELECT run_id, 'attestations', 'x1', column_name, sealed, created_at FROM sealed_notes",
    "UPDATE sealed_notes SET run_id = 'r1'",
])
def test_a_forged_or_moved_sealed_note_is_caught(sealed, sql):
    from tests.trust.conftest import problems, raw

    cat, _ = sealed
    with raw(cat) as con:
        con.execute(sql)
    assert any(p.startswith("sealed_notes: a sealed note for ") and "matches no act" in p for p in problems(cat))


def test_an_erased_runs_sealed_notes_are_not_missing(sealed):
    from audits.commands.erase import erase
    from tests.trust.conftest import problems, raw

    cat, run = sealed
    erase(cat, run, "ada", reason="retention period over")
    with raw(cat) as con:
        assert con.execute("SELECT count(*) FROM sealed_notes").fetchone()[0] == 0
    assert problems(cat) == []


# -- the Audit log page shows verify's notes (an OLDER COPY), not only its problems ----------------

def test_the_audit_log_page_says_when_it_shows_an_older_copy(catalog, tmp_path, monkeypatch):
    """A copy of the catalog taken before later sign-offs verifies without a problem; `assay verify`
    notes it is an OLDER COPY, and the committee reading the dashboard on that copy must see it too."""
    import shutil

    from streamlit.testing.v1 import AppTest

    from audits.store.catalog import Catalog
    from audits.store.queries import policies as policies_q
    from audits.trust import session
    from audits.trust.verify import verify
    from tests.dashboard.conftest import PAGE_SOURCE

    old = tmp_path / "old" / "c.duckdb"
    old.parent.mkdir()
    shutil.copy(catalog.path, old)
    policies_q.add_signoff(catalog, "r1", "cleo", "committee", "reject", "found a regression")
    report = verify(Catalog(old))
    assert report.problems == [] and any("OLDER COPY" in n for n in report.notes)
    monkeypatch.setenv("ASSAY_CATALOG", str(old))
    at = AppTest.from_string(PAGE_SOURCE.format(name="audit_log"), default_timeout=120)
    at.session_state["assay_auth_token"] = session.start(Catalog(old), "ada")
    at.run()
    assert not at.exception, at.exception
    shown = [str(w.value) for w in at.warning]
    assert any(s.startswith("Note: this file is an OLDER COPY of its catalog") for s in shown), shown
