"""A malformed old results file is one line naming the file and the key, never a traceback (issue 21,
bad input): the schema-1 migration and the lift of typed blocks out of ``extra`` leave what they cannot
read to validation, which names its key path. Each case is the real v1 fixture with one value broken."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from audits.errors import AssayError
from audits.results import load_results, parse_results

V1 = Path(__file__).parent / "fixtures" / "results_v1"


@pytest.fixture(scope="module")
def v1() -> dict:
    return json.loads((V1 / "results.json").read_text())


def _broken(doc: dict, path: tuple, value) -> dict:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize("path,value,key", [
    (("tasks",), 7, "tasks"),
    (("tasks", 0), "loans", "tasks.0"),
    (("tasks", 0, "metrics"), [1, 2], "tasks.0.metrics"),
    (("tasks", 0, "metrics", "token_f1"), None, "tasks.0.metrics.token_f1"),
    (("tasks", 0, "metrics", "token_f1", "value"), "high", "tasks.0.metrics.token_f1.value"),
    (("tasks", 0, "metrics", "token_f1", "n"), [1, 2], "tasks.0.metrics.token_f1.n"),
    (("tasks", 0, "fairness"), "gender", "tasks.0.fairness"),
    (("tasks", 0, "fairness", "gender"), 3, "tasks.0.fairness.gender"),
    (("tasks", 0, "toxicity", "n"), {"a": 1}, "tasks.0.toxicity.n"),
    (("tasks", 0, "extra"), 1.5, "tasks.0.extra"),
])
def test_a_broken_v1_file_is_one_line_naming_the_key(v1, path, value, key):
    """Each of these was an AttributeError/TypeError/ValueError traceback from the migration."""
    with pytest.raises(AssayError) as err:
        parse_results(_broken(v1, path, value), "results.json")
    message = str(err.value)
    assert message.startswith(f"results.json: invalid results at '{key}") and "\n" not in message


def test_a_broken_current_extra_is_one_line(v1):
    current = json.loads(load_results(V1 / "results.json").to_json())
    with pytest.raises(AssayError, match=r"invalid results at 'tasks\.0\.extra'"):
        parse_results(_broken(current, ("tasks", 0, "extra"), True))


def test_a_threshold_that_is_not_a_number_names_the_config_key(v1):
    with pytest.raises(AssayError, match=r"^config\.yaml: scanners\.bias\.four_fifths is 'eighty', not a number"):
        parse_results(v1, "results.json", {"scanners": {"bias": {"four_fifths": "eighty"}}})


def test_the_unbroken_v1_file_still_opens_with_its_figures(v1):
    config = yaml.safe_load((V1 / "config.yaml").read_text())
    res = parse_results(v1, "results.json", config)
    task, raw = res.tasks[0], v1["tasks"][0]
    for name, m in raw["metrics"].items():
        assert (task.metrics[name].value, task.metrics[name].ci_low, task.metrics[name].ci_high) == \
            (m["value"], m["ci_low"], m["ci_high"])
        assert task.metrics[name].statement
    assert task.toxicity.rate.value == raw["toxicity"]["rate"]
