"""Round 7 of the catalog-writer attacks (an insider who can write the DuckDB file, the bundles, the config and
the files beside the data, but does not hold the key dir): the logs import record, forks and rollbacks of the
catalog file, and signed acts' times."""

from __future__ import annotations

import hashlib
import json
import shutil

import duckdb
import pytest

from audits.cli import main
from audits.errors import AssayError
from audits.datasets.raw_log import record_path
from audits.store import bundle_reader
from audits.store.catalog import Catalog
from audits.store.queries import policies as policies_q
from audits.store.queries import runs as runs_q
from audits.store.queries import users as users_q
from audits.trust.verify import verify
from tests.trust.conftest import problems, raw, rechain
from tests.monitoring.conftest import log_config, run_config, write_log

FLAT = {"fields": {"id": "sample_id", "reference": "answer"}}


def _imported(tmp_path, capsys):
    """A raw log of 30 rows (one the import skips), imported to a flat table: (raw, flat, record path)."""
    (tmp_path / "prod").mkdir()
    raw = write_log(tmp_path / "prod" / "raw.jsonl", 30, 0.8, seed=3)
    rows = [json.loads(line) for line in raw.read_text().splitlines()]
    rows[4]["output"] = ""
    raw.write_text("".join(json.dumps(r) + "\n" for r in rows))
    flat = tmp_path / "flat.jsonl"
    assert main(["logs", "import", str(raw), "--out", str(flat)]) == 0
    capsys.readouterr()
    return raw, flat, record_path(flat)


def _raw_log(cat: Catalog, tmp_path, flat, period: str):
    run_id = run_config(cat, log_config(tmp_path, flat, period=period, extra_task=FLAT))
    return bundle_reader.manifest(cat, run_id).datasets["support"].raw_log


def test_an_import_record_edited_to_name_another_raw_log_or_hide_skipped_rows_is_not_credited(tmp_path, key_dir,
                                                                                           capsys):
    """The record is a plain file beside the flat table: edited before the run, it would put a false
    provenance (another raw file, with that file's real SHA-256) or false skip counts into the signed manifest."""
    raw, flat, record = _imported(tmp_path, capsys)
    body = json.loads(record.read_text())
    assert body["key_id"] and body["signature"]
    cat = Catalog(tmp_path / "c.duckdb")
    honest = _raw_log(cat, tmp_path, flat, "2026-Q3")
    assert honest is not None and (honest.rows_read, honest.rows_kept) == (30, 29)

    other = tmp_path / "prod" / "clean.jsonl"  # a clean log the flat table was not made from
    write_log(other, 29, 1.0, seed=9)
    forged = {**body, "raw_log": {**body["raw_log"], "path": str(other),
                                  "sha256": hashlib.sha256(other.read_bytes()).hexdigest(), "rows_read": 29}}
    record.write_text(json.dumps(forged))
    assert _raw_log(cat, tmp_path, flat, "2026-Q4") is None

    record.write_text(json.dumps({k: v for k, v in forged.items() if k not in ("key_id", "signature")}))
    assert _raw_log(cat, tmp_path, flat, "2027-Q1") is None  # stripping the signature does not help


def test_a_flat_table_edited_with_its_records_hash_recomputed_is_not_credited(tmp_path, key_dir, capsys):
    """Drop the bad interactions from the flat table and recompute flat_sha256: the raw log would vouch for it."""
    _raw, flat, record = _imported(tmp_path, capsys)
    kept = [line for line in flat.read_text().splitlines() if '"no idea"' not in line]
    flat.write_text("\n".join(kept) + "\n")
    body = json.loads(record.read_text())
    record.write_text(json.dumps({**body, "flat_sha256": hashlib.sha256(flat.read_bytes()).hexdigest()}))
    assert _raw_log(Catalog(tmp_path / "c.duckdb"), tmp_path, flat, "2026-Q4") is None


def test_an_import_signed_by_another_installation_is_not_credited(tmp_path, key_dir, capsys, monkeypatch):
    _raw, flat, _record = _imported(tmp_path, capsys)
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "other-keys"))
    assert _raw_log(Catalog(tmp_path / "c2.duckdb"), tmp_path, flat, "2026-Q4") is None


# -- rollback and fork of the catalog file --------------------------------------------------------------------------

def _signoffs(cat: Catalog) -> list[tuple]:
    with raw(cat) as con:
        return con.execute("SELECT username, decision FROM signoffs ORDER BY created_at").fetchall()


def test_a_backup_put_back_after_a_signoff_is_refused_for_any_write_and_named_by_verify(catalog, tmp_path):
    """Roll the file back to a copy taken before cleo's reject: the next write (a run registered by the scheduler,
    an approval) was signed onto it, moved the witness and verify came out clean — the reject gone without trace."""
    backup = tmp_path / "backup.duckdb"
    shutil.copy(catalog.path, backup)
    policies_q.add_signoff(catalog, "r1", "cleo", "committee", "reject", "not yet")
    shutil.copy(backup, catalog.path)
    with pytest.raises(AssayError, match=r"older copy put back \(rolled back\): the key dir signed \d+ log entries"):
        runs_q.register_run(catalog, "r2", "unit", "2026Q4", "cfg", "model", actor="tester")
    with pytest.raises(AssayError):
        policies_q.add_signoff(catalog, "r1", "carol", "committee", "approve", "fine")
    assert [p for p in problems(catalog) if "truncated" in p], problems(catalog)
    assert ("cleo", "reject") not in _signoffs(catalog)


