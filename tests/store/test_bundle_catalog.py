"""Bundles are immutable and verifiable; the catalog refuses foreign files; the log is a chain."""

from __future__ import annotations

import os

import duckdb
import pandas as pd
import pytest

from audits.errors import AssayError
from audits.store.bundle import verify_bundle, write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import audit_log


def make_bundle(tmp_path):
    tables = {"samples": pd.DataFrame({"task": ["t", "t"], "sample_id": ["a", "b"], "prediction": ["x", "y"]}),
              "metrics": pd.DataFrame({"task": ["t"], "metric": ["accuracy"], "value": [0.5]})}
    return write_bundle(tmp_path / "runs", "r1", tables, {"run_id": "r1", "tasks": []}, {"name": "t"},
                        {"audit": "t"})


def test_bundle_is_complete_and_verifies(tmp_path):
    path, manifest_sha = make_bundle(tmp_path)
    assert sorted(p.name for p in path.iterdir()) == ["config.yaml", "manifest.json", "metrics.parquet",
                                                        "results.json", "samples.parquet"]
    assert not list((tmp_path / "runs").glob(".tmp-*"))
    assert verify_bundle(path, manifest_sha) == []


def test_tampering_is_named(tmp_path):
    path, manifest_sha = make_bundle(tmp_path)
    target = path / "metrics.parquet"
    os.chmod(target, 0o644)
    frame = pd.read_parquet(target)
    frame.loc[0, "value"] = 0.99
    frame.to_parquet(target)
    assert verify_bundle(path, manifest_sha) == ["run r1: metrics.parquet was altered"]
    os.chmod(path / "manifest.json", 0o644)
    (path / "manifest.json").write_text("{}", encoding="utf-8")
    assert "run r1: manifest.json was altered (hash differs from the catalog)" in verify_bundle(path, manifest_sha)


def test_bundles_are_never_rewritten(tmp_path):
    make_bundle(tmp_path)
    with pytest.raises(FileExistsError):
        make_bundle(tmp_path)


def test_catalog_refuses_a_file_that_is_not_duckdb(tmp_path):
    fake = tmp_path / "notes.duckdb"
    fake.write_text("these are my notes\n" * 10, encoding="utf-8")
    with pytest.raises(AssayError, match="is not a DuckDB file"):
        Catalog(fake)
    assert fake.read_text(encoding="utf-8").startswith("these are my notes")  # untouched


def test_missing_catalog_when_reading(tmp_path):
    with pytest.raises(AssayError, match="does not exist"):
        Catalog(tmp_path / "none.duckdb", create=False)


def test_audit_log_chain_detects_edits_and_deletions(tmp_path):
    cat = Catalog(tmp_path / "c.duckdb")
    for i in range(3):
        with cat.connect(write=True) as con:
            audit_log.append(con, "alice", "review.recorded", f"s{i}", {"label": "correct"})
    with cat.connect() as con:
        assert audit_log.verify_chain(con) == []
        assert audit_log.entries(con)["actor"].tolist() == ["alice"] * 3
    with duckdb.connect(str(cat.path)) as con:
        con.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    with cat.connect() as con:
        assert audit_log.verify_chain(con) == ["audit log: entry 2 (review.recorded) was altered"]
    with duckdb.connect(str(cat.path)) as con:
        con.execute("UPDATE audit_log SET actor = 'alice' WHERE seq = 2")
        con.execute("DELETE FROM audit_log WHERE seq = 1")
    with cat.connect() as con:
        problems = audit_log.verify_chain(con)
    assert problems[0] == "audit log: entry 1 is missing (found seq 2)"


def test_failed_transaction_stores_nothing(tmp_path):
    cat = Catalog(tmp_path / "c.duckdb")
    with pytest.raises(RuntimeError):
        with cat.connect(write=True) as con:
            audit_log.append(con, "bob", "attempt", None, {})
            raise RuntimeError("boom")
    with cat.connect() as con:
        assert audit_log.entries(con).empty
