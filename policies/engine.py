"""Evaluate policy packs against a run: automatic checks and manual attestations.

Statuses: ``pass`` / ``fail`` / ``inconclusive`` (automatic check, decided on confidence
bounds, see ``policies.bounds``: pass when the control's interval clears the threshold, fail
when it lies wholly beyond it, otherwise inconclusive with the samples that would decide),
``no-data`` (an input the check needs is absent, or a metric has no interval: never a silent
pass), ``needs-attestation`` / ``attested`` / ``fail`` (a manual control whose latest
attestation rejected it).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd

from audits.errors import AssayError
from audits.hashing import sha256_path
from audits.store.catalog import Catalog
from audits.store.queries import policies as policies_q
from audits.store.records import AttestationRecord, SignoffRecord
from audits.trust.packs import pack_hashes
from policies.context import (RESERVED_ROOTS, SCANNER_METRICS, RunContext, TaskResolver, build_context,
                              prefetch_monitoring)
from policies.bounds import EXACT_COUNT, SLOPE_END, IntervalEvaluator, Judgement, Unsupported
from policies.expr import MissingInput, NotInTask
from policies.schema import Control, Pack, load_pack

STATUSES = ("pass", "fail", "inconclusive", "no-data", "needs-attestation", "attested")


class TaskCheck(TypedDict):
    """A check's verdict on one task (``None``: a run-level check), as ``assay check --json`` lists it."""

    task: str | None
    passed: bool
    verdict: str                    # pass | fail | inconclusive
    value: float | None             # the measured side of the comparison
    threshold: str | None           # e.g. '>= 0.85'
    bound: float | None             # the confidence bound the verdict turned on
    bound_side: str | None          # lower | upper
    n: int | None
    n_needed: int | None
    method: str | None              # how the bound was made
    reason: str                     # why it is inconclusive / decided on a point value
    inputs: dict[str, float]        # the scalar names it read and their values


@dataclass
class ChecklistItem:
    pack: str
    control_id: str
    title: str
    source: str
    owner: str
    severity: str
    kind: str                       # check | attestation
    status: str                     # one of STATUSES
    expression: str | None = None
    area: str | None = None         # the question it answers (accuracy/fairness/privacy/safety/process; schema.Area)
    value: float | None = None      # measured value (worst task for per-task checks)
    threshold: str | None = None    # e.g. '>= 0.85'
    detail: str = ""                # why no-data / which tasks failed / who attested
    bound: float | None = None      # the confidence bound the verdict turned on (worst task)
    bound_side: str | None = None   # lower | upper
    n: int | None = None            # samples behind the measured value
    n_needed: int | None = None     # samples that would decide an inconclusive check (80% power)
    task: str | None = None         # the task whose value, bound, n and n_needed these are (None: run-level)
    method: str | None = None       # how that task's bound was made
    confidence: float | None = None
    tasks: list[TaskCheck] = field(default_factory=list)
    attestation: AttestationRecord | None = None
    required_role: str | None = None
    evidence: str | None = None


@dataclass
class Checklist:
    run_id: str
    packs: list[str]
    items: list[ChecklistItem]
    signoffs: list[SignoffRecord] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for it in self.items:
            out[it.status] = out.get(it.status, 0) + 1
        return out

    @property
    def failed(self) -> bool:
        """True when an automatic control failed (the CI gate)."""
        return any(it.kind == "check" and it.status == "fail" for it in self.items)

    @property
    def inconclusive(self) -> bool:
        """True when an automatic control could not be decided at this sample size."""
        return any(it.kind == "check" and it.status == "inconclusive" for it in self.items)

    @property
    def nothing_decided(self) -> bool:
        """True when no control was decided: every one is no-data, inconclusive or awaits
        attestation (a pack of only manual controls before anyone attests, or a run without the
        data a pack reads). Such a checklist is not an OK."""
        return not any(it.status in ("pass", "fail", "attested") for it in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "packs": self.packs, "counts": self.counts, "failed": self.failed,
                "inconclusive": self.inconclusive, "nothing_decided": self.nothing_decided,
                "items": [asdict(it) for it in self.items], "signoffs": self.signoffs}

    def to_frame(self) -> pd.DataFrame:
        cols = ["pack", "control_id", "title", "source", "owner", "severity", "kind", "status",
                "value", "bound", "threshold", "n", "n_needed", "expression", "detail"]
        return pd.DataFrame([{c: getattr(it, c) for c in cols} for it in self.items], columns=cols)


def _scoped_tasks(ctx: RunContext, control: Control) -> list[dict]:
    tasks = ctx.tasks
    if control.applies_to is not None:
        tasks = [t for t in tasks if control.applies_to.matches(t.name, t.type)]
    return tasks


