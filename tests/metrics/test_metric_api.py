"""get_metric / check_metrics / default_metrics, and evaluate modules loaded from a local path."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from audits.errors import AssayError
from audits.metrics import METRICS, MetricInputs, check_metrics, compute, default_metrics, get_metric

GENERATE_DEFAULTS = ["exact_match", "token_f1", "rouge1", "rouge2", "rougeL", "bleu"]


def test_every_builtin_has_a_versioned_signature():
    for name in METRICS.names():
        metric = get_metric(name)
        assert metric.name == name
        signature = metric.signature()
        assert ":" in signature and (signature.startswith(name) or name == "bleu"), signature


def test_unknown_metric_lists_known_names():
    with pytest.raises(AssayError, match="unknown metric 'bleurt'.*accuracy.*rougeL"):
        get_metric("bleurt")


def test_check_metrics_accepts_fitting_metrics():
    check_metrics("qa", "generate", GENERATE_DEFAULTS, {"references"})
    check_metrics("loan", "choice", ["accuracy", "f1", "selection_rate"], {"labels", "positive"})
    check_metrics("loan", "choice", ["selection_rate"], {"positive"})


@pytest.mark.parametrize("task_type, metrics, available, message", [
    ("generate", ["rougeL"], set(),
     "task 'qa': metric 'rougeL' needs reference answers but the dataset has none — map a reference column "
     "with fields.reference, or remove the metric"),
    ("choice", ["accuracy"], {"positive"}, "metric 'accuracy' needs gold labels.*fields.label"),
    ("choice", ["selection_rate"], {"labels"}, "metric 'selection_rate' needs the task's positive choice.*positive:"),
    ("generate", ["accuracy"], {"references", "labels"}, "metric 'accuracy' applies to choice tasks, not generate tasks"),
    ("choice", ["bleu"], {"labels"}, "metric 'bleu' applies to generate tasks, not choice tasks — use one of: accuracy"),
    ("generate", ["rogue"], {"references"}, "task 'qa': unknown metric 'rogue' — use one of: accuracy"),
    ("generate", ["evaluate:./m.py"], set(), "metric 'evaluate:./m.py' needs reference answers"),
])
def test_check_metrics_errors(task_type, metrics, available, message):
    with pytest.raises(AssayError, match=message):
        check_metrics("qa", task_type, metrics, available)


def test_default_metrics():
    assert default_metrics("generate", {"references"}) == GENERATE_DEFAULTS
    assert default_metrics("generate", set()) == []
    assert default_metrics("choice", {"labels"}) == ["accuracy", "f1"]
    assert default_metrics("choice", {"labels", "positive"}) == ["accuracy", "f1", "selection_rate"]
    assert default_metrics("choice", {"positive"}) == ["selection_rate"]
    for task_type, available in [("generate", {"references"}), ("choice", {"labels", "positive"})]:
        check_metrics("t", task_type, default_metrics(task_type, available), available)


LOCAL_MODULE = '''
import datasets
import evaluate


class WordOverlap(evaluate.Metric):
    """Share of reference words found in the prediction, and a count."""

    def _info(self):
        return evaluate.MetricInfo(
            description="word overlap", citation="", inputs_description="",
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}))

    def _compute(self, predictions, references):
        ratios = []
        for p, r in zip(predictions, references):
            ref = r.lower().split()
            ratios.append(sum(w in p.lower().split() for w in ref) / len(ref))
        return {"name": "overlap", "overlap": sum(ratios) / len(ratios), "pairs": len(ratios)}
'''


@pytest.fixture(scope="module")
def local_module(tmp_path_factory):
    path = tmp_path_factory.mktemp("metrics") / "word_overlap.py"
    path.write_text(textwrap.dedent(LOCAL_MODULE))
    return str(path)


@pytest.mark.slow  # importing evaluate (datasets, pyarrow) takes seconds
def test_evaluate_local_module_is_per_sample_mean(local_module):
    hyps = ["the cat sat", "a dog ran far", "nothing here"]
    refs = ["the cat", "dog ran", "birds fly south"]
    metric = get_metric(f"evaluate:{local_module}")
    result, _ = compute(metric, MetricInputs(hyps, refs), n_resamples=100)
    np.testing.assert_allclose(result.per_sample, [1.0, 1.0, 0.0])
    assert result.value == pytest.approx(2 / 3)
    assert "per-sample-mean" in result.signature and "key:overlap" in result.signature
    assert "evaluate:0.4" in result.signature
    pairs = get_metric(f"evaluate:{local_module}#pairs")
    assert compute(pairs, MetricInputs(hyps, refs), n_resamples=10)[0].value == 1.0
    with pytest.raises(AssayError, match="no key 'nope'.*overlap"):
        compute(get_metric(f"evaluate:{local_module}#nope"), MetricInputs(hyps, refs), n_resamples=10)


@pytest.mark.slow
def test_evaluate_hub_name_fails_offline_in_one_line():
    with pytest.raises(AssayError) as err:
        get_metric("evaluate:no_such_metric_xyz")
    assert str(err.value) == ("evaluate module 'no_such_metric_xyz' is not available offline — pass a local "
                              "module path, e.g. evaluate:./metrics/my_metric.py")
    with pytest.raises(AssayError, match="^task 'qa': evaluate module 'no_such_metric_xyz' is not available offline"):
        check_metrics("qa", "generate", ["rougeL", "evaluate:no_such_metric_xyz"], {"references"})


@pytest.mark.slow
def test_evaluate_module_on_a_choice_task_scores_labels(local_module):
    check_metrics("loan", "choice", [f"evaluate:{local_module}"], {"labels"})
    result, _ = compute(get_metric(f"evaluate:{local_module}"),
                        MetricInputs(["yes", "no", "no"], labels=["yes", "yes", "no"], choices=["yes", "no"]),
                        n_resamples=20)
    assert result.value == pytest.approx(2 / 3)
