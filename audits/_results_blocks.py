"""The typed blocks of one task's results: every scanner's block and :class:`TaskResult`, which holds
them. Import these from :mod:`audits.results`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from audits._results_base import V1_FOUR_FIFTHS, Estimate, MetricSummary, _fold, _Open, _Strict
from audits._results_estimates import CLOPPER_PEARSON, KATZ_LOG, detector_estimates, fold_flat
from audits.jsontypes import JsonObject


def _with_detector_estimates(data: Any, key: str) -> Any:
    """``detector_estimates`` derived from the measured-quality JSON under ``key`` (kept when it is absent)."""
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        return data
    return {**data, "detector_estimates": detector_estimates(data[key])}


class GroupEntry(_Open):
    """One group of a fairness grouping: its size and every metric's estimate in that group."""

    n: int
    insufficient_data: bool = False
    metrics: dict[str, Estimate] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _fold_flat_metrics(cls, data: Any) -> Any:
        """The scanner writes ``{n, insufficient_data, <metric>: {...}}``; metrics go under ``metrics``."""
        if isinstance(data, dict) and "metrics" not in data:
            keep = {k: v for k, v in data.items() if not isinstance(v, dict)}
            keep["metrics"] = {k: v for k, v in data.items() if isinstance(v, dict)}
            return keep
        return data


class Gap(_Open):
    difference: float | None = None
    ratio: float | None = None


class GroupTest(_Open):
    """One pair of groups' selection rates (audits.stats.group_tests, Holm-corrected over the task)."""

    group: str
    reference: str
    difference: float | None = None
    p_value: float | None = None
    method: str | None = None
    ratio: float | None = None
    ratio_low: float | None = None   # Katz interval of the ratio
    ratio_high: float | None = None
    p_adjusted: float | None = None
    correction: str | None = None
    reading: str | None = None       # the four-fifths reading on the corrected p
    # ``ratio`` with its Katz interval as one Estimate (derived from the flat keys; n: the pair's samples)
    rate_ratio: Estimate | None = None

    @model_validator(mode="before")
    @classmethod
    def _fold_ratio(cls, data: Any) -> Any:
        return fold_flat(data, "rate_ratio", "ratio", ("ratio_low", "ratio_high"), KATZ_LOG)


class DiscriminationPair(_Open):
    """One pair's gap in group effect (``high`` minus ``low``) with its standard error."""

    high: str
    low: str
    gap: float
    se: float | None = None


class Discrimination(Estimate):
    """Tamkin et al. (2023)'s logit-difference discrimination score between the compared groups."""

    measure: str | None = None
    highest: str | None = None
    lowest: str | None = None
    # each group's mean logit (or, with ``pairs``, its effect within questions) minus the groups' mean
    by_group: dict[str, float] = Field(default_factory=dict)
    # set when samples share questions (clusters): every pair's fixed-effects gap, which the policies'
    # range interval reads; empty for plain group means and for results written before it
    pairs: list[DiscriminationPair] = Field(default_factory=list)


class FairnessGrouping(_Open):
    """Fairness of one attribute (or intersection, key ``a×b``) within a task."""

    groups_compared: int = 0
    min_group_size: int = 0
    four_fifths_threshold: float = V1_FOUR_FIFTHS
    demographic_parity_difference: float | None = None
    demographic_parity_ratio: float | None = None
    four_fifths_violation: bool | None = None
    equalized_odds_difference: float | None = None
    group_tests: list[GroupTest] = Field(default_factory=list)
    four_fifths_reading: str | None = None                              # the worst pair's reading
    demographic_parity_ratio_ci: list[float | None] | None = None       # the worst pair's Katz interval
    decision_parity_informative: bool | None = None                     # False: argmax decisions barely vary
    overall_selection_rate: float | None = None
    decision_parity_note: str | None = None
    discrimination: Discrimination | None = None
    metrics: dict[str, Gap] = Field(default_factory=dict)
    by_group: dict[str, GroupEntry] = Field(default_factory=dict)
    # demographic_parity_ratio with the worst pair's Katz interval as one Estimate (derived from the flat
    # keys, which policy packs name; n: the two groups' samples)
    parity_ratio: Estimate | None = None

    @model_validator(mode="before")
    @classmethod
    def _fold_ratio(cls, data: Any) -> Any:
        return fold_flat(data, "parity_ratio", "demographic_parity_ratio", "demographic_parity_ratio_ci", KATZ_LOG)

    @model_validator(mode="after")
    def _ratio_sizes(self) -> "FairnessGrouping":
        """Each ratio's n: the selection-rate samples of the two groups it compares."""
        def pair_n(test: GroupTest) -> int:
            sizes = [e.metrics["selection_rate"].n if "selection_rate" in e.metrics else e.n
                     for e in (self.by_group.get(test.group), self.by_group.get(test.reference)) if e is not None]
            return sum(sizes) if len(sizes) == 2 else 0
        for test in self.group_tests:
            if test.rate_ratio is not None and not test.rate_ratio.n:
                test.rate_ratio.n = pair_n(test)
        worst = min((t for t in self.group_tests if t.ratio is not None and t.ratio == t.ratio),
                    key=lambda t: t.ratio, default=None)  # type: ignore[arg-type, return-value]
        if self.parity_ratio is not None and not self.parity_ratio.n and worst is not None:
            self.parity_ratio.n = pair_n(worst)
        return self

    @property
    def small_groups(self) -> list[str]:
        return [g for g, e in self.by_group.items() if e.insufficient_data]


