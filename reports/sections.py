"""Report sections for groundedness, robustness (red-team) and the trend across runs.

Everything here is read off the run's typed blocks (``GroundednessBlock``, ``RedteamBlock``), the
policy checklist and ``audits.store.queries.trends.audit_trends`` (whose intervals and tests are
``audits.stats``'s): nothing is computed here. A section with nothing to show says why in one line.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from audits.jsontypes import JsonObject
from reports.blocks import Section, Table
from reports.charts import Chart
from reports.trend import series_words, trend_chart, trend_tests_text
from reports.data import ReportData
from reports.figures import bound_said, p_value
from reports.verdicts import COLOURS, WORDS, evidence_text, num

GROUNDEDNESS, ROBUSTNESS, TREND = "Groundedness", "Robustness (red-team probes)", "Trend across runs"


def _est(value: Any, low: Any, high: Any, n: Any = None) -> str:
    ci = f" [{num(low)}, {num(high)}]" if _has(low) and _has(high) else ""
    return f"{num(value)}{ci}" + (f", n={int(n):,}" if n else "")


def _stated(m: Any, statement: Any, n: Any = None) -> str:
    """``_est`` of a rate, or with no events (or only events) its statement's bound in words, 'below 0.393 (95%
    confidence)', as the Overview and the checklist write it (never '0 [0, 0.459]')."""
    bound = bound_said(statement, m.n, getattr(m, "method", None))
    if bound:
        return bound + (f", n={int(n):,}" if n else "")
    return _est(m.value, m.ci_low, m.ci_high, n)


def _has(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and x != x)


def _pair(q: JsonObject, name: str) -> str:
    ci = q.get(f"{name}_ci") or [None, None]
    return _est(q.get(name), ci[0], ci[1]) if q.get(name) is not None else "—"


def second_set_text(det: JsonObject) -> str | None:
    """The groundedness detector's quality on its second, independent labelled set in plain words, e.g.
    'second set (FaithGate, 100 hand-labelled answers): balanced accuracy 0.657 (0.563–0.748)' (three
    decimals rounded half up, as benchmarks/README.md quotes it); None when the block has none (another
    scorer, or results from before it was measured). The dashboard's Overview shows the same line."""
    q = det.get("second_set") if isinstance(det, dict) else None
    if not isinstance(q, dict) or not _has(q.get("balanced_accuracy")):
        return None
    three = lambda x: str(Decimal(str(x)).quantize(Decimal("0.001"), ROUND_HALF_UP))  # noqa: E731
    source = str(q.get("set") or "")
    words = f"{source.split()[0]}, " if source else ""
    kind = "hand-labelled answers" if "hand-labelled" in source else "labelled answers"
    lo, hi = (q.get("balanced_accuracy_ci") or [None, None])[:2]
    ci = f" ({three(lo)}–{three(hi)})" if _has(lo) and _has(hi) else ""
    return f"second set ({words}{q.get('n', '?')} {kind}): balanced accuracy {three(q['balanced_accuracy'])}{ci}"


def unmeasured_text(det: JsonObject) -> str | None:
    """'detector quality: the 'nli' scorer's own accuracy is not measured by this run (...)' when another
    scorer (nli, judge) decided and its block says so in its note; None otherwise. The report's Groundedness
    section and the Overview's Groundedness answer say this same line."""
    note = det.get("note") if isinstance(det, dict) else None
    return f"detector quality: {note}" if note else None


def _controls(d: ReportData, keep) -> list[Any]:
    return [it for it in (d.checklist.items if d.checklist is not None else []) if keep(it)]


def _controls_table(items: list[Any], caption: str):
    """The section's controls in words: the verdict as the checklist says it ('no data', not 'no-data') and
    the evidence's measure ids in plain words ('no task in this run has attack_success_rate_jailbreak' reached
    the Robustness page)."""
    from reports.glossary import plain

    rows = [[it.pack, it.control_id, plain(it.title), WORDS.get(it.status, it.status), plain(evidence_text(it))]
            for it in items]
    t = Table(["pack", "control", "what it checks", "verdict", "evidence"], rows, [1.5, 1.3, 3.6, 1.5, 4.2],
              caption=caption, whole_words=(0, 1))
    t.colours = {(i, 3): COLOURS.get(it.status, "#333333") for i, it in enumerate(items)}
    return t