def test_an_emptied_log_keeping_its_id_is_not_signed_from_entry_one_again(catalog):
    """Wipe the log (and the checkpoints) at the same path: the first new entry would have re-based the witness."""
    with raw(catalog) as con:
        con.execute("DELETE FROM audit_log")
        con.execute("DELETE FROM log_checkpoints")
    with pytest.raises(AssayError, match="rolled back"):
        runs_q.register_run(catalog, "r2", "unit", "2026Q4", "cfg", "model", actor="tester")


def test_a_fork_with_divergent_signoffs_fails_verify_in_both_copies(catalog, tmp_path):
    """cleo copies the catalog and approves in her copy; the committee rejects in the real one. Both copies carry
    valid signatures and their own witnesses, so each verified clean: whichever was shown, the other act was hidden."""
    copy = Catalog(_copy(catalog, tmp_path / "cleo"))
    n = verify(catalog).entries
    policies_q.add_signoff(copy, "r1", "cleo", "committee", "reject", "copy")
    users_q.add_user(catalog, "carl", "committee", "carl-password", actor="ada")
    policies_q.add_signoff(catalog, "r1", "carl", "committee", "reject", "real")
    for cat in (catalog, copy):
        found = [p for p in problems(cat) if "FORKED" in p]
        assert len(found) == 1 and f"different entries {n + 1} of catalog" in found[0], problems(cat)
    assert ("cleo", "reject") in _signoffs(copy) and ("cleo", "reject") not in _signoffs(catalog)


def test_the_other_branch_copied_over_the_catalog_is_refused_before_signing(catalog, tmp_path):
    copy = Catalog(_copy(catalog, tmp_path / "cleo"))
    policies_q.add_signoff(copy, "r1", "cleo", "committee", "reject", "copy")
    policies_q.add_signoff(catalog, "r1", "cleo", "committee", "reject", "real")
    shutil.copy(copy.path, catalog.path)
    with pytest.raises(AssayError, match="another copy put in its place"):
        runs_q.register_run(catalog, "r2", "unit", "2026Q4", "cfg", "model", actor="tester")


def test_a_moved_catalog_is_no_fork_and_the_file_left_behind_says_it_is_older(catalog, tmp_path):
    moved = Catalog(_copy(catalog, tmp_path / "new-home"))
    policies_q.add_signoff(moved, "r1", "cleo", "committee", "reject", "later")
    assert problems(moved) == [] and problems(catalog) == []
    assert any("OLDER COPY" in n for n in verify(catalog).notes)


def _copy(cat: Catalog, where) -> str:
    """The catalog file and its bundles copied to ``where`` (the copy's runs pointed at its own bundles)."""
    where.mkdir()
    shutil.copy(cat.path, where / cat.path.name)
    shutil.copytree(cat.runs_dir, where / cat.runs_dir.name)
    with duckdb.connect(str(where / cat.path.name)) as con:
        con.execute("UPDATE runs SET bundle_path = replace(bundle_path, ?, ?)",
                    [str(cat.runs_dir), str(where / cat.runs_dir.name)])
    return str(where / cat.path.name)


# -- times of signed acts ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("when", ["2031-01-01 00:00:00", "2020-01-01 00:00:00"])
def test_a_signoffs_time_moved_in_the_table_or_in_the_log_is_caught(catalog, when):
    """Back-date a sign-off before the run finished, or post-date it past a later change: the row's hash, and the
    entry's (its time is hashed into the chain; re-chained, the signed checkpoints no longer match)."""
    with raw(catalog) as con:
        con.execute("UPDATE signoffs SET created_at = ?", [when])
    assert [p for p in problems(catalog) if "signoffs" in p], problems(catalog)


@pytest.mark.parametrize("when", ["2031-01-01 00:00:00", "2020-01-01 00:00:00"])
def test_a_signed_entrys_time_moved_with_the_chain_recomputed_is_caught(catalog, when):
    with raw(catalog) as con:
        con.execute("UPDATE audit_log SET ts = ? WHERE action = 'policy.signoff'", [when])
        rechain(con)
    assert [p for p in problems(catalog) if "rewritten" in p], problems(catalog)


# -- `assay review --summary` with a name ------------------------------------------------------------------------------

@pytest.mark.parametrize("flags", [["--user", "nobody"], ["--role", "admin"], ["--user", "nobody", "--role", "admin"]])
def test_review_summary_naming_a_user_or_role_is_refused_not_ignored(catalog, capsys, flags):
    """`--summary` printed the statistics and never looked at --user/--role: `--user nobody --role admin` read
    as if an admin nobody had been checked."""
    assert main(["review", "r1", "--summary", *flags, "--catalog", str(catalog.path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--summary acts as no one" in err[0], err
    assert main(["review", "r1", "--summary", "--catalog", str(catalog.path)]) == 0


# -- a report or export edited after Assay wrote it -----------------------------------------------------------------

def test_verify_file_names_an_export_edited_after_it_was_written(catalog, tmp_path, capsys, monkeypatch):
    """The log holds the SHA-256 of every report and export, but nothing compared a file with it: a row
    changed in an exported CSV (or a figure in a report) read as Assay's output."""
    monkeypatch.setenv("ASSAY_PASSWORD", "cleo-password")
    out = tmp_path / "samples.csv"
    assert main(["export", "r1", "samples", "-o", str(out), "--user", "cleo", "--catalog", str(catalog.path)]) == 0
    capsys.readouterr()
    assert main(["verify", "--file", str(out), "--catalog", str(catalog.path)]) == 0
    assert "written by Assay — log entry" in capsys.readouterr().out
    out.write_text(out.read_text().replace("q2", "q2 (edited)"))
    assert main(["verify", "--file", str(out), "--catalog", str(catalog.path)]) == 1
    assert "is in no report or export entry of this catalog's audit log" in capsys.readouterr().err
    assert main(["verify", "--file", str(tmp_path / "missing.pdf"), "--catalog", str(catalog.path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
