"""Third adversarial round of issue 19: an insider who can write the catalog and the bundles (and run
Assay's own commands) but not read the installation key. Each attack here passed `assay verify` or
left personal data at rest before its fix; each test fails without that fix."""

from __future__ import annotations

import pytest

from audits.store.queries import reviews as reviews_q
from tests.trust.conftest import problems, raw


# -- review flags decide what a retraining export leaves out; verify reconciles them -------------

def _flagged(catalog) -> None:
    reviews_q.record_review(catalog, "r1", "t", "1", "rita", "reviewer", "incorrect", correction="c", flags=["unsafe"])


def test_deleting_a_review_flag_is_caught(catalog):
    """Deleting an 'unsafe' flag puts the item back into retraining exports; verify must say so."""
    _flagged(catalog)
    assert problems(catalog) == []
    with raw(catalog) as con:
        con.execute("DELETE FROM review_flags WHERE flag = 'unsafe'")
    assert reviews_q.item_flags(catalog, "r1") == {}
    found = problems(catalog)
    assert len(found) == 1 and found[0].startswith("review_flags: the flag 'unsafe' on r1/t/1 recorded at log entry")


@pytest.mark.parametrize("sql", [
    "INSERT INTO review_flags SELECT review_id, run_id, task, sample_id, reviewer, 'privacy', created_at FROM review_flags",
    "UPDATE review_flags SET reviewer = 'cleo'",
    "UPDATE review_flags SET sample_id = '2'",
])
def test_a_forged_or_edited_review_flag_is_caught(catalog, sql):
    _flagged(catalog)
    with raw(catalog) as con:
        con.execute(sql)
    assert any(p.startswith("review_flags: flag ") and "does not match the audit log" in p for p in problems(catalog))


def test_a_catalog_without_review_flags_still_verifies(catalog):
    """The table is made on first use: a catalog that never flagged anything has none, and verifies."""
    with raw(catalog) as con:
        assert not con.execute("SELECT count(*) FROM information_schema.tables "
                               "WHERE table_name = 'review_flags'").fetchone()[0]
    assert problems(catalog) == []


# -- text that goes into the append-only log or the evidence tables is redacted ----------------

SUBJECT = "Jane Doe jane.doe@example.com +1 415-555-0132"


def _catalog_text(catalog) -> str:
    with raw(catalog) as con:
        return "\n".join(con.execute(f'SELECT * FROM "{t}"').df().to_csv()
                         for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall())


def test_an_erase_reason_naming_the_data_subject_is_logged_redacted(catalog):
    """The reason is kept in the append-only log for good (nothing can erase it): it must not hold the
    very person whose erasure it records."""
    from audits.commands.erase import erase

    erase(catalog, "r1", "ada", reason=f"GDPR art. 17 request from {SUBJECT}")
    text = _catalog_text(catalog)
    assert "jane.doe@example.com" not in text and "415-555-0132" not in text and "Jane Doe" not in text
    assert "GDPR art. 17 request from <PERSON> <EMAIL_ADDRESS> <PHONE_NUMBER>" in text
    assert problems(catalog) == []


def test_an_attestation_evidence_link_is_stored_and_logged_redacted(catalog):
    from audits.store.queries import policies as policies_q

    policies_q.add_attestation(catalog, "r1", "gdpr", "DPIA", "carol", "compliance", "compliance", note="ok",
                               evidence_link="mailto:jane.doe@example.com?subject=Jane Doe DPIA")
    policies_q.add_attestation(catalog, "r1", "gdpr", "ROPA", "carol", "compliance", "compliance", note="ok",
                               evidence_link="https://wiki.example.org/privacy/ropa-2026-q4.pdf")
    text = _catalog_text(catalog)
    assert "jane.doe@example.com" not in text and "Jane Doe" not in text
    links = policies_q.list_attestations(catalog, "r1")["evidence_link"].tolist()
    assert links[-2:] == ["mailto:<EMAIL_ADDRESS>?subject=<PERSON>", "https://wiki.example.org/privacy/ropa-2026-q4.pdf"]
    assert problems(catalog) == []


# -- an alert webhook's URL is its secret: it never goes into the log (viewers, reports) ---------

