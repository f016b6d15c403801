"""Audit a stratified sample of a large log: a task's ``sample: {n: plan | N, stratify: COL, seed: S}``.

Before inference the job draws, per task that asks, a seeded sample without replacement with the
one sampler of production logs (``audits.datasets.production_log.stratified_sample``: proportional
allocation by largest remainder; strata whose share is under one row are drawn pooled, so no row
is audited above its share and the unweighted rates are the log's: ``audits.stats.pooled_strata``). ``n: plan`` takes the largest n
any control of the run's policy packs needs for the task (``audits.planning``), from
``sample.expect`` or the audit's latest complete run. What was drawn goes into the manifest
(``datasets.<task>.sample``): population, n drawn, strata sizes, seed, where n came from, and what
the intervals then describe — the population of logged interactions the sample came from.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from audits.errors import AssayError
from audits.jsontypes import JsonObject

COVERS = ("the intervals describe the {N} logged interactions the sample was drawn from (without replacement); "
          "they carry no finite-population correction, so they are conservative (wider) when n is a large "
          "share of N")


@dataclass
class SampleRecord:
    """What sampling a task's rows did (``manifest.datasets.<task>.sample``)."""

    population: int                       # rows the task had before sampling (after filter, --limit, skips)
    requested: int                        # n asked for (given, or from the plan)
    drawn: int                            # n audited
    seed: int
    stratify: list[str] = field(default_factory=list)
    strata: dict[str, int] = field(default_factory=dict)          # stratum -> rows in the log
    drawn_by_stratum: dict[str, int] = field(default_factory=dict)  # stratum -> rows audited
    n_from: str = "config"                # "config", or "plan: control X needs n at ..."
    whole_log: bool = False               # n >= population: every row audited
    notes: list[str] = field(default_factory=list)
    covers: str = ""

    def statement(self) -> str:
        """``audited a stratified sample of 400 of 10000 logged interactions (by segment, seed 0)``."""
        if self.whole_log:
            return (f"audited all {self.population} logged interactions (the sample asked for {self.requested}, "
                    "more than the log holds)")
        how = f"by {', '.join(self.stratify)}, " if self.stratify else "simple random, "
        return (f"audited a {'stratified ' if self.stratify else ''}sample of {self.drawn} of {self.population} "
                f"logged interactions ({how}seed {self.seed}; n from {self.n_from})")


def _warn(message: str) -> None:
    print(f"[assay] warning: {message}", file=sys.stderr, flush=True)


def draw(frame: pd.DataFrame, n: int, stratify: list[str], seed: int, *, what: str, n_from: str = "config",
         columns: list[str] | None = None) -> tuple[pd.DataFrame, SampleRecord]:
    """``n`` rows of ``frame`` by ``stratify`` (columns of ``frame``); ``what`` names the data in messages.

    A stratify column ``frame`` lacks is a one-line error naming it and ``columns`` (the columns that
    exist, default ``frame``'s); ``n`` above the rows there are audits every row, with a warning."""
    from audits.datasets.production_log import LogReport, stratified_sample, stratum_keys
    from audits.stats._strata import POOL, pooled_strata

    have = list(columns if columns is not None else frame.columns)
    for col in stratify:
        if col not in frame.columns:
            raise AssayError(f"{what}: sample stratify column '{col}' is not in the data (columns: "
                             f"{', '.join(map(str, have))})", "set stratify to one of those columns")
    keys = stratum_keys(frame, stratify)
    sizes = {str(k): int(v) for k, v in keys.value_counts().sort_index().items()}
    record = SampleRecord(population=len(frame), requested=int(n), drawn=len(frame), seed=int(seed),
                          stratify=list(stratify), strata=sizes, drawn_by_stratum=dict(sizes), n_from=n_from,
                          covers=COVERS.format(N=len(frame)))
    if n >= len(frame):
        record.whole_log = True
        record.notes.append(f"n {n} is not below the {len(frame)} rows there are: the whole log is audited")
        _warn(f"{what}: sample n {n} is more than the {len(frame)} rows there are; auditing all of them")
        return frame, record
    report = LogReport(path=what, format="sample")
    pooled = pooled_strata(sizes, int(n))  # no row audited above its share: the rates stay the log's
    out = stratified_sample(frame, int(n), list(stratify), int(seed), report, keys=keys.astype(str).map(pooled))
    drawn_keys = stratum_keys(out, stratify).value_counts().sort_index()
    record.drawn, record.drawn_by_stratum = len(out), {str(k): int(v) for k, v in drawn_keys.items()}
    small = [k for k, into in pooled.items() if into != k]
    if small:
        into = pooled[small[0]]
        names = ", ".join(f"'{k}'" for k in small[:5]) + (f" and {len(small) - 5} more" if len(small) > 5 else "")
        rows = sum(sizes[k] for k in small)
        with_ = "together" if into == POOL else f"with stratum '{into}'"
        note = (f"{len(small)} strat{'a' if len(small) != 1 else 'um'} ({names}; {rows} logged row"
                f"{'s' if rows != 1 else ''}) under one row at n {n}: drawn {with_}, so every logged row had the "
                f"same chance and the rates are not tilted toward them; "
                f"{sum(record.drawn_by_stratum.get(k, 0) for k in small)} audited")
        record.notes.append(note)
        _warn(f"{what}: {note}")
    if record.drawn > n:
        record.notes.append(f"{record.drawn} drawn, not {n}: there are more strata than n and each gets one row")
    return out, record