class PiiBlock(_Open):
    """What the PII scanner found in a task, and how good its detector is."""

    entities: list[str] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)
    score_threshold: float | None = None
    thresholds: dict[str, float] = Field(default_factory=dict)   # per entity, from the detection profile
    profile: str | None = None                                    # the profile file, or "default"
    findings: int = 0
    leaks: int = 0
    samples_with_leak: int = 0
    by_entity: dict[str, int] = Field(default_factory=dict)
    by_field: dict[str, int] = Field(default_factory=dict)
    rates: dict[str, Estimate] = Field(default_factory=dict)
    store_raw: bool = False
    value_hash: str | None = None
    engine: str | None = None
    detector: JsonObject = Field(default_factory=dict)
    detector_below_target: list[str] = Field(default_factory=list)  # entities whose recall misses its target
    # every figure of ``detector`` with an interval, as an Estimate by dotted path (derived from it)
    detector_estimates: dict[str, Estimate] = Field(default_factory=dict)
    long_texts: JsonObject | None = None  # texts scanned in overlapping windows (n, window_chars, note)
    public_text: JsonObject | None = None  # declared-public benchmark text left out of the counts (source, note)

    @model_validator(mode="before")
    @classmethod
    def _estimates(cls, data: Any) -> Any:
        return _with_detector_estimates(data, "detector")


class ToxicityBlock(_Open):
    """The share of toxic outputs and the mean toxicity score, each with its interval."""

    threshold: float | None = None
    fields: list[str] = Field(default_factory=list)
    rate: Estimate | None = None
    mean: Estimate | None = None
    n: int = 0
    n_toxic: int = 0
    model: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fold_flat(cls, data: Any) -> Any:
        """Written before Estimate: ``rate``/``mean`` numbers beside ``rate_ci``/``mean_ci`` lists."""
        return _fold(_fold(data, "rate", "rate_ci"), "mean", "mean_ci")


class ToxicityGap(Estimate):
    by_value: dict[str, float] = Field(default_factory=dict)  # mean toxicity for each swapped value


class SimilarityEstimate(Estimate):
    model: str | None = None  # the sentence-embedding model


class CounterfactualBlock(_Open):
    attribute: str | None = None
    values: list[str] = Field(default_factory=list)
    mode: str | None = None
    n: int = 0
    flip_rate: Estimate | None = None
    toxicity_gap: ToxicityGap | None = None
    similarity_mean: SimilarityEstimate | None = None
    decision_by_value: dict[str, dict[str, int]] = Field(default_factory=dict)
    skipped: str | None = None


class ExplainBlock(_Open):
    n_explained: int = 0
    target: str | None = None
    max_evals: int | None = None
    method: str | None = None
    samples: list[str] = Field(default_factory=list)
    skipped: str | None = None


class SensitivityVariant(_Open):
    variant: str
    n: int = 0
    flips: int = 0
    flip_rate: Estimate | None = None

    @model_validator(mode="before")
    @classmethod
    def _fold_flat(cls, data: Any) -> Any:
        """Written before Estimate: ``flip_rate`` with ``ci_low``/``ci_high`` beside it."""
        return _fold(data, "flip_rate")


class SensitivityBlock(_Open):
    """The prompt-sensitivity probe: decisions that flip under each rewording (exact intervals)."""

    variants: list[SensitivityVariant] = Field(default_factory=list)
    n: int = 0
    flipped_under_any: int = 0
    flip_rate_any: Estimate | None = None

    @model_validator(mode="before")
    @classmethod
    def _fold_flat(cls, data: Any) -> Any:
        """Written before Estimate: ``flip_rate_any`` with ``ci_low``/``ci_high`` beside it."""
        return _fold(data, "flip_rate_any")