def test_a_webhook_url_is_not_written_into_the_audit_log(catalog):
    """Anyone holding a Slack/Teams incoming-webhook URL can post to the channel (e.g. a fake 'all
    controls pass'); the log, which every viewer and every report's appendix reads, kept it whole."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from policies import Checklist, ChecklistItem, load_pack
    from policies.notify import send_alerts
    from policies.schema import Notify

    got: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = "T0AAAAAAA/B0BBBBBBB/XyZsEcReTtOkEn0123456789"
    url = f"http://127.0.0.1:{server.server_port}/services/{secret}"
    try:
        pack = load_pack("internal-llm").model_copy(update={"notify": Notify(webhook=url)})
        item = ChecklistItem(pack=pack.name, control_id="ACC-1", title="accuracy", source="internal", owner="ml",
                             severity="high", kind="check", status="fail", value=0.4, threshold=">= 0.85")
        [delivery] = send_alerts(catalog, Checklist("r1", [pack.name], [item]), [pack], {"run_id": "r1"}, "ada")
    finally:
        server.shutdown()
        server.server_close()
    assert delivery.delivered and len(got) == 1  # the alert itself still arrives
    assert secret not in _catalog_text(catalog) and "XyZsEcReTtOkEn" not in delivery.target
    assert delivery.target.startswith("http://127.0.0.1/… (sha256 ")
    assert problems(catalog) == []


# -- rollback and swapped bundles -------------------------------------------------------------

def test_an_older_copy_at_another_path_says_it_is_out_of_date(catalog, tmp_path):
    """A copy taken after the first sign-off, read at another path after a second (reject) sign-off:
    it verifies (it is an honest prefix), but must not pass as current."""
    import shutil

    from audits.store.catalog import Catalog
    from audits.store.queries import policies as policies_q
    from audits.trust.verify import verify

    old = tmp_path / "old" / "c.duckdb"
    old.parent.mkdir()
    shutil.copy(catalog.path, old)
    policies_q.add_signoff(catalog, "r1", "cleo", "committee", "reject", "found a problem")
    shutil.copytree(catalog.runs_dir, old.parent / "c.runs")
    report = verify(Catalog(old))
    assert report.problems == []
    assert any(n.startswith("this file is an OLDER COPY of its catalog: the key dir signed ") and
               f"this file has {report.entries}" in n for n in report.notes), report.notes
    shutil.copy(catalog.path, old)  # an up-to-date copy is not called older
    assert not any("OLDER COPY" in n for n in verify(Catalog(old)).notes)


def test_swapping_two_runs_bundle_directories_is_caught(catalog):
    from tests.trust.conftest import make_run

    make_run(catalog, "r2")
    runs = catalog.runs_dir
    (runs / "r1").rename(runs / "swap")
    (runs / "r2").rename(runs / "r1")
    (runs / "swap").rename(runs / "r2")
    assert sorted(problems(catalog)) == ["run r1: manifest.json was altered (hash differs from the catalog)",
                                         "run r2: manifest.json was altered (hash differs from the catalog)"]


def test_a_failed_runs_error_quoting_a_row_is_stored_and_logged_redacted(catalog):
    """An error can quote the row it failed on; runs.error, run_events and the log keep it for good."""
    from audits.store.queries import runs as runs_q

    runs_q.register_run(catalog, "r9", "unit", "2026Q4", "cfg", "model", actor="ada")
    runs_q.fail_run(catalog, "r9", "ValueError: cannot parse {'q': 'mail jane.doe@example.com or call "
                                   "+1 415-555-0132, card 4111 1111 1111 1111'}", "ada")
    text = _catalog_text(catalog)
    assert "jane.doe@example.com" not in text and "415-555-0132" not in text and "4111 1111" not in text
    assert "ValueError: cannot parse {'q': 'mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>, card <CREDIT_CARD>'}" in text
    assert problems(catalog) == []


# -- sessions: a sign-out holds even when its log entry is cut out of the catalog -------------

def test_deleting_the_sign_out_entry_does_not_revive_the_token(catalog):
    """A token copied before its owner signed out; the insider then deletes the ``session.ended`` entry
    (a middle one: the witness still matches the newest). The dashboard process, which caches the
    verified log, accepted the token again; a fresh process refuses the broken log outright."""
    from audits.store.queries import users as users_q
    from audits.trust import session

    token = session.start(catalog, "cleo")
    assert session.resume(catalog, token).name == "cleo"
    session.end(catalog, token)
    users_q.add_user(catalog, "remy", "reviewer", "remy-password", actor="ada")  # the log moves on
    with pytest.raises(session.SessionRefused, match="this session was signed out"):
        session.resume(catalog, token)
    with raw(catalog) as con:
        con.execute("DELETE FROM audit_log WHERE action = 'session.ended'")
    with pytest.raises(session.SessionRefused, match="this session was signed out"):
        session.resume(catalog, token)
    assert any("entry" in p and "missing" in p for p in problems(catalog))


# -- identifiers: a production log's user id as the cluster column -----------------------------

def test_a_cluster_id_holding_an_email_is_pseudonymised_at_rest(key_dir):
    """``cluster: user`` on a production log whose user ids are e-mail addresses kept them raw in
    samples.parquet; each becomes its redacted text and a number per distinct user (still distinct)."""
    import pandas as pd

    from audits.trust import rawstore

    samples = pd.DataFrame({"task": ["t"] * 4, "sample_id": ["1", "2", "3", "4"],
                            "input": ["where is my invoice?"] * 4, "prediction": ["in the portal"] * 4,
                            "cluster": ["jane.doe@example.com", "bob.roe@example.org", "jane.doe@example.com",
                                        "context-7"]})
    out, _, _ = rawstore.protect("r1", {"samples": samples}, None)
    assert out["samples"]["cluster"].tolist() == ["<EMAIL_ADDRESS> #1", "<EMAIL_ADDRESS> #2", "<EMAIL_ADDRESS> #1",
                                                  "context-7"]
    assert samples["cluster"].iloc[0] == "jane.doe@example.com"  # the run's own frame is not changed


def test_an_extra_file_or_a_manifest_rewritten_with_every_hash_recomputed_is_caught(catalog):
    """The manifest's own SHA-256 is in the signed log: recomputing the hashes it lists does not help."""
    import hashlib
    import json

    import pandas as pd

    bundle = catalog.runs_dir / "r1"
    extra = bundle / "notes.txt"
    extra.write_text("added later")
    assert problems(catalog) == ["run r1: unexpected file notes.txt"]
    extra.unlink()
    samples = bundle / "samples.parquet"
    frame = pd.read_parquet(samples)
    frame.loc[0, "prediction"] = "forged"
    samples.chmod(0o644)
    frame.to_parquet(samples)
    manifest = bundle / "manifest.json"
    data = json.loads(manifest.read_text())
    data["files"]["samples.parquet"] = hashlib.sha256(samples.read_bytes()).hexdigest()
    manifest.chmod(0o644)
    manifest.write_text(json.dumps(data))
    assert problems(catalog) == ["run r1: manifest.json was altered (hash differs from the catalog)"]