def _known_metric(ctx: RunContext, name: str) -> bool:
    from audits.metrics.base import METRICS
    try:
        import audits.metrics  # noqa: F401  (registers built-in metrics)
    except Exception:  # noqa: BLE001 - a vocabulary hint only
        pass
    return (name in ctx.metric_names() or name in METRICS or name in SCANNER_METRICS
            or name in ctx.catalog_metric_names)


def _check_names(ctx: RunContext, pack: Pack, control: Control, names: tuple[tuple[str, ...], ...]) -> None:
    for path in names:
        root = path[0]
        if root == "previous" and len(path) > 1:
            root = path[1]
        if root in RESERVED_ROOTS:
            continue
        if not _known_metric(ctx, root):
            raise AssayError(f"pack '{pack.name}', control {control.id}: the check names metric '{root}', "
                             f"which no task of run '{ctx.run['run_id']}' has and Assay does not know",
                             f"fix the name; this run's metrics are: {', '.join(sorted(ctx.metric_names())) or '(none)'}")


def deciding_row(rows: list[TaskCheck]) -> TaskCheck:
    """The task row that decides a check among ``rows`` (those sharing its verdict): the one furthest
    on the wrong side — the largest value for ``<=``/``<``, the smallest for ``>=``/``>`` — so its
    value, n, bound and n-needed are read together (the first row when none has a finite value)."""
    finite = [r for r in rows if _num(r.get("value")) is not None]
    if not finite:
        return rows[0]
    low_is_bad = str(rows[0].get("threshold") or "").lstrip().startswith(">")
    return (min if low_is_bad else max)(finite, key=lambda r: float(r["value"]))


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        return None
    return float(x)


def _evaluate_check(ctx: RunContext, pack: Pack, control: Control, item: ChecklistItem) -> None:
    expr = pack.expression(control.id)
    _check_names(ctx, pack, control, expr.names)
    task_level = any(p[0] not in ("review", "tasks") and not p[0].startswith(("days_since", "quarters_since"))
                     for p in expr.names)
    scope: list[dict | None] = list(_scoped_tasks(ctx, control)) if task_level else [None]
    explicit = control.applies_to is not None
    results: list[TaskCheck] = []
    missing: list[str] = []
    outside: list[str] = []
    for task in scope:
        label = task.name if task else None
        resolver = _Recording(ctx, task)
        try:
            ok = bool(expr.evaluate(resolver))
            cmp = expr.comparison(resolver)
            judged = _judge(ctx, task, resolver, expr, control.confidence, ok)
        except NotInTask as miss:
            if explicit:
                missing.append(f"{label}: {miss.name} missing")
            else:
                outside.append(str(label))
            continue
        except MissingInput as miss:
            missing.append(f"{label + ': ' if label else ''}{miss.name} — {miss.why}")
            continue
        except ZeroDivisionError:  # the data, not the expression: e.g. a rate / previous.rate whose previous is 0
            missing.append(f"{label + ': ' if label else ''}{expr.source} — a divisor is 0 in the data "
                           "(e.g. the previous run's rate), so the ratio is undefined")
            continue
        except (TypeError, ValueError, OverflowError) as err:
            raise AssayError(f"pack '{pack.name}', control {control.id}: check {expr.source!r} cannot be "
                             f"evaluated{' on task ' + str(label) if label else ''} ({err})",
                             "fix the expression (see policies/SCHEMA.md)") from None
        results.append({"task": label, "passed": judged.verdict == "pass", "verdict": judged.verdict,
                        "value": _num(cmp[0]) if cmp and judged.method != SLOPE_END else _num(judged.value),
                        "threshold": cmp[1] if cmp else None, "bound": _num(judged.bound),
                        "bound_side": judged.bound_side, "n": judged.n, "n_needed": judged.n_needed,
                        "method": judged.method, "reason": judged.reason, "inputs": resolver.seen})
        if results[-1]["n"] is None:  # an exact fact or a comparison of two estimates: the count behind it
            results[-1]["n"] = _count_behind(ctx, task, resolver.seen)
            if results[-1]["bound"] is not None and results[-1]["bound"] == _num(judged.value):
                results[-1]["bound"] = results[-1]["bound_side"] = None  # a point interval: a fact, no bound
    item.tasks = results
    item.confidence = control.confidence
    failing = [r for r in results if r["verdict"] == "fail"]
    undecided = [r for r in results if r["verdict"] == "inconclusive"]
    shown = failing or undecided or results
    if shown:  # every figure of the item from one task: the one that decides it
        row = deciding_row(shown)
        if shown is not results:  # the deciding row leads the detail, as it leads the figures
            shown.sort(key=lambda r: r is not row)
        item.task = row["task"]
        item.value, item.threshold = row["value"], row["threshold"]
        item.bound, item.bound_side = row["bound"], row["bound_side"]
        item.n, item.method = row["n"], row["method"]
        item.n_needed = row["n_needed"] if not failing else None  # nothing is left to decide once it failed
    if failing:
        item.status = "fail"
        item.detail = "failed on " + ("; " if any(r["method"] == EXACT_COUNT for r in failing) else ", ").join(
            str(r["task"]) + (f": {r['reason']}" if r["method"] == EXACT_COUNT else "") for r in failing if r["task"]) if any(
            r["task"] for r in failing) else "failed: " + _inputs(failing[0])
        if missing:
            item.detail += "; no data: " + "; ".join(missing)
    elif undecided:
        item.status = "inconclusive"
        item.detail = "; ".join((f"{r['task']}: " if r["task"] else "") + r["reason"] for r in undecided)
        if missing:
            item.detail += "; no data: " + "; ".join(missing)
    elif missing or not results:
        item.status = "no-data"
        # no task decides it: a passing task's figures beside NO-DATA would read as its evidence
        item.task = item.value = item.bound = item.bound_side = item.n = item.n_needed = item.method = None
        item.detail = "; ".join(missing) if missing else (
            f"no task in this run has {', '.join('.'.join(p) for p in expr.names)}")
    else:
        item.status = "pass"
        item.detail = ("on " + ", ".join(str(r["task"]) for r in results)) if results[0]["task"] else _inputs(results[0])
    if results and results[0]["task"] is None and (words := _review_words(ctx, results[0])):
        item.detail += f" ({words})"
    if outside and results:
        item.detail += f" (not measured on {', '.join(outside)})"


