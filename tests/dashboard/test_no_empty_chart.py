"""No empty chart on the Quality and Privacy pages (issue 20): a chart with nothing to show is one
line saying why. AppTest on a real catalog whose run has a task without metric values, a task with
no metrics at all, no PII findings and no toxicity values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.store.catalog import Catalog
from audits.store.queries import runs as rq
from dashboard.components.charts import why_empty
from tests.dashboard._synth import make_run_tables
from tests.dashboard.conftest import page_app
from tests.results_factory import write_typed_bundle

RUN = "2026-Q4-00-quiet"
# the detector block as audits/scanners/_pii_quality.detector_quality writes it (figures of the default profile)
DETECTOR = {
    "precision": 0.9358, "recall": 0.8894, "precision_ci": [0.9188, 0.9502], "recall_ci": [0.8689, 0.9078],
    "n_labelled": 1049, "n_texts": 933, "set": "pii-eval-v1:heldout:c527f912d345",
    "set_sources": "held-out split of presidio-evaluator + assay-handwritten (audits/scanners/data/pii_eval)",
    "matching": "span IoU>=0.5, same entity type", "interval": "Clopper-Pearson 95%",
    "by_entity": {"PHONE_NUMBER": {"n_gold": 150, "precision": 0.95, "precision_ci": [0.9, 0.98], "recall": 0.96,
                                   "recall_ci": [0.91, 0.99], "f2": 0.958, "recall_target": 0.9, "below_target": False}},
    "below_target": [],
    "second_set": {"precision": 0.9044, "recall": 0.9283, "precision_ci": [0.8898, 0.9176], "recall_ci": [0.9151, 0.94],
                   "n_labelled": 1743, "n_texts": 1000, "set": "pii-eval-faker:all:036f31caca4b",
                   "set_sources": "second independent set: Faker sentences, never tuned on",
                   "by_entity": {"PHONE_NUMBER": {"n_gold": 368, "precision": 0.9684, "precision_ci": [0.9455, 0.9836],
                                                  "recall": 1.0, "recall_ci": [0.99, 1.0]}}},
}


@pytest.fixture(scope="module")
def quiet_catalog(tmp_path_factory):
    """One run: reference-qa has only a metric without a value, discrim-eval has no metrics at all,
    bbq-gender is ordinary; no PII finding anywhere; toxicity rates recorded without values."""
    path = tmp_path_factory.mktemp("quiet") / "quiet.duckdb"
    cat = Catalog(path)
    tables, results = make_run_tables(30, seed=3, quality=0.7)
    tables["findings"] = tables["findings"].iloc[0:0]
    for task in results["tasks"]:
        task["pii"] = {"findings": 0, "leaks": 0, "fields": ["prediction"], "detector": DETECTOR}
        if task["name"] == "reference-qa":
            task["metrics"] = {"exact_match": {"value": None, "ci_low": None, "ci_high": None, "n": 0,
                                               "signature": "exact_match|synthetic"}}
        elif task["name"] == "discrim-eval":
            task["metrics"] = {}
        else:
            for name in ("toxicity_rate", "toxicity_mean"):
                task["metrics"][name] = {"value": None, "ci_low": None, "ci_high": None, "n": 0,
                                         "signature": f"{name}|synthetic"}
    metrics = tables["metrics"]
    tables["metrics"] = metrics[(metrics["task"] == "bbq-gender") & (metrics["metric"] == "accuracy")].reset_index(drop=True)
    rq.register_run(cat, RUN, "quiet-audit", "2026-Q4", "0" * 64, "synthetic-model", actor="test", device="cpu")
    results = {"run_id": RUN, "audit": "quiet-audit", "period": "2026-Q4", **results}
    config = {"audit": "quiet-audit", "period": "2026-Q4", "policies": []}
    bundle, sha = write_typed_bundle(cat, RUN, tables, results, config, {"config": config})
    rq.complete_run(cat, RUN, bundle, sha, actor="test", device="cpu")
    return path


def _drawn(at) -> list[dict]:
    """Every plotly figure the page drew, as its JSON spec."""
    import json

    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _has_points(spec: dict) -> bool:
    return any(any(v is not None for v in (trace.get("y") or [])) for trace in spec.get("data", []))


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_why_empty_says_why_in_one_line():
    assert why_empty(pd.DataFrame(), "toxicity per task") == "No chart of toxicity per task: nothing was recorded."
    none = pd.DataFrame({"value": [np.nan, None]})
    assert why_empty(none, "toxicity per task") == "No chart of toxicity per task: no row has a value (2 without one)."
    zeros = pd.DataFrame({"findings": [0, 0]})
    assert why_empty(zeros, "PII findings by field", value="findings", counts=True) == \
        "No chart of PII findings by field: every count is 0."
    assert why_empty(pd.DataFrame({"value": [0.0, 0.2]}), "x") is None


def test_quality_page_says_why_instead_of_an_empty_chart(quiet_catalog, use_catalog):
    use_catalog(quiet_catalog)
    at = page_app("quality").run()
    assert not at.exception
    captions = _captions(at)
    assert "No chart for discrim-eval: no metric was recorded for it." in captions
    assert ("No chart for reference-qa: none of its 1 metrics has a value "
            "(share of answers matching the reference exactly).") in captions
    drawn = _drawn(at)
    assert drawn and all(_has_points(spec) for spec in drawn)   # bbq-gender's metrics are drawn, nothing empty


def test_privacy_page_with_no_pii_findings_and_no_toxicity_values(quiet_catalog, use_catalog):
    use_catalog(quiet_catalog)
    at = page_app("privacy").run()
    assert not at.exception
    assert "No PII findings in this run." in [s.value for s in at.success]
    captions = _captions(at)
    assert "No chart of toxicity per task: no row has a value (2 without one)." in captions
    assert "Engine `not recorded`, score thresholds not recorded, fields: prediction." in captions
    assert all(_has_points(spec) for spec in _drawn(at))


def test_privacy_page_shows_the_detector_on_both_labelled_sets(quiet_catalog, use_catalog):
    use_catalog(quiet_catalog)
    at = page_app("privacy").run()
    assert not at.exception
    assert ("How much a count of 0 means — the detector finds known personal data with recall 88.9% [86.9%, 90.8%], "
            "precision 93.6% [91.9%, 95.0%] on the held-out set; recall 92.8% [91.5%, 94.0%], precision 90.4% "
            "[89.0%, 91.8%] on the second independent set (exact 95% intervals; details below).") in _captions(at)
    text = " ".join(m.value for m in at.markdown)
    assert "**Held-out set** (held-out split of presidio-evaluator" in text
    assert "precision 93.6% [91.9%, 95.0%], recall 88.9% [86.9%, 90.8%] on 1,049 labelled spans in 933 texts" in text
    assert "**Second independent set** (second independent set: Faker sentences, never tuned on" in text
    assert "precision 90.4% [89.0%, 91.8%], recall 92.8% [91.5%, 94.0%] on 1,743 labelled spans in 1,000 texts" in text
    # a wrapping table (walk 7: the grid ran to 1,364 px at 1280x800), figures as reports.figures writes them
    assert not [d for d in at.dataframe if "entity" in d.value.columns]
    held, second = [t.value.set_index("entity") for t in at.table if "entity" in t.value.columns]
    per = {**held.loc["PHONE_NUMBER"].to_dict(), **second.loc["PHONE_NUMBER"].to_dict()}
    assert per["recall 95% CI"] == "[0.91, 0.99]" and per["2nd set: recall"] == "1"
    assert per["2nd set: recall 95% CI"] == "[0.99, 1.00]" and per["2nd set: labelled"] == "368"