def test_sample_ids_holding_personal_data_are_counted_in_the_manifest(key_dir):
    """A run whose ids hold e-mail-like values says so in its manifest's personal_data (they are
    pseudonymised: tests/trust/test_sample_id_pseudonyms.py), instead of nothing."""
    import pandas as pd

    from audits.trust import rawstore

    samples = pd.DataFrame({"task": ["t"] * 3, "sample_id": ["jane.doe@example.com#1", "jane.doe@example.com#2", "s3"],
                            "input": ["hi"] * 3, "prediction": ["hello"] * 3})
    _, _, summary = rawstore.protect("r1", {"samples": samples}, None)
    assert summary.model_dump()["ids_with_personal_data"]["sample_id"] == 2
    _, _, clean = rawstore.protect("r2", {"samples": samples.assign(sample_id=["1", "2", "3"])}, None)
    assert "ids_with_personal_data" not in clean.model_dump()


# -- erase covers an interrupted job's resume checkpoints (raw outputs in clear) ---------------

def test_erase_deletes_a_stopped_runs_resume_checkpoints_and_refuses_a_live_one(catalog):
    import os

    import pandas as pd

    from audits.commands.erase import erase
    from audits.errors import AssayError
    from audits.store.queries import runs as runs_q

    runs_q.register_run(catalog, "r7", "unit", "2026Q4", "cfg", "model", actor="ada")
    partial = catalog.runs_dir / ".partial-r7"
    partial.mkdir(parents=True)
    pd.DataFrame({"sample_id": ["1"], "prediction": ["Write to jane.doe@example.com"]}).to_parquet(
        partial / "t.00000.parquet")
    with raw(catalog) as con:  # the job that holds the lease is this (live) process
        con.execute("UPDATE runs SET lease_host = ?, lease_pid = ?, heartbeat_at = now() WHERE run_id = 'r7'",
                    [os.uname().nodename, os.getpid()])
    with pytest.raises(AssayError, match="run 'r7' is still running"):
        erase(catalog, "r7", "ada")
    assert partial.is_dir()
    runs_q.fail_run(catalog, "r7", "killed", "ada")
    done = erase(catalog, "r7", "ada")
    assert done.partial_deleted and not partial.exists()
    assert not list(catalog.runs_dir.glob(".erasing-*"))
    assert problems(catalog) == []