def groundedness_section(d: ReportData):
    """Hallucination rate, groundedness and abstention with intervals per task, the detector's held-out
    quality per HaluEval subset (below target flagged), and the INT-HAL verdicts."""
    s = Section(GROUNDEDNESS)
    tasks = [t for t in d.results.tasks if t.groundedness is not None]
    if not tasks:
        s.blocks.append("No task of this run names a context (`context: FIELD`), so no answer was checked for "
                        "groundedness.")
        return s
    s.blocks.append("Each answer's claims are checked against the task's context. Hallucination rate: share of "
                    "answers with at least one claim the context does not support; groundedness: share of an "
                    "answer's claims supported; an answer that declines has no claims and is not a "
                    "hallucination, so read the abstention rate beside it. 95% intervals; n counts the answers "
                    "scored.")
    rows = []
    for t in tasks:
        b = t.groundedness
        cells = []
        for name in ("hallucination_rate", "groundedness", "abstention_rate"):
            m = t.metrics.get(name)
            cells.append(_stated(m, m.statement, m.n) if m is not None else "—")
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(b.not_scorable_reasons.items()))
        rows.append([t.name, *cells, f"{b.n_not_scorable}" + (f" ({reasons})" if reasons else "")])
    from audits.stats import interval_methods

    methods = interval_methods([m.method for t in tasks for name, m in t.metrics.items()
                                if name in ("hallucination_rate", "groundedness", "abstention_rate")])
    s.blocks.append(Table(["task", "hallucination rate", "groundedness", "abstention rate", "not scorable"], rows,
                          [1.6, 2.4, 2.4, 2.4, 2.6], caption="Groundedness per task"
                          + (f" (95% intervals: {methods})" if methods else "")))   # an interval names its method
    det = tasks[0].groundedness.detector or {}
    subsets = det.get("by_subset") or {}
    if subsets:
        below = list(det.get("below_target") or [])
        qrows = [[name, _pair(q, "balanced_accuracy"), _pair(q, "auroc"), _pair(q, "precision"), _pair(q, "recall"),
                  f"{int(q['n']):,}" if q.get("n") else "—",
                  "below target" if name in below else f"meets {num(q.get('target'))}" if q.get("target") else "—"]
                 for name, q in subsets.items()]
        s.blocks.append(f"The detector's own quality, measured on held-out, length-matched HaluEval it was not "
                        f"trained on ({det.get('interval') or '95% intervals'}); precision and recall are for "
                        f"'unsupported'. " + (f"Below target on {', '.join(below)}: treat its rates there with "
                                              "care." if below else "Every subset meets its target."))
        t = Table(["subset", "balanced accuracy", "AUROC", "precision", "recall", "n", "target"], qrows,
                  [1.4, 2.3, 2.3, 2.3, 2.3, 0.9, 1.5], caption="Groundedness detector on held-out HaluEval")
        t.colours = {(i, 6): COLOURS["fail"] for i, r in enumerate(qrows) if r[6] == "below target"}
        s.blocks.append(t)
        second = second_set_text(det)
        if second:
            s.blocks.append(f"{second[0].upper()}{second[1:]}; the detector was neither built nor tuned on it, and "
                            "no target is set on it.")
    elif unmeasured := unmeasured_text(det):  # another scorer (nli, judge) decided: its quality is not measured
        s.blocks.append(f"{unmeasured[0].upper()}{unmeasured[1:]}.")
    else:
        s.blocks.append("The detector's held-out quality is not recorded in this run's results.")
    hal = _controls(d, lambda it: it.area == "groundedness")
    if hal:
        s.blocks.append(_controls_table(hal, "Groundedness controls"))
    else:
        s.blocks.append("No control of the judged packs checks groundedness.")
    return s


