"""Round 6 of the catalog-writer attacks (an insider who can write the DuckDB file and the bundles, but
does not hold the key dir): each attack is shown, then refused or named."""

from __future__ import annotations

import io
import os
import socket
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from audits.commands.erase import erase
from audits.errors import AssayError
from audits.store import lease
from audits.store.queries import runs as runs_q
from tests.trust.conftest import problems, raw


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _stopped_run_with_checkpoints(cat, run_id: str = "r7"):
    runs_q.register_run(cat, run_id, "unit", "2026Q4", "cfg", "model", actor="ada")
    partial = cat.runs_dir / f".partial-{run_id}"
    partial.mkdir(parents=True)
    pd.DataFrame({"sample_id": ["1"], "prediction": ["Write to jane.doe@example.com"]}).to_parquet(
        partial / "t.00000.parquet")
    return partial


# -- 1: the lease's heartbeat is unsigned: a future one must not block erase for ever ----------------------

def test_a_heartbeat_set_in_the_future_does_not_make_erase_refuse_for_ever(catalog, capsys, monkeypatch):
    partial = _stopped_run_with_checkpoints(catalog)
    with raw(catalog) as con:  # the attack: a job on another host that beats "next year"
        con.execute("UPDATE runs SET lease_host = 'build-7', lease_pid = 4242, heartbeat_at = ? WHERE run_id = 'r7'",
                    [_utcnow() + timedelta(days=365)])
    run = runs_q.get_run(catalog, "r7")
    assert lease.effective_status("running", run["lease_host"], run["lease_pid"], run["heartbeat_at"]) == "interrupted"
    from audits.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("ada-password\n"))
    capsys.readouterr()
    code = main(["--catalog", str(catalog.path), "erase", "r7", "--user", "ada", "--password-stdin"])
    out = capsys.readouterr().out
    assert code == 0 and not partial.exists(), out
    assert "note: run 'r7' is marked running, but its heartbeat" in out and "is in the future" in out, out
    assert "resume checkpoints" in out
    assert "is in the future" in _logged(catalog, "run.erased", "r7")[-1]["stale_lease"]


def _logged(cat, action: str, target: str) -> list[dict]:
    import json

    with raw(cat) as con:
        rows = con.execute("SELECT details FROM audit_log WHERE action = ? AND target = ? ORDER BY seq",
                           [action, target]).fetchall()
    return [json.loads(d) for (d,) in rows]


def test_a_live_lease_still_refuses_with_the_job_and_how_it_clears(catalog):
    partial = _stopped_run_with_checkpoints(catalog)
    with raw(catalog) as con:  # a real job: this process, beating now
        con.execute("UPDATE runs SET lease_host = ?, lease_pid = ?, heartbeat_at = ? WHERE run_id = 'r7'",
                    [socket.gethostname(), os.getpid(), _utcnow()])
    with pytest.raises(AssayError) as err:
        erase(catalog, "r7", "ada")
    text = str(err.value)
    assert "\n" not in text and f"its job pid {os.getpid()} on {socket.gethostname()} holds the lease" in text
    assert f"stops counting {lease.STALE_S:g} s after its last heartbeat" in text
    assert partial.is_dir()


def test_a_heartbeat_a_little_ahead_is_clock_skew_and_a_missing_one_counts_from_the_start(catalog):
    now = _utcnow()
    assert lease.not_live("other", 1, now + timedelta(seconds=lease.SKEW_S / 2), now) is None  # skewed clock: live
    assert "in the future" in lease.not_live("other", 1, now + timedelta(seconds=lease.SKEW_S + 5), now)
    assert "over" in lease.not_live("other", 1, now - timedelta(seconds=lease.STALE_S + 5), now)
    assert lease.not_live(None, None, None, now, started=now - timedelta(seconds=10)) is None  # just registered
    assert "no heartbeat" in lease.not_live(None, None, None, now, started=now - timedelta(days=2))
    partial = _stopped_run_with_checkpoints(catalog, "r8")
    with raw(catalog) as con:  # the attack's other form: the heartbeat wiped, the run left "running"
        con.execute("UPDATE runs SET lease_host = NULL, lease_pid = NULL, heartbeat_at = NULL, "
                    "created_at = created_at - INTERVAL 1 DAY WHERE run_id = 'r8'")
    done = erase(catalog, "r8", "ada")
    assert done.partial_deleted and not partial.exists() and "no heartbeat" in done.stale_lease


