"""The one bundle reader and its one filter type, on a real catalog and its Parquet bundles:
each typed predicate reads exactly what DuckDB reads from the file directly."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from audits.errors import AssayError
from audits.store import bundle_reader as br
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q
from tests.dashboard._synth import build_catalog


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("reader") / "c.duckdb"
    build_catalog(path, n_per_task=80)
    cat = Catalog(path, create=False)
    run_id = runs_q.list_runs(cat)["run_id"].iloc[-1]
    return cat, run_id, br.bundle_dir(cat, run_id) / "samples.parquet"


def _count(path, where: str) -> int:
    return duckdb.sql(f"SELECT count(*) FROM '{path}' WHERE {where}").fetchall()[0][0]


def test_predicates_read_what_duckdb_reads(run):
    cat, run_id, path = run
    cases = {
        "contains(lower(input), 'question 1') OR contains(lower(prediction), 'question 1')":
            {("input", "prediction"): br.Contains("QUESTION 1")},
        "coalesce(pii_leak, false)": {("pii_leak",): br.AnyTrue()},
        "NOT coalesce(pii_leak, false) AND task = 'discrim-eval'": {("pii_leak",): br.AnyTrue(False), "task": "discrim-eval"},
        "reference IS NOT NULL": {"reference": br.NOT_NULL},
        "race IN ('Black', 'White') AND correct": {"race": ["Black", "White"], "correct": True},
    }
    for where, filters in cases.items():
        expected = _count(path, where)
        assert br.count_rows(cat, run_id, "samples", filters) == expected, where
        assert len(br.read_table(cat, run_id, "samples", columns=["sample_id"], filters=filters)) == expected
    total = _count(path, "true")
    assert br.count_rows(cat, run_id, "samples", {(): br.AnyTrue()}) == 0           # no flag columns: none flagged
    assert br.count_rows(cat, run_id, "samples", {(): br.AnyTrue(False)}) == total
    assert 0 < br.count_rows(cat, run_id, "samples", {("input", "prediction"): br.Contains("QUESTION 1")}) < total


def test_unknown_column_is_a_one_line_error(run):
    cat, run_id, _ = run
    with pytest.raises(AssayError, match="the table has no column 'nope'") as err:
        br.read_table(cat, run_id, "samples", filters={"nope": br.NOT_NULL})
    assert "filter on one of: task, sample_id" in err.value.fix
    with pytest.raises(AssayError, match="unknown bundle table 'secrets'"):
        br.count_rows(cat, run_id, "secrets")


def test_distinct_order_and_row_numbers(run):
    cat, run_id, path = run
    assert br.distinct_values(cat, run_id, "samples", "race") == sorted(
        r[0] for r in duckdb.sql(f"SELECT DISTINCT race FROM '{path}' WHERE race IS NOT NULL").fetchall())
    assert br.distinct_values(cat, run_id, "samples", "no_such_column") == []
    page = br.read_table(cat, run_id, "samples", columns=["sample_id", "score_accuracy"],
                         order_by=[("score_accuracy", "desc"), "sample_id"], row_numbers=True)
    scores = page["score_accuracy"].tolist()
    assert scores == sorted(scores, reverse=True)
    whole = pd.read_parquet(path)  # the test's own look at the file: _row is each row's position in it
    assert (whole["sample_id"].iloc[page["_row"].to_numpy()].to_numpy() == page["sample_id"].to_numpy()).all()


def test_metrics_history_reads_every_bundle_through_the_reader(run):
    cat, _, _ = run
    history = runs_q.metrics_history(cat)
    runs = runs_q.list_runs(cat)
    expected = sum(len(pd.read_parquet(br.bundle_dir(cat, r) / "metrics.parquet")) for r in runs["run_id"])
    assert len(history) == expected and set(history["run_id"]) == set(runs["run_id"])
    assert list(history.columns) == ["run_id", "audit", "period", "created_at", "task", "metric", "value",
                                     "ci_low", "ci_high", "n"]


def test_group_sums_and_paired_reads(run):
    cat, run_id, path = run
    sums = br.group_sums(cat, run_id, "samples", ["race"], "toxicity_score", {"task": "reference-qa"}).set_index("race")
    rows = duckdb.sql(f"SELECT race, count(toxicity_score) AS n, sum(toxicity_score) AS s FROM '{path}' "
                      f"WHERE task = 'reference-qa' GROUP BY race").df().set_index("race")
    assert sums["n"].to_dict() == rows["n"].to_dict()
    assert sums["total"].to_dict() == pytest.approx(rows["s"].to_dict())
    assert not sums["binary"].any()
    flags = br.group_sums(cat, run_id, "samples", ["race"], "pii_leak")
    assert flags["binary"].all() and flags["rows"].sum() == _count(path, "true")
    assert br.group_sums(cat, run_id, "samples", ["race"], "no_such_column").empty
    runs = runs_q.list_runs(cat)["run_id"].tolist()
    pairs = br.read_paired(cat, (runs[-1], runs[0]), "samples", "sample_id", "score_accuracy", {"task": "bbq-gender"})
    assert list(pairs.columns) == ["sample_id", "a", "b"] and len(pairs) == 80 and pairs[["a", "b"]].notna().all().all()
