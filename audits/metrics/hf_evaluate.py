"""``evaluate:<name or path>``: any Hugging Face ``evaluate`` module as an Assay metric.

The module is run once per sample and the metric is the mean of those per-sample scores, so it
can be bootstrapped and split by group like every other metric (for corpus-level modules such as
BLEU this differs from one corpus call; the signature says ``per-sample-mean``). The score is the
returned dict's key named after ``#`` (``evaluate:./m.py#f1``), else its first number.
"""

from __future__ import annotations

import numbers
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.metrics._common import MeanMetric, need, package_version
from audits.metrics.base import MetricInputs

PREFIX = "evaluate:"


def parse_name(name: str) -> tuple[str, str | None]:
    """'evaluate:./m.py#f1' -> ('./m.py', 'f1')."""
    spec = name[len(PREFIX):] if name.startswith(PREFIX) else name
    path, _, key = spec.partition("#")
    if not path:
        raise AssayError(f"metric {name!r} names no evaluate module",
                         "write evaluate:<local module path>, e.g. evaluate:./metrics/my_metric.py")
    return path, key or None


@lru_cache(maxsize=32)
def _load(path: str) -> Any:
    import evaluate

    try:
        return evaluate.load(path, keep_in_memory=True)  # no Arrow cache files per compute call
    except Exception as err:  # offline hub miss, bad script...: one line for the user
        if not Path(path).exists():
            raise AssayError(f"evaluate module {path!r} is not available offline",
                             "pass a local module path, e.g. evaluate:./metrics/my_metric.py") from None
        raise AssayError(f"evaluate module {path!r} failed to load: {type(err).__name__}: {err}".splitlines()[0],
                         "check that the file is a valid evaluate module script") from None


def pick_score(result: JsonObject, key: str | None, source: str) -> tuple[str, float]:
    """The named numeric entry of an evaluate result, or its first number."""
    if not isinstance(result, dict):
        raise AssayError(f"evaluate module {source!r} returned {type(result).__name__}, not a dict",
                         "return a dict of scores from _compute")
    if key is not None:
        if key not in result:
            raise AssayError(f"evaluate module {source!r} returned no key {key!r} (keys: {', '.join(map(str, result))})",
                             f"use one of them after '#', e.g. evaluate:{source}#{next(iter(result), 'score')}")
        return key, float(result[key])
    for k, v in result.items():
        if isinstance(v, numbers.Real) and not isinstance(v, bool):
            return str(k), float(v)
    raise AssayError(f"evaluate module {source!r} returned no number (keys: {', '.join(map(str, result))})",
                     "return a numeric score from _compute")


class EvaluateMetric(MeanMetric):
    """A Hugging Face evaluate module, computed per sample and averaged."""

    requires = frozenset()  # references for generate tasks, labels for choice tasks: see required_inputs
    task_types = frozenset({"generate", "choice"})

    def __init__(self, name: str):
        self.path, self.key = parse_name(name)
        self.name = f"{PREFIX}{self.path}" + (f"#{self.key}" if self.key else "")
        self.module = _load(self.path)
        self._chosen: str | None = self.key

    @staticmethod
    def required_inputs(task_type: str) -> frozenset[str]:
        return frozenset({"labels"}) if task_type == "choice" else frozenset({"references"})

    def stats(self, inputs: MetricInputs) -> np.ndarray:
        self.reference_field = "references" if inputs.references is not None else "labels"
        need(inputs, self.reference_field, self.name)
        return super().stats(inputs)

    def score(self, prediction: str, target: str, inputs: MetricInputs) -> float:
        result = self.module.compute(predictions=[prediction], references=[target])
        self._chosen, value = pick_score(result, self.key, self.path)
        return value

    def signature(self) -> str:
        module_name = getattr(self.module, "name", None) or Path(self.path).stem
        key = self._chosen or "first-number"
        return (f"{PREFIX}{module_name}|evaluate:{package_version('evaluate')}|key:{key}"
                f"|per-sample-mean|path:{self.path}")
