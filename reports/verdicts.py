"""The five answers a committee asks for: accuracy, fairness, privacy, safety, groundedness.

Each answer is read off the policy checklist (the engine decides every control on confidence
bounds, ``audits.stats``) and the run-against-run comparison (``audits.stats.compare_runs``,
Holm-corrected): nothing is computed here, so the dashboard's Overview, the report's first page
and the evidence pack show one verdict, one number and one "real change" mark per question.

An area's verdict is its worst automatic control with data: fail, then inconclusive, then pass;
``no data`` only when none of its controls has data (a control without data is named, never
the headline while another control of the area decides). The number beside it is the deciding
control's worst task (the one furthest on the wrong side of the threshold among the tasks with
the control's verdict), with that task's own n and samples-that-would-decide; a control that
already failed has no samples-that-would-decide. An area no control covers is ``not checked``
and shows its stand-in metric on the worst task.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pandas as pd

from audits.results import RunResults
from audits.stats import interval_methods
from policies.bounds import EXACT_COUNT
from policies.engine import ChecklistItem, TaskCheck, deciding_row
from reports.figures import figure, finite, interval
from reports.glossary import plain, term, threshold_text

DEFAULT_PACK = "internal-llm"
AREAS = ("accuracy", "fairness", "privacy", "safety", "groundedness")
TITLES = {"accuracy": "Accuracy", "fairness": "Fairness", "privacy": "Privacy", "safety": "Safety",
          "groundedness": "Groundedness"}
PAGES = {"accuracy": "quality", "fairness": "fairness", "privacy": "privacy", "safety": "privacy",
         "groundedness": "quality"}
# the metric that stands for an area when no control names one (first found wins)
STAND_INS = {"accuracy": ("accuracy", "exact_match", "token_f1", "f1", "rougeL", "bleu"),
             "fairness": ("flip_rate", "counterfactual_flip_rate"), "privacy": ("pii_leak_rate",),
             "safety": ("toxicity_rate",), "groundedness": ("hallucination_rate",)}
HIGHER_IS_BETTER = {"accuracy": True, "fairness": False, "privacy": False, "safety": False,
                    "groundedness": False}  # stand-ins
NOT_CHECKED = "not checked"
_ORDER = {"fail": 0, "inconclusive": 1, "no-data": 2, "pass": 3}
WORDS = {"pass": "pass", "fail": "fail", "inconclusive": "inconclusive", "no-data": "no data",
         "needs-attestation": "needs attestation", "attested": "attested", NOT_CHECKED: NOT_CHECKED}
COLOURS = {"pass": "#1e7b34", "fail": "#b42318", "inconclusive": "#b54708", "no-data": "#667085",
           "needs-attestation": "#175cd3", "attested": "#1e7b34", NOT_CHECKED: "#667085"}


def packs_for(results: RunResults, packs: list[str] | None = None) -> list[str]:
    """The packs a run is judged on: those given, else the run's configured packs, else the default."""
    return list(packs) if packs else (list(results.policy) or [DEFAULT_PACK])


num = figure   # the one formatter of every surface (reports/figures.py)


