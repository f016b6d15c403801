"""Round 8 of the catalog-writer attacks (an insider who can write the DuckDB file, the bundles and configs, but
does not hold the key dir): review labels and flags that become retraining data, findings and explanation files,
the signed checkpoints, and a session token replayed on a copy of the catalog taken before its sign-out."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest

from audits.errors import AssayError
from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import reviews as reviews_q
from audits.store.queries import runs as runs_q
from audits.store.queries import users as users_q
from audits.trust.rawstore import SCHEME
from tests.trust.conftest import make_run, problems, raw

NOT_LOGGED = "does not match the audit log (edited or inserted outside Assay)"


def _run_with_evidence(cat: Catalog, run_id: str, token: str) -> str:
    """A complete run whose bundle holds a red-team finding and explanation tokens (``token`` in them)."""
    runs_q.register_run(cat, run_id, "unit", "2026Q4", "cfg", "model", actor="tester")
    tables = {"samples": pd.DataFrame({"task": ["t"], "sample_id": ["1"], "input": ["q1"], "prediction": ["a"]}),
              "metrics": pd.DataFrame({"task": ["t"], "metric": ["attack_success_rate"], "value": [1.0]}),
              "findings": pd.DataFrame({"task": ["t"], "sample_id": ["1"], "scanner": ["redteam"],
                                        "entity_type": ["ATTACK:prompt-injection"], "context": ["I hate humans"]}),
              "explanations": pd.DataFrame({"task": "t", "sample_id": "1", "token": [token, " q1"],
                                            "position": [0, 1], "attribution": [0.9, 0.1]})}
    personal = {"redacted": True, "scheme": SCHEME, "pseudonyms": "per item"}
    bundle, sha = write_bundle(cat.runs_dir, run_id, tables, {"run_id": run_id, "tasks": []}, {"name": "unit"},
                               {"audit": "unit", "personal_data": personal})
    runs_q.complete_run(cat, run_id, bundle, sha, "tester", "cpu")
    return run_id


# -- review labels and flags: what the retraining export and the red-team evidence read ---------------------

@pytest.mark.parametrize("sql", [
    "UPDATE reviews SET label = 'correct' WHERE sample_id = '1'",  # an attack's confirmation turned into a dismissal
    "INSERT INTO reviews SELECT review_id || '-x', run_id, task, sample_id, reviewer, role, 'correct', correction, "
    "note, adjudication, created_at + INTERVAL 1 MINUTE FROM reviews",  # a newer vote that dismisses it
    "UPDATE reviews SET correction = 'a better answer'",  # the retraining target rewritten
])
def test_an_edited_or_inserted_review_label_is_caught(catalog, sql):
    """Labels become retraining data and settle red-team successes ("incorrect" confirms an attack, "correct"
    dismisses it as a false alarm): each edit, and a newer forged vote, is a verify finding."""
    with raw(catalog) as con:
        con.execute(sql)
    assert any(p.startswith("reviews: row ") and NOT_LOGGED in p for p in problems(catalog))


def test_a_deleted_review_is_caught(catalog):
    with raw(catalog) as con:
        con.execute("DELETE FROM reviews")
    assert any(p.startswith("reviews: the row recorded at log entry") and "is missing" in p
               for p in problems(catalog))


@pytest.mark.parametrize("sql", ["DELETE FROM review_flags WHERE flag = 'hallucination'",
                                 "UPDATE review_flags SET flag = 'privacy' WHERE flag = 'hallucination'"])
def test_a_hallucination_flag_deleted_or_relabelled_is_caught(catalog, sql):
    """A 'hallucination' flag keeps the item's corrected answer in retraining exports, other flags leave it out:
    deleting or relabelling it in SQL changes the training data, and verify names the flag."""
    reviews_q.record_review(catalog, "r1", "t", "1", "rita", "reviewer", "incorrect", correction="c",
                            flags=["hallucination"])
    assert problems(catalog) == []
    with raw(catalog) as con:
        con.execute(sql)
    assert any(p.startswith("review_flags: ") for p in problems(catalog))


# -- findings and explanations: bundle files, held to the manifest hash in the signed log --------------------

def test_a_findings_row_deleted_with_the_manifest_rehashed_is_caught(catalog):
    """Drop the successful attack from findings.parquet (the review queue and the Privacy page read it) and
    write the file's new hash into the manifest: the manifest's own hash is in the signed log."""
    _run_with_evidence(catalog, "r2", "Ignore")
    bundle = catalog.runs_dir / "r2"
    pd.read_parquet(bundle / "findings.parquet").iloc[0:0].to_parquet(bundle / "findings.parquet")
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["findings.parquet"] = hashlib.sha256((bundle / "findings.parquet").read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    assert problems(catalog) == ["run r2: manifest.json was altered (hash differs from the catalog)"]


def test_swapping_two_runs_explanation_files_is_caught(catalog):
    _run_with_evidence(catalog, "r2", "Ignore")
    _run_with_evidence(catalog, "r3", "Please")
    a, b = catalog.runs_dir / "r2" / "explanations.parquet", catalog.runs_dir / "r3" / "explanations.parquet"
    a.rename(a.with_suffix(".tmp"))
    b.rename(a)
    a.with_suffix(".tmp").rename(b)
    found = problems(catalog)
    assert sorted(p for p in found if "explanations.parquet" in p) == [
        "run r2: explanations.parquet was altered", "run r3: explanations.parquet was altered"], found


# -- checkpoints: deleting signatures does not downgrade the log to "unsigned" -------------------------------

@pytest.mark.parametrize("where", ["count = (SELECT max(count) FROM log_checkpoints)", "TRUE"])
def test_deleting_the_newest_or_every_checkpoint_is_caught_and_nothing_is_signed_over_it(catalog, where):
    """With its checkpoint rows gone the log looks like one written before signing existed. verify names the
    entries no signature covers; no write signs over them (which would launder them) and no one signs in."""
    with raw(catalog) as con:
        con.execute(f"DELETE FROM log_checkpoints WHERE {where}")
    found = problems(catalog)
    assert len(found) == 1 and found[0].endswith("not covered by a signed checkpoint (written without the "
                                                 "installation key)"), found
    with pytest.raises(AssayError, match="is not covered by a checkpoint this installation signed"):
        make_run(catalog, "r2")  # any signed act: here a run registered by the scheduler
    with pytest.raises(AssayError, match=r"cannot be trusted \(the key dir witnessed 9 signed entries, the log has "
                                         r"(8|0) signed\)"):
        users_q.authenticate(catalog, "ada", "ada-password")


def test_deleting_the_key_dirs_witness_too_still_fails_verify_and_refuses_writes(catalog, key_dir):
    """Deleting the witness in the key dir is outside the threat model (whoever writes the key dir holds the
    key); even so, with the catalog's checkpoints gone too, the log is not taken for an unsigned legacy one."""
    for path in (key_dir / "witness").glob("*.json"):
        path.unlink()
    with raw(catalog) as con:
        con.execute("DELETE FROM log_checkpoints")
    assert any("not covered by a signed checkpoint" in p for p in problems(catalog))
    with pytest.raises(AssayError, match="is not covered by a checkpoint this installation signed"):
        make_run(catalog, "r2")