def robustness_section(d: ReportData):
    """Attack success per probe family with its exact interval, the detectors' measured quality, the
    canary / planted-system-prompt note and the OWASP-mapped verdicts: one page."""
    s = Section(ROBUSTNESS)
    tasks = [t for t in d.results.tasks if t.redteam is not None]
    if not tasks:
        s.blocks.append("This run has no red-team probe task (`redteam:` in the config), so no attack was tried.")
        return s
    s.blocks.append("Share of probes whose attack worked, per family, with exact (Clopper-Pearson) 95% intervals. "
                    "A success is decided by the family's detector: a marker the probe asked for (prompt "
                    "injection, leaks: a planted canary) or the compliance detector (jailbreaks).")
    rows, detectors, notes = [], {}, []
    for t in tasks:
        b = t.redteam
        for family, est in b.families.items():
            summary = t.metrics.get(f"attack_success_rate_{family.replace('-', '_')}")
            rows.append([t.name, family, b.owasp.get(family, "—"), f"{getattr(est, 'successes', '—')} of {est.n}",
                         _stated(est, summary.statement if summary is not None else None)])
        detectors.update(b.detectors or {})
        if b.note:
            notes.append(f"{t.name}: {b.note}" + (f" (canary {b.canary})" if b.canary else "") + ".")
        if b.quoted_not_counted:
            notes.append(f"{t.name}: {b.quoted_not_counted} answers only quoted the marker from the input; not "
                         "counted as successes.")
    s.blocks.append(Table(["task", "family", "OWASP LLM", "succeeded", "attack success rate [95% CI]"], rows,
                          [1.8, 2.2, 1.4, 1.4, 3.0], caption="Attack success per family"))
    drows = []
    for name, q in sorted(detectors.items()):
        if q.get("balanced_accuracy") is not None:
            quality = f"balanced accuracy {_pair(q, 'balanced_accuracy')}; recall {_pair(q, 'recall')}"
        elif (q.get("model_outputs") or {}).get("agreement") is not None:
            mo = q["model_outputs"]
            ci = mo.get("agreement_ci") or [None, None]
            quality = f"agrees with {q.get('reference', 'the reference')} on {mo.get('agree')} of {mo.get('n')} " \
                      f"answers: {_est(mo['agreement'], ci[0], ci[1])}"
        else:
            quality = "not measured"
        drows.append([name, quality, str(q.get("data") or "—")])
    if drows:
        s.blocks.append(Table(["detector", "measured quality", "on"], drows, [1.3, 5.2, 4.5],
                              caption="The detectors' own measured quality"))
    s.blocks += notes
    owasp = _controls(d, lambda it: it.pack == "owasp-llm-top10" or it.control_id.startswith("INT-RT"))
    s.blocks.append(_controls_table(owasp, "OWASP LLM Top 10 and red-team controls") if owasp else
                    "No judged pack has a red-team control (add `owasp-llm-top10` to the run's policy packs).")
    return s


def trend_section(d: ReportData):
    """Every complete run of the audit up to this one, for the headline metrics: a chart of the values
    with their intervals and each series' trend test (Holm over the series)."""
    s = Section(TREND)
    points, trends = d.tables.get("trend_points"), d.tables.get("trend")
    runs = int(d.tables["trend_points"].attrs.get("runs", 0)) if points is not None else 0
    family = int(points.attrs.get("family", 0)) if points is not None else 0
    if points is None or points.empty:
        s.blocks.append("No trend chart: the headline answers have no metric with a value to follow.")
        return s
    if not points["value"].astype(float).notna().any():
        s.blocks.append("No trend chart: no run of the audit has a value for the headline metrics.")
        return s
    if runs < 2:
        s.blocks.append(f"No trend chart: this is the only complete run of audit '{d.run.get('audit')}' so far; "
                        "a trend needs at least two.")
        return s
    chart: Chart | str = trend_chart(points, trends)  # one panel per series, each with its own axis
    s.blocks.append(chart)
    if trends is not None and len(trends):
        rows = [[series_words(r.series), f"{int(r.k)}", _est(r.slope, r.slope_low, r.slope_high),
                 p_value(r.p_adjusted, named=False),
                 ("yes" if r.significant else "no") if _has(r.slope) else "not tested (a trend needs 3 runs)"]
                for r in trends.itertuples()]
        s.blocks.append(Table(["measure", "runs", "change per run [95% CI]", "p after correction", "real trend?"],
                              rows, [3.2, 0.8, 3.0, 1.2, 1.2],
                              caption=f"Trend over {runs} runs ({trend_tests_text(trends)}; p corrected (Holm) over "
                                      f"all {family} series of the audit, as on the dashboard's Trends page). Shown: "
                                      "the headline answers' measures, user feedback and every real trend"))
    return s