def _judge(ctx: RunContext, task: Any, resolver: TaskResolver, expr: Any, confidence: float,
           point: bool) -> Judgement:
    """The verdict on the control's confidence bounds; a form without an interval reading
    (e.g. ``any(...)``) is decided on its point value and says so."""
    try:
        return IntervalEvaluator(ctx, task, resolver, confidence).judge(expr.tree.body)
    except Unsupported as why:
        return Judgement("pass" if point else "fail", reason=f"decided on the point value ({why} has no interval)")


class _Recording(TaskResolver):
    """A TaskResolver that remembers the scalar inputs it resolved (shown in the detail)."""

    def __init__(self, ctx: RunContext, task: dict | None):
        super().__init__(ctx, task)
        self.seen: dict[str, float] = {}

    def resolve(self, path: tuple[str, ...]) -> Any:
        value = super().resolve(path)
        if _num(value) is not None:
            self.seen[".".join(path)] = float(value)
        return value


# the count a run-level review figure is a share of (``queries.reviews.review_summary``)
_REVIEW_BASE = {"review.coverage": "n_samples", "review.queue_coverage": "n_queue"}


def _count_behind(ctx: RunContext, task: Any, seen: dict[str, float]) -> int | None:
    """The n behind a check the bounds evaluator gives none: a review share's base (all samples,
    or the queue), or, on a task, the n of the first metric it read (e.g. ``accuracy`` in a
    comparison with ``previous.accuracy``); None when nothing names one."""
    for name in seen:
        if task is None and name in _REVIEW_BASE and ctx.review:
            return int(ctx.review[_REVIEW_BASE[name]])  # type: ignore[literal-required]
        entry = getattr(task, "metrics", {}).get(name) if task is not None else None
        if entry is not None and _num(getattr(entry, "n", None)):
            return int(entry.n)
    return None


def _review_words(ctx: RunContext, result: TaskCheck) -> str:
    """'0 of 24 outputs reviewed; 19 in the review queue' for a check that read the review summary."""
    if not ctx.review or not any(k.startswith("review.") for k in (result.get("inputs") or {})):
        return ""
    r = ctx.review
    return f"{int(r['n_reviewed']):,} of {int(r['n_samples']):,} outputs reviewed; {int(r['n_queue']):,} in the review queue"


def _inputs(result: TaskCheck) -> str:
    return ", ".join(f"{k} = {v:.4g}" for k, v in (result.get("inputs") or {}).items())


def _apply_attestation(item: ChecklistItem, control: Control, latest: AttestationRecord | None) -> None:
    assert control.attestation is not None
    item.required_role = control.attestation.role
    item.evidence = control.attestation.evidence
    if latest is None:
        item.status = "needs-attestation"
        item.detail = f"needs an attestation by the {control.attestation.role} role, with {control.attestation.evidence} evidence"
        return
    item.attestation = latest
    item.status = "attested" if latest["status"] == "attested" else "fail"
    item.detail = f"{latest['status']} by {latest['username']} ({latest['role']}) on {str(latest['created_at'])[:16]}"