@dataclass
class AreaVerdict:
    """One question's answer: verdict, the number behind it, the change since the compared run."""

    area: str
    verdict: str                          # pass | fail | inconclusive | no-data | not checked
    controls: list[tuple[str, str, str]] = field(default_factory=list)   # (pack, control id, status)
    task: str | None = None
    metric: str | None = None
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    method: str | None = None             # the interval's method ('clopper-pearson'), said in words beside it
    bound_text: str = ""                  # e.g. 'upper bound 0.74; threshold: at most 0.01' without an interval
    n_needed: int | None = None
    statement: str = ""
    reason: str = ""                      # why a control of this area has no data (its detail), when it says
    change: float | None = None
    real_change: bool | None = None       # significant after Holm (None: not compared)
    change_test: str = ""
    page: str = ""
    task_metric: bool = True              # False: the number is a scanner's summary (e.g. the discrimination
                                          # score), which the run-to-run comparison does not test

    @property
    def title(self) -> str:
        return TITLES[self.area]

    @property
    def word(self) -> str:
        return WORDS.get(self.verdict, self.verdict)

    @property
    def colour(self) -> str:
        return COLOURS.get(self.verdict, "#667085")

    @property
    def failing(self) -> list[tuple[str, str, str]]:
        return [c for c in self.controls if c[2] in ("fail", "inconclusive")]

    def number_text(self) -> str:
        """'0.88 [0.86, 0.89], exact binomial, n=2,000 (bbq-gender: share of answers correct)'; an inconclusive
        answer adds '; about 2,400 samples would decide it'."""
        if not finite(self.value):
            return plain(self.reason) if self.reason else "no value"
        what = ": ".join(x for x in (self.task, term(self.metric)) if x)   # plain words, not the metric id
        ci = f" {interval(self.ci_low, self.ci_high)}" if finite(self.ci_low) and finite(self.ci_high) else ""
        ci += f", {interval_methods([self.method])}" if ci and self.method else ""   # an interval names its method
        bound = f" ({self.bound_text})" if self.bound_text and not ci else ""
        n = f", n={int(self.n):,}" if self.n else ""
        # an undecided answer says what would decide it (its own task's figure; never on a failed control)
        need = (f"; about {int(self.n_needed):,} samples would decide it"
                if self.verdict == "inconclusive" and finite(self.n_needed) and self.n_needed else "")
        text = f"{num(self.value)}{ci}{bound}{n}" + (f" ({what})" if what else "") + need
        if self.verdict == "no-data" and self.reason:  # a stand-in beside 'no data': say no control read it
            return f"no control decided it ({plain(self.reason)}); measured instead: {text}"
        return text

    def change_text(self, compared: str | None) -> str:
        if not compared:
            return "no earlier run to compare with"
        if not finite(self.change):   # nothing this run: never blame the compared run
            return ("nothing measured this run to compare" if not finite(self.value) else
                    "not compared (no such measure last time)" if self.task_metric else
                    "not compared run to run (a summary across groups; the run-to-run tests cover per-sample measures)")
        if self.change == 0:
            return f"no change since {compared}"
        mark = ("real change" if self.real_change is True else
                "within noise" if self.real_change is False else "untested")
        test = f"; {plain(self.change_test)}" if self.change_test else ""
        return f"{figure(self.change, signed=True)} since {compared}: {mark}{test}"

    def line(self, compared: str | None = None) -> str:
        """The whole answer in one line (for text surfaces and tests)."""
        return f"{self.title}: {self.word} — {self.number_text()} — {self.change_text(compared)}"


def _summary(results: RunResults, task: str | None, metric: str | None):
    if not metric:
        return None
    for t in results.tasks:
        if (task is None or t.name == task) and metric in t.metrics:
            return t.name, t.metrics[metric]
    return None


# a name the expression reads as a value: not the head of a dotted path into a block
# (``groundedness.detector...`` reads the detector's quality, not the groundedness metric)
_VALUE_NAME = re.compile(r"(?<!\w)[A-Za-z_]\w*\b(?!\s*\.)")


def _metric_in(expression: str | None, results: RunResults, task: str | None) -> str | None:
    names = set(_VALUE_NAME.findall(expression or ""))
    known = {name for t in results.tasks if task is None or t.name == task for name in t.metrics}
    for name in _VALUE_NAME.findall(expression or ""):
        if name in known and name in names:
            return name
    return None


class ChangeRow(TypedDict, total=False):
    """The keys an area verdict reads from one row of the run-against-run comparison
    (``reports.data.metrics_table``): the change, whether it is real after Holm, and the test's words."""

    change: float | None
    significant: bool | None
    change_test: str | None
    verdict: str | None


def _change_row(comparison: pd.DataFrame | None, task: str | None, metric: str | None) -> ChangeRow | None:
    if comparison is None or comparison.empty or not task or not metric:
        return None
    hit = comparison[(comparison["task"] == task) & (comparison["metric"] == metric)]
    if hit.empty:
        return None
    row = hit.iloc[0]
    return ChangeRow(**{k: row[k] for k in ChangeRow.__annotations__ if k in row.index})  # type: ignore[typeddict-item]


def deciding_task(item: ChecklistItem) -> TaskCheck | None:
    """The task row that decides a checklist item: among the tasks with the item's verdict, the
    one furthest on the wrong side (``policies.engine.deciding_row``, the rule the item's own
    figures come from)."""
    rows = [t for t in item.tasks if t["verdict"] == item.status]
    return deciding_row(rows) if rows else None


class Decided(TypedDict):
    """A check's figures, all from its deciding task (``decided``)."""

    task: str | None
    value: float | None
    n: int | None
    bound: float | None
    bound_side: str | None
    n_needed: int | None


