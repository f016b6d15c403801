"""Round-5 follow-up on issue 19: a failed run's error, cluster ids, correction pseudonyms."""

from __future__ import annotations

import pandas as pd

from tests.trust.conftest import raw
from tests.trust.test_attacks_round3 import _catalog_text


def test_a_failed_runs_error_quoting_a_name_and_street_is_stored_and_logged_redacted(catalog):
    """The error was redacted with the patterns only: a quoted name stayed in the append-only log."""
    from audits.store.queries import runs as runs_q

    runs_q.register_run(catalog, "r9", "unit", "2026Q4", "cfg", "model", actor="ada")
    runs_q.fail_run(catalog, "r9", "ValueError: cannot parse row {'q': 'ship to Derrick Jones, 7851 Miller Mission'}",
                    "ada")
    text = _catalog_text(catalog)
    # "7851 " with its space: the bare digits turn up in a hex digest by chance (about 8% of runs; it failed once)
    assert "Derrick" not in text and "Jones" not in text and "Miller Mission" not in text and "7851 " not in text
    with raw(catalog) as con:
        error = con.execute("SELECT error FROM runs WHERE run_id = 'r9'").fetchone()[0]
    assert error.startswith("ValueError: cannot parse row {'q': 'ship to <PERSON>, <LOCATION>'}")


def test_plain_cluster_ids_stay_and_an_email_cluster_id_is_pseudonymised(key_dir):
    """spaCy reads ``s6`` as a place: a benchmark-style cluster id became ``<LOCATION> #1``. Cluster ids
    now follow the sample-id rule (plain ids: patterns only; hits under 3 characters ignored)."""
    from audits.trust import rawstore

    samples = pd.DataFrame({"task": ["t"] * 5, "sample_id": ["1", "2", "3", "4", "5"],
                            "input": ["where is my invoice?"] * 5, "prediction": ["in the portal"] * 5,
                            "cluster": ["s6", "jane.doe@example.com", "s6", "US", "q-17"]})
    out, _, _ = rawstore.protect("r1", {"samples": samples}, None)
    assert out["samples"]["cluster"].tolist() == ["s6", "<EMAIL_ADDRESS> #1", "s6", "US", "q-17"]


def test_a_correction_is_numbered_after_the_items_pseudonyms_and_stays_so_in_retraining_data(catalog):
    """Corrections were stored with bare tags (``<PERSON>``) beside an item whose prompt says ``<PERSON_1>``:
    a new name in the correction is now ``<PERSON_2>`` (the next number), a tag typed as it stands is kept,
    and the SFT record built from it keeps the same numbering."""
    from audits.review import retraining
    from audits.store.bundle import write_bundle
    from audits.store.queries import reviews as reviews_q
    from audits.store.queries import runs as runs_q

    runs_q.register_run(catalog, "r5", "unit", "2026Q4", "cfg", "model", actor="ada")
    tables = {"samples": pd.DataFrame({"task": ["t"], "sample_id": ["1"],
                                       "input": ["Write a reply to <PERSON_1> about the refund."],
                                       "prediction": ["Dear customer, no."], "reference": [None]}),
              "review_queue": pd.DataFrame({"task": ["t"], "sample_id": ["1"], "reason": ["random"],
                                            "stratum": ["all"], "priority": [1]})}
    bundle, sha = write_bundle(catalog.runs_dir, "r5", tables, {"run_id": "r5", "tasks": []}, {"name": "unit"},
                               {"audit": "unit"})
    runs_q.complete_run(catalog, "r5", bundle, sha, "ada", "cpu")
    reviews_q.record_review(catalog, "r5", "t", "1", "rita", "reviewer", "incorrect",
                            correction="Dear <PERSON_1>, your refund was approved by Maria Lopez.",
                            note="checked with Maria Lopez")
    with raw(catalog) as con:
        correction, note = con.execute("SELECT correction, note FROM reviews WHERE run_id = 'r5'").fetchone()
    assert correction == "Dear <PERSON_1>, your refund was approved by <PERSON_2>."
    assert note == "checked with <PERSON_2>"
    records = retraining.build_sft(catalog, "r5")
    assert records and records[0]["messages"][-1]["content"] == correction
    assert "Maria" not in _catalog_text(catalog)