def run_packs(ctx: RunContext) -> list[str]:
    """The packs the run's config named (``policy:``), as recorded in its results."""
    return [str(p) for p in (ctx.results.policy or [])]


def evaluate_run(cat: Catalog, run_id: str, packs: list[str] | None = None) -> Checklist:
    """Evaluate every control of ``packs`` (names or paths; default: the packs the run's config
    named) against one run."""
    ctx = build_context(cat, run_id)
    if not packs:
        packs = run_packs(ctx)
    if not packs:
        raise AssayError(f"run '{run_id}' names no policy pack and none was given",
                         "pass --policy NAME (e.g. internal-llm) or a pack YAML path, or list packs in the "
                         "config's 'policy:'")
    loaded = [load_pack(p) for p in packs]
    prefetch_monitoring(ctx, loaded)  # trend.* / drift.* computed once, outside the per-check time limit
    att = policies_q.list_attestations(cat, run_id, latest=True)
    latest = {(r["pack"], r["control_id"]): r for r in att.to_dict("records")}
    items: list[ChecklistItem] = []
    for pack in loaded:
        for c in pack.controls:
            item = ChecklistItem(pack=pack.name, control_id=c.id, title=c.title, source=c.source, owner=c.owner,
                                 severity=c.severity, kind=c.kind, status="no-data", expression=c.check,
                                 area=c.area)
            if c.check is not None:
                _evaluate_check(ctx, pack, c, item)
            else:
                _apply_attestation(item, c, latest.get((pack.name, c.id)))
            items.append(item)
    signoffs = policies_q.list_signoffs(cat, run_id).to_dict("records")
    return Checklist(run_id=run_id, packs=[p.name for p in loaded], items=items, signoffs=signoffs)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of an attestation's evidence file (``audits.hashing.sha256_path``: the bundle's digest)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise AssayError(f"evidence file {p} does not exist", "check the --file path")
    return sha256_path(p)


def attest(cat: Catalog, run_id: str, pack: str, control_id: str, username: str, role: str, *,
           note: str | None = None, link: str | None = None, file: str | Path | None = None,
           status: str = "attested") -> str:
    """Attest a manual control with evidence; AssayError (nothing stored) on any problem."""
    loaded = load_pack(pack)
    control = loaded.control(control_id)
    if control.attestation is None:
        raise AssayError(f"control {control_id} of pack '{loaded.name}' is an automatic check",
                         "only controls with 'attestation:' are attested; `assay check` evaluates this one")
    need = control.attestation.evidence
    if not (note and note.strip()):
        raise AssayError(f"attesting {control_id} needs a note", "pass --note 'what was checked and where'")
    if need == "link" and not link:
        raise AssayError(f"control {control_id} needs a link as evidence", "pass --link URL")
    if link and not str(link).startswith(("http://", "https://", "file:", "/")):
        raise AssayError(f"evidence link {link!r} is not a URL", "pass --link https://...")
    if need == "file" and file is None:
        raise AssayError(f"control {control_id} needs a file as evidence", "pass --file PATH (its SHA-256 is stored)")
    sha = file_sha256(file) if file is not None else None
    if file is not None and not link:
        link = f"file:{Path(file).name}"
    return policies_q.add_attestation(cat, run_id, loaded.name, control_id, username, role,
                                      required_role=control.attestation.role, status=status, note=note,
                                      evidence_link=link, evidence_sha256=sha, packs=pack_hashes([pack], run_id))


def signoff(cat: Catalog, run_id: str, username: str, role: str, decision: str, note: str | None = None,
            shown: list[str] | None = None) -> str:
    """The committee's sign-off of a run (any other role: AssayError, nothing stored). The signed log
    entry records the SHA-256 of each pack file the run is checked against (``audits.trust.packs``):
    the packs its config names and ``shown``, the packs the committee was looking at (the Policies
    page's selection, ``assay signoff --policy``), so a run whose config names none is pinned too."""
    from audits.store.queries import runs as runs_q

    try:
        sources = [str(p) for p in (runs_q.get_results(cat, run_id).policy or [])]
    except AssayError:  # no such run / no results: add_signoff names the problem
        sources = []
    sources += [str(p) for p in (shown or []) if str(p) not in sources]
    return policies_q.add_signoff(cat, run_id, username, role, decision, note, packs=pack_hashes(sources, run_id))
