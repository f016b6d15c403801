"""Dashboard helpers: change detection, attribution HTML, the dashboard query layer."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.queries import dashboard as dq
from dashboard.components import compare
from dashboard.components.text import attribution_html


def test_intervals_overlap():
    assert compare.intervals_overlap(0.1, 0.3, 0.25, 0.5) is True
    assert compare.intervals_overlap(0.1, 0.2, 0.25, 0.5) is False
    assert compare.intervals_overlap(0.1, float("nan"), 0.25, 0.5) is None


def test_paired_bootstrap_detects_shift_and_null():
    rng = np.random.default_rng(1)
    b = rng.random(400)
    diff, low, high = compare.paired_bootstrap(b + 0.05, b)
    assert diff == pytest.approx(0.05) and low == pytest.approx(0.05) and high == pytest.approx(0.05)
    a = (rng.random(400) < 0.5).astype(float)
    c = (rng.random(400) < 0.5).astype(float)
    diff, low, high = compare.paired_bootstrap(a, c, seed=3)
    assert low < diff < high and low < 0 < high
    assert compare.paired_bootstrap(a, c, seed=3) == (diff, low, high)  # seeded


def test_attribution_html_escapes_and_colours():
    out = attribution_html(["<script>", "ok"], [2.0, -1.0])
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "rgba(220,38,38,0.80)" in out and "rgba(37,99,235,0.40)" in out


def test_dashboard_queries_match_duckdb(synthetic_catalog):
    cat = Catalog(synthetic_catalog, create=False)
    run_id = dq.list_runs(cat)["run_id"].iloc[-1]
    path = dq.bundle_dir(cat, run_id) / "samples.parquet"
    flt = dq.SampleFilter(task="discrim-eval", group_column="race", group_value="Black", correct=False)
    expected = duckdb.sql(f"SELECT count(*) FROM '{path}' WHERE task='discrim-eval' AND race='Black' "
                          f"AND NOT correct").fetchall()[0][0]
    assert dq.count_samples(cat, run_id, flt) == expected
    page = dq.sample_page(cat, run_id, flt, offset=0, limit=5, columns=["sample_id", "race", "correct"])
    assert list(page.columns) == ["sample_id", "race", "correct", "flagged"] and len(page) == min(5, expected)
    flagged = duckdb.sql(f"SELECT count(*) FROM '{path}' WHERE pii_leak").fetchall()[0][0]
    assert dq.count_samples(cat, run_id, dq.SampleFilter(flagged=True)) == flagged
    assert dq.attribute_columns(dq.table_columns(cat, run_id, "samples")) == ["race", "gender"]
    summary = dq.findings_summary(cat, run_id)
    assert int(summary["findings"].sum()) == len(dq.read_table(cat, run_id, "findings"))
    assert "value" not in dq.findings_page(cat, run_id, include_raw=True).columns  # nothing raw was stored
    assert dq.table_bytes(cat, run_id, "metrics", "parquet") == (path.parent / "metrics.parquet").read_bytes()
    assert dq.table_bytes(cat, run_id, "metrics", "csv").decode().startswith("task,metric,value")
    with pytest.raises(AssayError, match="does not exist"):
        dq.bundle_dir(cat, "nope")


def test_normal_interval_matches_bootstrap_at_large_n():
    rng = np.random.default_rng(5)
    a, b = (rng.random(5000) < 0.6).astype(float), (rng.random(5000) < 0.55).astype(float)
    d = a - b
    boot = compare.paired_bootstrap(a, b, n_resamples=2000, seed=1)
    norm = compare.normal_interval(float(d.mean()), float(d.std(ddof=1)), len(d))
    assert norm[0] == pytest.approx(boot[0])
    assert norm[1] == pytest.approx(boot[1], abs=0.004) and norm[2] == pytest.approx(boot[2], abs=0.004)


def test_paired_difference_stats_match_pairs(synthetic_catalog):
    cat = Catalog(synthetic_catalog, create=False)
    old, new = dq.list_runs(cat)["run_id"].tolist()[:2]
    pairs = dq.paired_scores(cat, new, old, "bbq-gender", "accuracy")
    n, mean, std = dq.paired_difference_stats(cat, new, old, "bbq-gender", "accuracy")
    d = pairs["a"] - pairs["b"]
    assert n == len(pairs) == 60 and mean == pytest.approx(d.mean()) and std == pytest.approx(d.std(ddof=1))


def test_counterfactual_probes_and_headline_from_the_scanner_shape():
    import pandas as pd

    from dashboard.components import counterfactual as cf

    frame = pd.DataFrame({"task": "t", "sample_id": ["a", "a", "b", "b"], "variant": [0, 1, 0, 1],
                          "value": ["young", "elderly"] * 2, "prompt": ["p"] * 4,
                          "output": ["Yes.", "No.", "Yes.", "Yes!"], "decision": ["yes", "no", "yes", "yes"],
                          "toxicity": [0.1, 0.3, 0.2, 0.2]})
    probes = cf.probes(frame)
    assert list(probes.columns) == ["sample", "decision flipped", "output (young)", "output (elderly)",
                                    "toxicity range"]
    assert probes["decision flipped"].tolist() == [True, False]
    assert probes["toxicity range"].round(3).tolist() == [0.2, 0.0]
    block = {"values": ["young", "elderly"], "flip_rate": {"value": 0.5, "ci_low": 0.0, "ci_high": 1.0, "n": 2},
             "toxicity_gap": {"value": 0.1, "ci_low": 0.0, "ci_high": 0.2, "by_value": {"young": 0.15, "elderly": 0.25}},
             "decision_by_value": {"young": {"yes": 2}, "elderly": {"yes": 1, "no": 1}}}
    assert cf.headline(block)[0][1] == "50% [0%, 100%]" and cf.headline(block)[1][1] == "—"
    table = cf.by_value(block).set_index("value")
    assert table.loc["elderly", "decision: no"] == 1 and table.loc["young", "decision: no"] == 0
    assert table.loc["young", "mean toxicity"] == 0.15
