"""Typed, versioned run results: the runner's contract with every reader."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from audits.errors import AssayError
from audits.results import (SCHEMA_VERSION, Estimate, V1_INTERVAL_METHOD, RunResults, jsonable, load_results,
                            parse_results)

V1 = Path(__file__).parent / "fixtures" / "results_v1"  # written by Assay before results were typed


def test_a_bundle_written_before_the_change_loads_with_the_same_figures():
    config = yaml.safe_load((V1 / "config.yaml").read_text())
    res = load_results(V1 / "results.json", config)
    assert res.schema_version == SCHEMA_VERSION and res.audit == "v1-fixture"
    stored = pd.read_parquet(V1 / "metrics.parquet")
    frame = res.metrics_frame()
    merged = stored.merge(frame, on=["task", "metric"], suffixes=("_old", "_new"))
    assert len(merged) == len(stored) == len(frame) > 0
    for col in ("value", "ci_low", "ci_high", "n"):
        assert np.allclose(merged[f"{col}_old"].astype(float), merged[f"{col}_new"].astype(float), equal_nan=True)
    task = res.task("loans")
    assert all(m.method == V1_INTERVAL_METHOD for m in task.metrics.values())
    # old figures say which method made them, in words
    assert task.metrics["exact_match"].statement.startswith("5 of 8 answers matched the reference exactly")
    assert "before assay stats" in task.metrics["token_f1"].statement
    # the configured four-fifths threshold (0.75) comes from the bundle's config, not an assumed 0.8
    assert task.fairness and all(g.four_fifths_threshold == 0.75 for g in task.fairness.values())
    assert task.toxicity is not None and task.toxicity.n == 8
    assert task.metrics["toxicity_rate"].higher_is_better is False
    assert task.metrics["token_f1"].higher_is_better is True
    # the immutable file itself is untouched
    assert "schema_version" not in json.loads((V1 / "results.json").read_text())


def test_round_trip_is_lossless():
    res = load_results(V1 / "results.json")
    again = parse_results(json.loads(res.to_json()))
    assert again == res
    assert json.loads(res.to_json())["schema_version"] == SCHEMA_VERSION


def test_unknown_schema_version_is_one_line_with_the_fix():
    data = json.loads((V1 / "results.json").read_text())
    data["schema_version"] = SCHEMA_VERSION + 5
    with pytest.raises(AssayError) as err:
        parse_results(data, source="bundle/results.json")
    assert "bundle/results.json: unknown schema_version" in err.value.problem and "upgrade Assay" in err.value.fix


def test_a_malformed_file_names_the_key_path():
    data = json.loads(RunResults(run_id="r", audit="a", period="p").to_json())
    data["tasks"] = [{"name": "t", "type": "generate", "n": "many"}]
    with pytest.raises(AssayError, match=r"invalid results at 'tasks.0.n'"):
        parse_results(data, source="x.json")
    with pytest.raises(AssayError, match="must be a JSON object"):
        parse_results([1, 2], source="x.json")


def test_unknown_task_names_the_tasks():
    res = load_results(V1 / "results.json")
    with pytest.raises(AssayError, match="has no task 'nope' \\(tasks: loans\\)"):
        res.task("nope")


def test_jsonable_is_the_one_nan_helper():
    value = {"a": float("nan"), "b": np.float32(0.5), "c": np.array([1, 2]), "d": pd.NA, "e": (np.int64(3),),
             "f": float("inf"), "g": pd.NaT, "h": "text", "i": True}
    out = jsonable(value)
    assert out == {"a": None, "b": 0.5, "c": [1, 2], "d": None, "e": [3], "f": None, "g": None, "h": "text", "i": True}
    json.dumps(out, allow_nan=False)
    assert not any(isinstance(v, float) and math.isnan(v) for v in out.values())


def test_a_probe_block_stored_in_extra_by_an_earlier_version_is_read_as_typed():
    """Schema-2 bundles written before the sensitivity block was typed kept it in ``extra``."""
    data = json.loads(load_results(V1 / "results.json").to_json())
    probe = {"variants": [{"variant": "Q: {input}", "n": 30, "flips": 3, "flip_rate": 0.1,
                           "ci_low": 0.021, "ci_high": 0.265}],
             "n": 30, "flipped_under_any": 3, "flip_rate_any": 0.1, "ci_low": 0.021, "ci_high": 0.265}
    data["tasks"][0]["extra"] = {"sensitivity": probe, "custom": {"k": 1}}
    task = parse_results(data).tasks[0]
    assert task.sensitivity is not None and task.sensitivity.flipped_under_any == 3
    assert task.sensitivity.variants[0].flip_rate == Estimate(value=0.1, ci_low=0.021, ci_high=0.265, n=30)
    assert task.sensitivity.flip_rate_any.ci_low == 0.021   # the flat shape folded into one Estimate
    assert task.extra == {"custom": {"k": 1}}