def _strata_columns(td: Any) -> tuple[pd.DataFrame, list[str]]:
    """``td.frame`` with the stratify columns it lacks (carried by the loader from the same rows, so the
    dataset is read once), and the source's column names (for the message when one is missing)."""
    frame = td.frame
    if td.strata is not None:
        frame = frame.assign(**{c: td.strata[c].to_numpy() for c in td.strata.columns})
    return frame, list(td.source_columns or frame.columns)


def plan_size(prepared: Any, task: str, expect: dict[tuple[str | None, str], float],
              packs: list[str], catalog: Any = None, resumed: str | None = None) -> Any:
    """``audits.planning.PlannedSize`` of ``task``: the largest n any control of ``packs`` needs; a
    ``resumed`` run plans from the run that was latest when it started, not one finished since."""
    from audits.planning import latest_results, plan_rows, task_size
    from policies.schema import load_pack

    if not packs:
        raise AssayError(f"task '{task}': sample n 'plan' needs a policy pack to plan for, and none is given",
                         "list packs under the config's 'policy' (e.g. policy: [internal-llm]) or give an "
                         "integer sample n")
    previous = latest_results(catalog, prepared.config.name, before=resumed)[1] if catalog is not None else None
    rows = plan_rows(prepared, [load_pack(p) for p in packs], expect, previous)
    return task_size(rows, task)


def sample_seed(task: Any, config: Any) -> int:
    """A task's sampling seed: its ``sample.seed``, else the task's seed, else the audit's."""
    spec = task.sample
    return next(s for s in (spec.seed if spec else None, task.seed, config.seed) if s is not None)


def spec_expect(spec: Any) -> dict[tuple[str | None, str], float]:
    """A task's ``sample.expect`` as ``plan_size`` takes expected values (any task, like ``--expect``)."""
    return {(None, k): float(v) for k, v in spec.expect.items()} if spec else {}


def draw_task_samples(prepared: Any, catalog: Any = None, resumed: str | None = None) -> dict[str, JsonObject]:
    """Replace each sampled task's data in ``prepared`` by its sample (before inference); returns
    ``{task: SampleRecord as a dict}`` for the manifest. ``catalog`` gives ``n: plan`` its previous run
    (for a ``resumed`` run, the previous run it had when it started: the same n, the same rows)."""
    records: dict[str, JsonObject] = {}
    for task in prepared.config.tasks:
        spec = task.sample
        if spec is None:
            continue
        n_from = "config"
        n = spec.n
        if n == "plan":
            planned = plan_size(prepared, task.name, spec_expect(spec), list(prepared.config.policy), catalog,
                                resumed)
            if planned.expected_from == "--expect":
                planned = dataclasses.replace(planned, expected_from="sample.expect")
            n, n_from = planned.n, f"plan: {planned.reason()}"
        td = prepared.data[task.name]
        seed = sample_seed(task, prepared.config)
        frame, columns = _strata_columns(td)
        sample, record = draw(frame, int(n), spec.stratify, seed, what=f"task '{task.name}'", n_from=n_from,
                              columns=columns)
        sample = sample[list(td.frame.columns)].reset_index(drop=True)  # stratify columns were only for drawing
        prepared.data[task.name] = dataclasses.replace(td, frame=sample, strata=None)
        records[task.name] = dataclasses.asdict(record)
    return records


def sample_statements(datasets: Mapping[str, object]) -> list[str]:
    """One line per sampled task of a manifest's ``datasets``: what was audited and what the intervals cover."""
    lines = []
    for name, d in sorted(datasets.items()):
        sample = getattr(d, "sample", None) if not isinstance(d, dict) else d.get("sample")
        if not isinstance(sample, dict):
            continue
        record = SampleRecord(**{k: v for k, v in sample.items() if k in SampleRecord.__dataclass_fields__})
        lines.append(f"{name}: {record.statement()}; {record.covers}.")
    return lines