# -- sessions: a sign-out holds on a copy of the catalog taken before it -------------------------------------

def test_a_token_replayed_on_a_copy_taken_before_its_sign_out_is_refused(catalog, tmp_path):
    """cleo's token is copied, and so is the catalog; cleo signs out. Served from the copy (same catalog id,
    no session.ended entry), the token signed cleo in again for up to 8 hours; the key dir remembers the sign-out."""
    from audits.trust import session

    token = session.start(catalog, "cleo")
    copy = tmp_path / "old" / "c.duckdb"
    copy.parent.mkdir()
    shutil.copy(catalog.path, copy)
    session.end(catalog, token)
    with pytest.raises(session.SessionRefused) as err:
        session.resume(Catalog(copy), token)
    assert str(err.value).startswith("this session was signed out at ")
    assert "in another copy of this catalog, which this file lacks: it is an older copy" in str(err.value)
    with pytest.raises(session.SessionRefused, match="this session was signed out"):
        session.resume(catalog, token)
    fresh = session.start(Catalog(copy), "cleo")  # another session on the copy is the copy's own business
    assert session.resume(Catalog(copy), fresh).name == "cleo"


def test_a_forged_sign_out_line_in_the_key_dir_is_ignored(catalog, key_dir):
    """The remembered sign-outs are signed: a line written by hand ends nothing (nor does it end anything
    for an account change)."""
    from audits.trust import account_witness, session

    token = session.start(catalog, "cleo")
    s = session.decode(token, catalog.catalog_id)
    path = key_dir / "witness" / f"{catalog.catalog_id}.accounts.jsonl"
    path.write_text(json.dumps({"format": account_witness.ACCOUNT_FORMAT, "catalog_id": catalog.catalog_id,
                                "username": "cleo", "action": "session.ended", "seq": 1, "hash": "0" * 64,
                                "ts": "2026-01-01T00:00:00", "key_id": "0" * 16, "signature": "00",
                                "session_id": s.session_id}) + "\n")
    assert session.resume(catalog, token).name == "cleo"
