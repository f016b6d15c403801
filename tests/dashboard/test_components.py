"""Dashboard helpers: change detection, attribution HTML, the dashboard query layer."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from audits.errors import AssayError
from audits.results import CounterfactualBlock
from audits.store.catalog import Catalog
from audits.store import bundle_reader
from audits.store.queries import dashboard as dq
from dashboard.components import compare
from dashboard.components.text import attribution_html


def test_compare_runs_pairs_tests_and_corrects(synthetic_catalog):
    """The page's one call: McNemar on shared 0/1 samples, z on intervals otherwise, Holm over the run."""
    from audits.stats import holm

    cat = Catalog(synthetic_catalog, create=False)
    old, new = dq.list_runs(cat)["run_id"].tolist()[:2]
    cur, prev = bundle_reader.results(cat, new), bundle_reader.results(cat, old)
    table = compare.compare_runs(cur, prev, lambda t, m: dq.paired_scores(cat, new, old, t, m))
    acc = table[(table["task"] == "bbq-gender") & (table["metric"] == "accuracy")].iloc[0]
    assert acc["test"] == "mcnemar-exact" and acc["paired"] is True and acc["n_pairs"] == 60
    tox = table[table["metric"] == "toxicity_mean"].iloc[0]
    assert tox["test"] == "unpaired-z (from intervals)" and tox["paired"] is False
    np.testing.assert_allclose(table["p_adjusted"].astype(float), holm(table["p_value"].astype(float)))
    assert acc["verdict"].startswith(("significant (mcnemar-exact, holm p=", "not significant (mcnemar-exact, holm p="))
    assert (table["significant"] == (table["p_adjusted"] < 0.05)).all()


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
    # downloads have one, permission-checked path (access.export_bytes); the store has no unguarded twin
    from audits import access

    assert not hasattr(dq, "table_bytes")
    compliance, viewer = access.User("cora", "compliance"), access.User("vic", "viewer")
    assert access.export_bytes(cat, compliance, run_id, "metrics", "csv").decode().startswith("task,metric,value")
    with pytest.raises(AssayError, match="may not export"):
        access.export_bytes(cat, viewer, run_id, "metrics", "parquet")
    with pytest.raises(AssayError, match="does not exist"):
        dq.bundle_dir(cat, "nope")


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
    block = CounterfactualBlock.model_validate(block)  # the results block as the scanner writes it
    assert cf.headline(block)[0][1] == "50% [0%, 100%]" and cf.headline(block)[1][1] == "—"
    table = cf.by_value(block).set_index("value")
    assert table.loc["elderly", "decision: no"] == 1 and table.loc["young", "decision: no"] == 0
    assert table.loc["young", "mean toxicity"] == 0.15
