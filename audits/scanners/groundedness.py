"""Groundedness scanner: each answer's claims checked against the task's ``context`` column, offline.

A generate task names its source text (``context: FIELD``: the policy text, the retrieved
passages, the document to summarise). Per answer the detector (``audits.grounding``) splits the
output into claims and decides each supported / unsupported / contradicted with its nearest
context span. Published per task, per group like every metric, with intervals from
``audits.stats`` (exact for rates):

- ``hallucination_rate``: answers with at least one claim not supported, of the scorable answers;
- ``groundedness``: the mean share of an answer's claims that are supported (scorable answers);
- ``abstention_rate``: answers that decline ("I don't know"), of the answered rows. An abstention
  has no claims and is not a hallucination, so read this beside the rate: "always refuse" is not
  perfect, it is an abstention rate of 1.

Rows the detector cannot score get the verdict ``not scorable`` with a reason (empty context,
context over ``max_context_chars``, empty answer, a claim not in English) and are left out of
the rates' n. Every claim is a finding (``scanner`` = groundedness; ``entity_type`` = its verdict;
``context`` = the claim's text, redacted at rest like every finding; ``span_start``/``span_end`` =
its nearest context span). The block carries the detector's own measured quality on held-out,
length-matched HaluEval (``audits.grounding.quality``), flagged where below target.

Which scorer decides the claims is ``scorer`` (``audits.grounding.scorers``, one interface):
``builtin`` (default, offline), ``nli`` (a local NLI cross-encoder directory) or ``judge`` (a chat
model behind an OpenAI-compatible server, only when configured). Abstentions, not-scorable rows and
how claims make an answer's verdict are the same for all; the metrics' signature names the scorer
(for nli the directory's content hash and threshold, for judge the host, model and prompt
version). The shipped held-out quality is the built-in detector's: with another scorer the block
says its quality is not measured (``benchmarks/bench_groundedness_scorer.py`` measures it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from audits.config import AuditConfig
from audits.errors import AssayError
from audits.executors.base import RowStage
from audits.grounding.claims import LANGUAGE_CHECK_VERSION
from audits.grounding.scorers import Scorer, build_scorer
from audits.grounding.scorers.judge import JudgeOptions
from audits.grounding.scorers.nli import NliOptions
from audits.metrics.base import MetricResult
from audits.metrics.bootstrap import summarise
from audits.scanners._scanmetric import ScanMean, task_clusters
from audits.scanners.base import SCANNERS, ScanOutput, Scanner, ScannerOptions, TaskContext, as_text

CLAIM_COLUMNS = ["task", "sample_id", "scanner", "field", "entity_type", "start", "end", "score", "recognizer",
                 "leak", "context", "span_start", "span_end", "reason"]


class GroundednessOptions(ScannerOptions):
    """``scanners.groundedness``: the longest context scored (longer ones are 'not scorable'), whether
    the built-in detector aligns claims by MiniLM embeddings (slower; measured no better on held-out
    HaluEval, see benchmarks/README.md) instead of by word overlap, and which scorer decides claims:
    ``builtin`` (default), ``nli`` (a local NLI cross-encoder directory, ``nli: {path: DIR}``) or
    ``judge`` (a chat model on an OpenAI-compatible server, ``judge: {base_url, model}``)."""

    max_context_chars: int = Field(50_000, ge=100, le=1_000_000)
    embedding: bool = False
    scorer: str = "builtin"
    nli: NliOptions | None = None
    judge: JudgeOptions | None = None


class ScoredMean(ScanMean):
    """A scanner mean over the rows it could score: rows with stats [0, 0] are out of n."""

    def scored(self, stats: np.ndarray) -> np.ndarray:
        return np.asarray(stats)[:, 1] > 0


def _stats(values: list[float | None]) -> np.ndarray:
    """[value, 1] per scorable row, [0, 0] for a row outside the metric."""
    return np.array([[v, 1.0] if v is not None else [0.0, 0.0] for v in values], dtype=np.float64).reshape(-1, 2)


class GroundednessScore(RowStage):
    """Verdicts for (answer, context, question) rows from the configured scorer; each row's verdict
    depends on that row alone."""

    name = "groundedness"
    batch_size = 256

    def __init__(self, options: GroundednessOptions):
        self.options = options
        self._scorer: Scorer | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"options": self.options, "_scorer": None}  # the scorer is built where rows are answered

    def setup(self) -> None:
        if self._scorer is None:
            self._scorer = build_scorer(self.options)
        self._scorer.setup()

    def __call__(self, rows: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
        if self._scorer is None:
            self.setup()
        verdicts = self._scorer.score(rows)  # type: ignore[union-attr]
        return [{"verdict": v.verdict, "reason": v.reason, "score": v.score, "hallucination": v.hallucination,
                 "groundedness": v.groundedness,
                 "claims": [(c.claim.text, c.claim.start, c.claim.end, c.verdict, c.p_unsupported, c.span_start,
                             c.span_end) for c in v.claims]} for v in verdicts]


@SCANNERS.register("groundedness")
class GroundednessScanner(Scanner):
    name = "groundedness"
    Options = GroundednessOptions
    provides = frozenset({"metrics", "flags", "metric:hallucination_rate", "metric:groundedness",
                          "metric:abstention_rate", "flag:hallucination", "column:score_hallucination_rate",
                          "column:score_groundedness", "block:groundedness"})

    def validate(self, options: dict[str, Any], config: AuditConfig, datasets: dict[str, pd.DataFrame]) -> None:
        tasks = [t for t in config.tasks if t.context]
        if not tasks:
            raise AssayError("scanners.groundedness is on but no task names a 'context' column",
                             "add 'context: <column>' (the source text answers must stick to) to a generate task")
        for task in tasks:
            if task.type != "generate":
                raise AssayError(f"task '{task.name}': 'context' is for generate tasks (this one is {task.type})",
                                 "remove 'context' or make the task type: generate")
        opts = self.parse(options)
        try:
            scorer = build_scorer(opts)
        except AssayError as err:
            raise AssayError(f"scanners.groundedness.scorer: {err.problem}", err.fix) from None
        for other in ("nli", "judge"):
            if getattr(opts, other) is not None and opts.scorer != other:
                raise AssayError(f"scanners.groundedness.{other} is set but scanners.groundedness.scorer is "
                                 f"'{opts.scorer}'", f"set scorer: {other} to use it, or remove the {other} block")
        scorer.check()  # a missing model directory, a judge without a URL: one line, before inference

    def scan(self, ctx: TaskContext) -> ScanOutput:
        task, frame = ctx.task, ctx.samples
        if not task.context or "context" not in frame.columns:
            return ScanOutput()
        opts = self.parse(ctx.options)
        max_chars, embedding = opts.max_context_chars, opts.embedding
        scorer = build_scorer(opts)
        rows = [(as_text(a), as_text(c), as_text(q)) for a, c, q in
                zip(frame["prediction"], frame["context"], frame["input"])]
        found = ctx.map_rows(GroundednessScore(opts), rows)
        hallucination = [r["hallucination"] for r in found]
        grounded = [r["groundedness"] for r in found]
        abstained = [r["verdict"] == "abstained" for r in found]
        answered = [1.0 if a else (0.0 if r["verdict"] != "not scorable" else None) for a, r in zip(abstained, found)]
        sig = (f"{{name}}|{scorer.signature()}|context:{task.context}|max_context_chars:{max_chars}"
               f"|language-check:v{LANGUAGE_CHECK_VERSION}")
        metrics: dict[str, MetricResult] = {}
        pairs = {}
        for i, (name, values, hib) in enumerate((("hallucination_rate", hallucination, False),
                                                 ("groundedness", grounded, True),
                                                 ("abstention_rate", answered, False))):
            metric = ScoredMean(name, sig.format(name=name), higher_is_better=hib,
                                options={"max_context_chars": max_chars, "embedding": embedding,
                                         "scorer": opts.scorer})
            stats = _stats(values)
            metrics[name] = summarise(metric, stats, n_resamples=ctx.n_bootstrap, seed=ctx.seed + 101 + i,
                                      **task_clusters(ctx))
            pairs[name] = (metric, stats)
        verdicts = [r["verdict"] for r in found]
        block = {
            "context": task.context, "scorer": opts.scorer, "detector": scorer.quality(),
            "detector_version": scorer.version, "signature": scorer.signature(), "n": len(found),
            "n_scorable": int(sum(h is not None for h in hallucination)),
            "n_hallucinated": int(sum(h == 1.0 for h in hallucination)),
            "n_abstained": int(sum(abstained)),
            "n_not_scorable": int(sum(v == "not scorable" for v in verdicts)),
            "not_scorable_reasons": dict(pd.Series([r["reason"] for r in found if r["verdict"] == "not scorable"],
                                                   dtype=object).value_counts().astype(int)),
            "abstention_note": "an answer that declines has no claims and is not a hallucination; "
                               "read abstention_rate beside hallucination_rate",
        }
        return ScanOutput(
            findings=_findings(task.name, frame["sample_id"].astype(str).tolist(), found, scorer.version),
            sample_columns={"groundedness_verdict": verdicts, "groundedness_reason": [r["reason"] for r in found],
                            "score_hallucination_rate": metrics["hallucination_rate"].per_sample,
                            "score_groundedness": metrics["groundedness"].per_sample},
            flags={"hallucination": np.array([h == 1.0 for h in hallucination], dtype=bool)},
            metrics=metrics, metric_stats=pairs, results={"groundedness": block})


def _findings(task: str, ids: list[str], found: list[dict[str, Any]], version: str) -> pd.DataFrame:
    """One row per claim (and one per abstained / not-scorable answer, with its reason)."""
    rows = []
    for sid, r in zip(ids, found):
        if not r["claims"]:
            rows.append([task, sid, "groundedness", "prediction", r["verdict"], None, None, None, version, False,
                         None, None, None, r["reason"]])
        for text, start, end, verdict, p, a, b in r["claims"]:
            rows.append([task, sid, "groundedness", "prediction", verdict, start, end, p, version, False, text, a, b,
                         None])
    out = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    for col in ("start", "end", "span_start", "span_end"):
        out[col] = out[col].astype("Int64")
    out["score"] = out["score"].astype("float64")
    return out
