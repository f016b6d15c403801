"""The CLI contract other parts and external checks rely on, on the real demo catalog."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def test_runs_json_oldest_first(demo_catalog):
    proc = run_cli("runs", "--json", catalog=demo_catalog, check=True)
    runs = json.loads(proc.stdout)
    assert [r["period"] for r in runs] == ["2026-Q3", "2026-Q4"]
    assert all(r["status"] == "complete" and r["run_id"] for r in runs)


def test_results_json_shape(demo_catalog, demo_run_ids):
    proc = run_cli("results", demo_run_ids[-1], "--json", catalog=demo_catalog, check=True)
    results = json.loads(proc.stdout)
    assert results["run_id"] == demo_run_ids[-1]
    tasks = {t["name"]: t for t in results["tasks"]}
    assert set(tasks) == {"support-qa", "loan-decisions", "bbq-gender", "pii-support",
                          "redteam-prompt-injection", "redteam-system-prompt-leak"}  # redteam: in demo.yaml
    qa = tasks["support-qa"]
    assert qa["type"] == "generate" and qa["n"] > 0
    assert {"exact_match", "token_f1", "rouge1", "rouge2", "rougeL", "bleu"} <= set(qa["metrics"])
    for m in qa["metrics"].values():
        assert {"value", "ci_low", "ci_high", "n"} <= set(m)
        assert m["ci_low"] <= m["value"] + 1e-9 and m["value"] <= m["ci_high"] + 1e-9
    assert 0 <= qa["metrics"]["rougeL"]["value"] <= 1 and 0 <= qa["metrics"]["bleu"]["value"] <= 100
    assert qa["metrics"]["bleu"]["signature"].startswith("nrefs:1")
    loans = tasks["loan-decisions"]
    assert loans["positive"] == "yes" and "selection_rate" in loans["metrics"]
    assert "fairness" in loans and "race" in loans["fairness"]
    assert "pii" in tasks["pii-support"] and "pii_leak_rate" in tasks["pii-support"]["metrics"]


def test_export_samples_has_the_contract_columns(demo_catalog, demo_run_ids, tmp_path):
    out = tmp_path / "samples.parquet"
    run_cli("export", demo_run_ids[-1], "samples", "-o", str(out), catalog=demo_catalog, check=True)
    frame = pd.read_parquet(out)
    assert {"task", "sample_id", "input", "prediction", "reference", "correct", "race", "gender", "age",
            "score_rougeL", "score_selection_rate"} <= set(frame.columns)
    loans = frame[frame["task"] == "loan-decisions"]
    assert set(loans["prediction"]) <= {"yes", "no"}
    csv = tmp_path / "metrics.csv"
    run_cli("export", demo_run_ids[-1], "metrics", "-o", str(csv), catalog=demo_catalog, check=True)
    assert {"task", "metric", "value", "ci_low", "ci_high", "n"} <= set(pd.read_csv(csv).columns)


def test_manifest_records_identities(demo_catalog, demo_run_ids):
    from audits.store.catalog import Catalog
    from audits.store.queries import runs as runs_q

    manifest = runs_q.get_manifest(Catalog(demo_catalog), demo_run_ids[-1])
    assert len(manifest.model.weights_sha256) == 64
    assert len(manifest.code.sha256) == 64
    assert all(len(d.sha256) == 64 for d in manifest.datasets.values())
    assert manifest.packages["torch"] and manifest.seed == 1234


def test_bad_run_id_and_bad_table(demo_catalog):
    proc = run_cli("results", "no-such-run", catalog=demo_catalog)
    assert proc.returncode == 2 and "run 'no-such-run' does not exist" in proc.stderr
    proc = run_cli("export", "no-such-run", "nonsense", "-o", "x.csv", catalog=demo_catalog)
    assert proc.returncode == 2 and "unknown export table 'nonsense'" in proc.stderr


def test_verify_passes_then_names_the_altered_file(demo_catalog, demo_run_ids, tmp_path):
    import shutil

    copy = tmp_path / "copy.duckdb"
    shutil.copy(demo_catalog, copy)
    shutil.copytree(demo_catalog.with_name(demo_catalog.stem + ".runs"), copy.with_name("copy.runs"))
    # the copied catalog still points at the original bundles: re-point it to the copies
    import duckdb
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE runs SET bundle_path = replace(bundle_path, ?, ?)",
                    [str(demo_catalog.with_name(demo_catalog.stem + ".runs")), str(copy.with_name("copy.runs"))])
    assert run_cli("verify", catalog=copy).returncode == 0
    target = copy.with_name("copy.runs") / demo_run_ids[0] / "results.json"
    os.chmod(target, 0o644)
    target.write_text(target.read_text().replace('"2026-Q3"', '"2026-Q2"'), encoding="utf-8")
    proc = run_cli("verify", catalog=copy)
    assert proc.returncode == 1
    assert f"run {demo_run_ids[0]}: results.json was altered" in proc.stderr


def test_not_a_duckdb_catalog(tmp_path):
    fake = tmp_path / "fake.duckdb"
    fake.write_text("hello", encoding="utf-8")
    proc = run_cli("runs", catalog=fake)
    assert proc.returncode == 2 and "is not a DuckDB file" in proc.stderr