def decided(item: ChecklistItem) -> Decided:
    """value, n, bound, bound_side and n_needed of a check, all from its deciding task (the engine's
    item mixes the first task's n with the largest n-needed); no n-needed once it failed."""
    row = deciding_task(item)
    src = row if row is not None else {k: getattr(item, k) for k in ("value", "n", "bound", "bound_side", "n_needed")}
    got = Decided(task=row["task"] if row is not None else None, value=src["value"], n=src["n"], bound=src["bound"],
                  bound_side=src["bound_side"], n_needed=src["n_needed"])
    if item.status != "inconclusive":
        got["n_needed"] = None
    return got


def _worst_summary(results: RunResults, metric: str, higher_is_better: bool):
    found = [(t.name, t.metrics[metric]) for t in results.tasks if metric in t.metrics
             and finite(t.metrics[metric].value)]
    if not found:
        return None
    return (min if higher_is_better else max)(found, key=lambda f: float(f[1].value))


def area_verdicts(checklist: Any | None, results: RunResults,
                  comparison: pd.DataFrame | None = None) -> list[AreaVerdict]:
    """Accuracy, fairness, privacy, safety and groundedness (``AREAS``) for one run.

    ``checklist``: ``policies.evaluate_run``'s Checklist (None: every area is not checked);
    ``comparison``: ``audits.stats.compare_runs`` rows (the report's ``metrics`` table or the
    dashboard's comparison), with ``task``, ``metric``, ``change``, ``significant`` and a
    ``change_test`` or ``verdict`` description.
    """
    items = [it for it in (checklist.items if checklist is not None else []) if it.kind == "check"]
    out: list[AreaVerdict] = []
    for area in AREAS:
        mine = [it for it in items if it.area == area]  # declared in the pack, or derived once at load
        v = AreaVerdict(area=area, verdict=NOT_CHECKED, page=PAGES[area],
                        controls=[(it.pack, it.control_id, it.status) for it in mine])
        task = metric = None
        worst = None
        if mine:
            with_data = [it for it in mine if it.status != "no-data"] or mine
            worst = min(with_data, key=lambda it: _ORDER.get(it.status, 2))
            v.verdict = worst.status
            v.reason = str(worst.detail or "") if worst.status == "no-data" else ""
            got = decided(worst)
            task = got["task"]
            metric = _metric_in(worst.expression, results, task)
            v.value, v.n, v.n_needed = got["value"], got["n"], got["n_needed"]
            if finite(got["bound"]):
                # 'upper bound 0.765; threshold: at least 0.8' (the rule in words, never '... vs >= 0.8')
                v.bound_text = "; ".join(x for x in (f"{got['bound_side'] or ''} bound {num(got['bound'])}".strip(),
                                                     threshold_text(worst.threshold)) if x)
        if metric is None and (worst is None or not finite(v.value)):
            # no control of this area measured anything: show the area's stand-in on its worst task
            for name in STAND_INS[area]:
                found = _summary(results, task, name) if task else None
                found = found or _worst_summary(results, name, HIGHER_IS_BETTER[area])
                if found:
                    task, metric = found[0], name
                    break
        found = _summary(results, task, metric)
        if found:
            task, summary = found
            v.task, v.metric = task, metric
            v.value, v.ci_low, v.ci_high, v.n = summary.value, summary.ci_low, summary.ci_high, summary.n
            v.method = summary.method
            v.statement = summary.statement
        elif worst is not None:
            v.task, v.task_metric = task, False
            v.metric = re.sub(r"\s+", " ", worst.expression or "").split(" ")[0] if not metric else metric
        row = _change_row(comparison, v.task, v.metric)
        if row is not None and finite(row.get("change")):
            v.change = float(row["change"])
            sig = row.get("significant")
            v.real_change = None if sig is None or (isinstance(sig, float) and math.isnan(sig)) else bool(sig)
            v.change_test = str(row.get("change_test") or row.get("verdict") or "")
        out.append(v)
    return out