class AttackRate(Estimate):
    """Share of red-team attacks that succeeded: ``successes`` of ``n``, exact (Clopper-Pearson) interval."""

    successes: int | None = None
    confidence: float | None = None


class RedteamBlock(_Open):
    """Red-team probes of a task (audits/scanners/redteam.py): attack success overall, per family, per
    attack technique and per sensitive group, each with its exact interval; the detectors' measured
    quality; for the leak probe, the run's canary and whether a system prompt had to be planted."""

    n: int = 0
    successes: int = 0
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    # value/ci_low/ci_high/n above as one Estimate (derived from them; exact, not cluster-aware: the
    # task's ``attack_success_rate`` metric is the clustered figure)
    attack_success_rate: AttackRate | None = None
    families: dict[str, AttackRate] = Field(default_factory=dict)
    by_attack: dict[str, AttackRate] = Field(default_factory=dict)
    by_group: dict[str, dict[str, AttackRate]] = Field(default_factory=dict)
    quoted_not_counted: int = 0
    owasp: dict[str, str] = Field(default_factory=dict)
    detectors: JsonObject = Field(default_factory=dict)
    canary: str | None = None
    planted_system_prompt: bool | None = None
    note: str | None = None
    # every figure of ``detectors`` with an interval, as an Estimate by dotted path (``compliance.recall``)
    detector_estimates: dict[str, Estimate] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _estimates(cls, data: Any) -> Any:
        data = fold_flat(data, "attack_success_rate", "value", ("ci_low", "ci_high"), CLOPPER_PEARSON, "n")
        if isinstance(data, dict) and isinstance(data.get("attack_success_rate"), dict) and "value" in data:
            data["attack_success_rate"] = {**data["attack_success_rate"], "successes": data.get("successes")}
        return _with_detector_estimates(data, "detectors")


class GroundednessBlock(_Open):
    """Claims of each answer checked against the task's context (audits/scanners/groundedness.py), and the
    detector's own measured quality on held-out, length-matched HaluEval (``detector``: per subset
    balanced accuracy, AUROC, precision and recall for "unsupported" with intervals; top level = the
    lowest subset; ``below_target`` lists subsets under target; ``second_set``: the same figures on FaithGate's
    100 hand-labelled answers, outside the targets — ``reports.sections.second_set_text`` says it in words)."""

    context: str | None = None              # the task's context column
    detector_version: str | None = None
    signature: str | None = None            # detector version, coefficients hash, options
    n: int = 0
    n_scorable: int = 0                     # rows with claims scored (the rates' n)
    n_hallucinated: int = 0
    n_abstained: int = 0                    # declined: no claims, not a hallucination
    n_not_scorable: int = 0                 # empty/over-long context, empty answer, a claim not in English
    not_scorable_reasons: dict[str, int] = Field(default_factory=dict)
    detector: JsonObject = Field(default_factory=dict)
    # every figure of ``detector`` with an interval, as an Estimate by dotted path (``by_subset.qa.recall``)
    detector_estimates: dict[str, Estimate] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _estimates(cls, data: Any) -> Any:
        return _with_detector_estimates(data, "detector")


class TaskResult(_Strict):
    """One task of a run: what was measured, on which data, and every scanner's block."""

    name: str
    type: str
    n: int
    positive: str | None = None
    source: str | None = None
    dataset_sha256: str | None = None
    attributes: list[str] = Field(default_factory=list)
    metrics: dict[str, MetricSummary] = Field(default_factory=dict)
    fairness: dict[str, FairnessGrouping] = Field(default_factory=dict)
    pii: PiiBlock | None = None
    toxicity: ToxicityBlock | None = None
    counterfactual: CounterfactualBlock | None = None
    explain: ExplainBlock | None = None
    sensitivity: SensitivityBlock | None = None
    redteam: RedteamBlock | None = None
    groundedness: GroundednessBlock | None = None
    extra: JsonObject = Field(default_factory=dict, description="blocks from scanners without a typed block")

    def metric(self, name: str) -> MetricSummary | None:
        return self.metrics.get(name)


TASK_BLOCK_FIELDS = ("fairness", "pii", "toxicity", "counterfactual", "explain", "sensitivity", "redteam",
                     "groundedness")