# -- 5a: a file erase dropped, copied back into the bundle from a backup ------------------------------------

def test_an_erased_file_restored_from_a_copy_is_named_by_verify(catalog):
    """Attack: keep a copy of a bundle, let `assay erase` drop its files holding personal data, then copy
    them back. Every hash still matches the manifest, so the bundle check alone passed it as intact."""
    import shutil

    from audits.store.bundle import write_bundle

    runs_q.register_run(catalog, "old", "unit", "2026Q3", "cfg", "model", actor="ada")
    ids = ["jane.doe@example.com", "s2"]  # written before sample ids were pseudonymised
    tables = {"samples": pd.DataFrame({"task": ["t", "t"], "sample_id": ids, "input": ["q1", "q2"],
                                       "prediction": ["a", "b"]}),
              "metrics": pd.DataFrame({"task": ["t"], "metric": ["accuracy"], "value": [0.5]})}
    bundle, sha = write_bundle(catalog.runs_dir, "old", tables, {"run_id": "old", "tasks": []}, {"name": "unit"},
                               {"audit": "unit"})
    runs_q.complete_run(catalog, "old", bundle, sha, "ada", "cpu")
    backup = catalog.path.parent / "backup-samples.parquet"
    shutil.copy(bundle / "samples.parquet", backup)
    assert "samples.parquet" in erase(catalog, "old", "ada").dropped_files
    assert problems(catalog) == []
    shutil.copy(backup, bundle / "samples.parquet")  # the erased personal data is back, hash and all
    (found,) = [p for p in problems(catalog) if "run old" in p]
    assert found.startswith("run old: samples.parquet is back in its bundle although `assay erase` dropped it (log "
                            "entry ") and found.endswith("restored from a copy; delete the file"), found
    (bundle / "samples.parquet").unlink()
    assert problems(catalog) == []


# -- 5b: review leases are unsigned too: one held "until 2099" must not hide items from every reviewer ----------

def test_review_leases_set_far_ahead_do_not_keep_items_from_reviewers(catalog):
    from audits.store.bundle import write_bundle
    from audits.store.queries import _review_queue as rq
    from audits.store.queries import reviews as reviews_q

    runs_q.register_run(catalog, "r9", "unit", "2026Q4", "cfg", "model", actor="ada")
    ids = ["1", "2", "3"]
    tables = {"samples": pd.DataFrame({"task": "t", "sample_id": ids, "input": ["q1", "q2", "q3"],
                                       "prediction": ["a", "b", "c"]}),
              "review_queue": pd.DataFrame({"task": "t", "sample_id": ids, "reason": "random", "stratum": "all",
                                            "priority": [1, 2, 3]})}
    bundle, sha = write_bundle(catalog.runs_dir, "r9", tables, {"run_id": "r9", "tasks": []}, {"name": "unit"},
                               {"audit": "unit"})
    runs_q.complete_run(catalog, "r9", bundle, sha, "ada", "cpu")
    with catalog.connect(write=True) as con:
        con.execute(rq._LEASE_DDL)
    with raw(catalog) as con:  # the attack: every item leased to a made-up reviewer until 2099
        for sid in ids:
            con.execute("INSERT INTO review_leases VALUES ('r9', 't', ?, 'ghost', TIMESTAMP '2099-01-01')", [sid])
    first = reviews_q.claim_next_item(catalog, "r9", "rita")
    assert first is not None and first["sample_id"] == "1"
    assert reviews_q.claim_next_item(catalog, "r9", "remy")["sample_id"] == "2"  # a real lease (rita's) still holds