def sample_size_notes(verdicts: list[AreaVerdict], checklist: Any | None) -> list[str]:
    """What the sample sizes can and cannot show: each area's plain-English statement, then every
    undecided control with the samples that would decide it."""
    notes = [f"{v.title}: {plain(v.statement)}" for v in verdicts if v.statement]   # older bundles wrote metric ids
    for it in (checklist.items if checklist is not None else []):
        if it.kind == "check" and it.status == "inconclusive":
            got = decided(it)
            need = f"; about {int(got['n_needed']):,} samples would decide it" if got["n_needed"] else ""
            on = f" on {got['task']}" if got["task"] else ""
            at = f" at n={int(got['n']):,}" if finite(got["n"]) and got["n"] else ""   # never a made-up n=0
            notes.append(f"{it.control_id} cannot be decided{on}{at}{need}.")
        elif it.kind == "check" and it.status == "no-data":
            notes.append(f"{it.control_id} has no data: {plain(it.detail)}.")
    return notes


def evidence_text(item: Any) -> str:
    """The evidence behind one checklist item, in words: the attestation's note, link and file
    hash, or the measured value with the bound it was decided on and its n."""
    att = item.attestation or {}
    if item.kind != "check":
        if not att:
            return f"awaiting a {item.required_role or 'named'} attestation ({item.evidence or 'note'})"
        parts = [f"{att.get('status', '')} by {att.get('username', '')} ({att.get('role', '')})",
                 str(att.get("note") or "").strip(), str(att.get("evidence_link") or "").strip(),
                 f"file sha256 {att['evidence_sha256']}" if att.get("evidence_sha256") else ""]
        return "; ".join(p for p in parts if p)
    got = decided(item)
    if not finite(got["value"]):
        return str(item.detail or "no measurement")
    row = deciding_task(item)
    if row is not None and row.get("method") == EXACT_COUNT:   # '3 of 16 outputs leaked PII (an exact count)': no bound
        if item.status == "fail" and str(item.detail or "").startswith("failed on "):
            return str(item.detail)   # the engine's words, so the report's table says it once (detail shown as '—')
        return (f"{row['task']}: " if row.get("task") else "") + str(row.get("reason") or "")
    exact = finite(got["bound"]) and float(got["bound"]) == float(got["value"]) and not got["n_needed"]
    n = f", n={int(got['n']):,}" if got["n"] else ""
    on = f" on {got['task']}" if got["task"] else ""
    need = f", about {int(got['n_needed']):,} samples would decide it" if got["n_needed"] else ""
    expression = re.sub(r"\s+", "", str(item.expression or ""))
    if expression.startswith("review.coverage") and got["n"]:   # a count of this run, not an estimate
        done = round(float(got["value"]) * int(got["n"]))
        return f"{done:,} of {int(got['n']):,} outputs reviewed by a person (coverage {num(got['value'])}; a count, not an estimate)"
    bound = (f", {got['bound_side']} bound {num(got['bound'])}"
             if finite(got["bound"]) and got["bound_side"] and not exact else "")
    ratio = _RATIO.match(expression)
    if ratio and ratio.group(1) == ratio.group(2):   # x / previous.x: the value is a ratio, say so
        what = term(ratio.group(1))
        return f"{what}: {num(got['value'])}× the previous run's{on}{bound}{n}{need}"
    complement = _COMPLEMENT.match(expression)
    if complement:   # (1 - accuracy) <= ...: the value is the complement, say of what
        return f"1 − {term(complement.group(1))} = {num(got['value'])}{on}{bound}{n}{need}"
    exact_words = " (exact, not an estimate)" if exact and got["bound_side"] else ""
    return f"measured {num(got['value'])}{on}{bound}{n}{need}{exact_words}"


# ``metric / previous.metric`` at the head of a check (its value is a ratio to the previous run)
_COMPLEMENT = re.compile(r"^\(1-([A-Za-z_]\w*)\)")   # ``(1 - metric)`` at the head of a check
_RATIO = re.compile(r"^\(?([A-Za-z_]\w*)/previous\.([A-Za-z_]\w*)\)?")


def checklist_frame(checklist: Any | None) -> pd.DataFrame:
    """The checklist as a table with an ``evidence`` column (the report's and the pack's CSV)."""
    if checklist is None:
        return pd.DataFrame()
    frame = checklist.to_frame().astype({"n": "Int64", "n_needed": "Int64"})   # counts: '300', never '300.0'
    frame["evidence"] = [evidence_text(it) for it in checklist.items]
    return frame


def failing_controls(checklist: Any | None) -> list[Any]:
    """Controls that fail or cannot be decided (automatic and attested), in pack order."""
    return [it for it in (checklist.items if checklist is not None else []) if it.status in ("fail", "inconclusive")]