def test_a_download_by_an_unlisted_oidc_user_verifies_under_the_claimed_role(tmp_path, monkeypatch):
    """An OIDC user with no users row (role from the provider's claim) downloads a table: the act was logged
    under a name the log never made a user, and verify called a legitimate act "not an active user then".
    The entry now records the claim and verify checks the act against it; a claim that does not allow
    the act, or one written for a listed user, is still a problem."""
    from audits.store.catalog import Catalog
    from audits.store.queries import policies as policies_q
    from audits.store.queries import users as users_q
    from audits.trust import session
    from audits.trust.verify import verify
    from tests.dashboard.test_downloads_sessions import _build
    from tests.trust.conftest import make_run

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    cat = Catalog(tmp_path / "c.duckdb")
    users_q.add_user(cat, "ada", "admin", "ada-password-1", actor="ada")
    make_run(cat)
    build, made = _build(cat, "oidc", session.ticket(cat, "nina@example.org", None), role="compliance",
                         name="nina@example.org")
    assert build() and made == ["compliance"]
    assert verify(cat).problems == []
    # a claim whose role may not do the act, and a claim on the name of a listed (here removed) user
    policies_q.record_report(cat, "r1", "vic@example.org", "x", "0" * 64, "csv", None,
                             {"source": "oidc", "role": "nobody"})
    users_q.add_user(cat, "olga@example.org", "viewer", actor="ada")
    users_q.deactivate_user(cat, "olga@example.org", actor="ada")
    policies_q.record_report(cat, "r1", "olga@example.org", "x", "0" * 64, "csv", None,
                             {"source": "oidc", "role": "compliance"})
    found = verify(cat).problems
    assert len(found) == 2 and "'vic@example.org'" in found[0] and "olga@example.org" in found[1]


def test_a_retraining_export_by_an_unlisted_oidc_user_verifies_under_the_claimed_role(tmp_path, monkeypatch):
    """The same for the Review page's retraining download (``export.retraining-*``)."""
    from audits.access import User
    from audits.store.catalog import Catalog
    from audits.store.queries import users as users_q
    from audits.trust import session
    from audits.trust.verify import verify
    from dashboard.downloads import Holder
    from dashboard.views.review_exports import jsonl_builder
    from tests.trust.conftest import make_run

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    cat = Catalog(tmp_path / "c.duckdb")
    users_q.add_user(cat, "ada", "admin", "ada-password-1", actor="ada")
    make_run(cat)
    who = Holder(User("nina@example.org", "admin", "oidc"), session.ticket(cat, "nina@example.org", None))
    assert jsonl_builder(cat, who, "r1", "sft", False, [], [])() is not None
    with cat.connect() as con:
        from audits.store.queries import audit_log
        assert "export.retraining-sft" in audit_log.entries(con)["action"].tolist()
    assert verify(cat).problems == []


def test_a_failed_runs_error_is_redacted_with_the_runs_own_pii_settings(catalog):
    """A word the run's ``deny_list`` names (a project code name) is redacted in the stored error too."""
    from audits.store.queries import runs as runs_q

    runs_q.register_run(catalog, "r8", "unit", "2026Q4", "cfg", "model", actor="ada")
    runs_q.fail_run(catalog, "r8", "RuntimeError: row mentions Nightjar", "ada",
                    {"deny_list": {"PROJECT": ["Nightjar"]}})
    assert "Nightjar" not in _catalog_text(catalog)
    assert runs_q.get_run(catalog, "r8")["error"] == "RuntimeError: row mentions <PROJECT>"
