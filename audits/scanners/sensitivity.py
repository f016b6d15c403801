"""Prompt-sensitivity probe: does a choice task's verdict survive rewording?

For up to ``max_samples`` samples of a choice task, the prompt is rewritten by each of k
``variants`` (templates over the task's rendered prompt, ``{input}``), the choices are scored
again with the task's own scoring options (audits/backends/choices.py), and the decisions that
differ from the original are counted. The result gives, per variant, the flip rate with an
exact (Clopper–Pearson) 95% interval, and the share of samples whose decision flips under at
least one variant.
Off unless configured: ``scanners: {sensitivity: {variants: [...], max_samples: 50}}``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from audits.backends.choices import resolve_chat_template, score_chunk
from audits.config import AuditConfig
from audits.errors import AssayError
from audits.results import Estimate, SensitivityBlock, SensitivityVariant, jsonable
from audits.scanners.base import SCANNERS, ScannerOptions, ScanOutput, Scanner, TaskContext, parse_scanner_options
from audits.stats import clopper_pearson
from audits.stats._signature import CLOPPER_PEARSON

DEFAULT_VARIANTS = [
    "{input}\nAnswer:",
    "Question: {input}",
    "{input}\nThink about it carefully before you answer.",
]


class SensitivityOptions(ScannerOptions):
    variants: list[str] = Field(default_factory=lambda: list(DEFAULT_VARIANTS))
    max_samples: int = Field(50, ge=1, le=100_000)


def flip_interval(k: int, n: int) -> tuple[float, float]:
    """The exact (Clopper–Pearson) 95% interval of a flip rate, from the one statistics module."""
    if n == 0:
        return float("nan"), float("nan")
    low, high = clopper_pearson(k, n)
    return float(low), float(high)


def flip_estimate(k: int, n: int) -> Estimate:
    """``k`` flips of ``n`` decisions as an Estimate with its exact interval (None where n is 0)."""
    low, high = flip_interval(k, n)
    return Estimate.model_validate(jsonable({"value": k / n if n else None, "ci_low": low, "ci_high": high, "n": n,
                                             "method": CLOPPER_PEARSON}))


@SCANNERS.register("sensitivity")
class SensitivityScanner(Scanner):
    """Re-score choice tasks under k prompt rewordings; report how many decisions flip."""

    name = "sensitivity"
    Options = SensitivityOptions

    def validate(self, options: ScannerOptions, config: AuditConfig, datasets: dict[str, pd.DataFrame]) -> None:
        for variant in parse_scanner_options(self.name, SensitivityOptions, options).variants:
            if "{input}" not in variant:
                raise AssayError(f"scanners.sensitivity.variants: {variant!r} has no '{{input}}' placeholder",
                                 "write each variant as a template around {input}, e.g. 'Question: {input}'")

    def scan(self, ctx: TaskContext) -> ScanOutput:
        task, backend = ctx.task, ctx.backend
        if task.type != "choice" or backend is None or "loglikelihood" not in backend.capabilities:
            return ScanOutput()
        opts = parse_scanner_options(self.name, SensitivityOptions, ctx.options)
        base = ctx.samples.head(opts.max_samples)
        templated = resolve_chat_template(backend, task)
        original = base["prediction"].astype(str).to_numpy()
        flipped_any = np.zeros(len(base), dtype=bool)
        variants: list[SensitivityVariant] = []
        for variant in opts.variants:
            chunk = pd.DataFrame({"sample_id": base["sample_id"].values, "choices": base["choices"].values,
                                  "input": [variant.replace("{input}", text) for text in base["input"]]})
            again = score_chunk(backend, task, chunk, templated)["prediction"].astype(str).to_numpy()
            flips = again != original
            flipped_any |= flips
            variants.append(SensitivityVariant(variant=variant, n=len(base), flips=int(flips.sum()),
                                               flip_rate=flip_estimate(int(flips.sum()), len(base))))
        block = SensitivityBlock(variants=variants, n=len(base), flipped_under_any=int(flipped_any.sum()),
                                 flip_rate_any=flip_estimate(int(flipped_any.sum()), len(base)))
        table = pd.DataFrame([{"task": task.name, "variant": v.variant, "n": v.n, "flips": v.flips,
                               "flip_rate": v.flip_rate.value, "ci_low": v.flip_rate.ci_low,
                               "ci_high": v.flip_rate.ci_high} for v in variants])
        return ScanOutput(results={"sensitivity": block}, tables={"sensitivity": table})
