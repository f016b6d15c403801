"""The report as a neutral document (sections of paragraphs, tables and charts).

Both renderers (PDF with reportlab, HTML with jinja2) walk the same document, so the two
formats always carry the same sections, numbers and charts, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from audits.sampling import sample_statements
from reports.blocks import Bullets, Section, Table
from reports.charts import fairness_charts, metrics_chart
from reports import figures
from reports.figures import figure
from reports.glossary import attribute_text, plain, public_text_note, term, threshold_text, words_used
from reports.data import ReportData, execution_summary
from reports.sections import GROUNDEDNESS, ROBUSTNESS, TREND, groundedness_section, robustness_section, trend_section
from reports.verdicts import COLOURS, WORDS, evidence_text, failing_controls, sample_size_notes

# Trend across runs, Groundedness and Robustness are built in reports.sections
SECTION_TITLES = ("Executive summary", "Metrics with confidence intervals", TREND, "Fairness",
                  "Privacy and safety", GROUNDEDNESS, ROBUSTNESS, "Human review",
                  "Policy checklist", "Appendix: reproducibility record")


@dataclass
class Document:
    title: str
    cover: list[tuple[str, str]]
    sections: list[Section]
    summary: list[Any] = field(default_factory=list)   # page 1 under the cover: the answer first


def fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return figure(v)
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d %H:%M")
    text = str(v)
    return "—" if text in ("nan", "NaT", "None") else text


def _as_figure(text: Any) -> str:
    """A cell written as text ('0.0625', '16', 'cleo, dan'): a decimal number as a figure, anything else as it is."""
    try:
        return figure(float(text)) if "." in str(text) else fmt(text)
    except ValueError:
        return fmt(text)


def table(frame: pd.DataFrame, columns: dict[str, str], weights: list[float], caption: str = "") -> Table:
    """A Table of ``frame``'s ``columns`` ({column: header}) with formatted cells."""
    cols = [c for c in columns if c in frame.columns]
    w = [weights[i] for i, c in enumerate(columns) if c in frame.columns]
    rows = [[(count(r[c]) if _is_count(c) else fmt(r[c])) for c in cols] for r in frame[cols].to_dict("records")] \
        if len(frame) else []
    return Table([columns[c] for c in cols], rows, w, caption)


def _is_count(column: str) -> bool:
    return column in ("n", "rows") or column.startswith("n_")


def count(v: Any) -> str:
    """A sample count as the text beside it writes it: '2,000' (``reports.figures.count``); text as it is."""
    return fmt(v) if isinstance(v, (str, bool)) else figures.count(v)


def _ci(frame: pd.DataFrame, lo: str = "ci_low", hi: str = "ci_high", out: str = "ci") -> pd.DataFrame:
    frame = frame.copy()
    frame[out] = [f"[{fmt(a)}, {fmt(b)}]" if a is not None and b is not None and not (pd.isna(a) or pd.isna(b))
                  else "—" for a, b in zip(frame[lo], frame[hi])] if len(frame) else []
    return frame


def _executive(d: ReportData) -> Section:
    s = Section(SECTION_TITLES[0])
    cl = d.checklist
    if cl is not None:
        c = cl.counts
        verdict = "at least one automatic control FAILED" if cl.failed else "no automatic control failed"
        s.blocks.append(f"Policy packs {', '.join(cl.packs)}: {c['pass']} pass, {c['fail']} fail, "
                        f"{c['no-data']} no data, {c['needs-attestation']} need attestation, {c['attested']} attested "
                        f"— {verdict}.")
    else:
        s.blocks.append(f"The policy checklist could not be evaluated: {d.checklist_error}")
    signoffs = d.tables.get("signoffs")
    if signoffs is not None and len(signoffs):
        last = signoffs.iloc[-1]
        s.blocks.append(f"Committee sign-off: {last['decision']} by {last['username']} on {fmt(last['created_at'])}."
                        + (f" Warning: {d.signoff_warning}." if d.signoff_warning else ""))
    else:
        s.blocks.append("Committee sign-off: none yet.")
    if d.compare_id:
        ch = d.tables["changes"].copy()
        n_real = int(ch["real_change"].fillna(False).astype(bool).sum()) if len(ch) else 0
        s.blocks.append(f"Largest changes against run {d.compare_id} ({d.compare_run.get('period') if d.compare_run else ''}); "
                        f"'real' marks a change that is significant at 5% after Holm's correction over every metric "
                        f"compared ({n_real} of {len(ch)}): McNemar's exact test for 0/1 scores or a paired t-test "
                        "where both runs scored the same samples, otherwise a two-proportion test or a z-test on "
                        "the two intervals; ranked on a common scale, unchanged metrics left out.")
        ch["real_change"] = ch["real_change"].map(lambda v: "REAL" if v is True else
                                                  ("within noise" if v is False else "—"))
        ch["measure"] = [term(x) for x in ch["metric"]]   # words, not metric ids
        ch["change_test"] = [plain(x) if isinstance(x, str) else x for x in ch["change_test"]]
        s.blocks.append(table(ch, {"task": "task", "measure": "measure", "compare_value": "compared",
                                   "value": "this run", "change": "change", "direction": "direction",
                                   "real_change": "real?", "change_test": "test (p corrected for every comparison)"},
                              [3, 2.5, 1.5, 1.5, 1.5, 1.3, 1.5, 4]))
    else:
        s.blocks.append("No earlier run of this audit to compare with.")
    return s


def _metrics(d: ReportData) -> Section:
    s = Section(SECTION_TITLES[1])
    m = _ci(d.tables["metrics"])
    if d.compare_id:
        m = _ci(m, "compare_ci_low", "compare_ci_high", "compare_ci")
    s.blocks.append("Every value carries its 95% confidence interval, its sample count n and the interval's method: "
                    "exact binomial (Clopper–Pearson) for rates, BCa bootstrap for means of per-sample scores, "
                    "percentile bootstrap for corpus metrics (BLEU, macro-F1); clustered tasks resample whole "
                    "clusters. Results written before this record 'percentile bootstrap (schema 1)'.")
    for line in sample_statements(d.manifest.datasets):  # a stratified sample of a large log (audits/sampling.py)
        s.blocks.append(f"Sample — {line}")
    chart = metrics_chart(d.tables["metrics"])
    s.blocks.append(chart or "No chart: no metric of this run has a value on a 0–1 scale (see the table).")
    m["measure"] = [term(x) for x in m["metric"]]   # words, not metric ids (the signature table keeps the id)
    cols = {"task": "task", "measure": "measure", "value": "value", "ci": "95% CI", "n": "n"}
    weights = [3, 2.5, 1.2, 2.2, 0.8]
    if d.compare_id:
        cols.update({"compare_value": "compared", "compare_ci": "compared CI"})
        weights += [1.2, 2.2]
    s.blocks.append(table(m, cols, weights))
    sigs = d.tables["metrics"].dropna(subset=["signature"]).drop_duplicates("signature")
    if len(sigs):
        s.blocks.append(table(sigs, {"metric": "metric", "signature": "signature (how it was computed)"}, [2, 8]))
    return s


def _fairness(d: ReportData) -> Section:
    s = Section(SECTION_TITLES[3])
    gaps = d.tables["fairness_gaps"]
    if gaps.empty:
        s.blocks.append("This run has no fairness results (no task declares sensitive attributes).")
        return s
    s.blocks.append("Gaps between groups (fairlearn). The four-fifths rule fails when the lowest group's rate of "
                    "'yes' decisions is below 0.8 times the highest group's; read with a test of every pair of groups "
                    "(two-proportion test, Fisher's exact test when counts are small), corrected for the number of "
                    "pairs (Holm): 'significant' or 'not significant at this n'. Groups smaller than the minimum "
                    "size are left out of gaps.")
    gaps = gaps.assign(attribute=[attribute_text(x) for x in gaps["attribute"]],   # 'context', not 'context_condition'
                       note=[plain(x) for x in gaps["note"]], metric_ratios=[ratios_text(x) for x in gaps["metric_ratios"]],
                       four_fifths_reading=[plain(x) if isinstance(x, str) else x for x in gaps["four_fifths_reading"]])
    s.blocks.append(table(gaps, {"task": "task", "attribute": "attribute", "groups": "groups",
                                 "groups_compared": "big enough", "demographic_parity_ratio": "'yes' rate ratio",
                                 "demographic_parity_difference": "'yes' rate gap",
                                 "equalized_odds_difference": "error-rate gap",
                                 "four_fifths_violation": "below four-fifths?", "four_fifths_reading": "four-fifths reading",
                                 "metric_ratios": "lowest / highest group, by measure", "note": "note"},
                          [2.1, 2.0, 1.1, 1.3, 1, 1, 1, 1.6, 2.2, 2.3, 3]))
    charts = fairness_charts(d.tables["fairness"], results=d.results)
    s.blocks.extend(charts or ["No chart by group: the run stored no per-group values (groups too small, or no "
                               "sensitive attribute on the samples)."])
    return s


def ratios_text(text: object) -> str:
    """'toxicity_mean 1, accuracy 0.8' -> 'average toxicity score: lowest ÷ highest group = 1; …' (the
    table's ratios said 'average toxicity score 1', a number with nothing to say it is a ratio)."""
    parts = [p.rsplit(" ", 1) for p in str(text or "").split(", ") if p.strip()]
    if not parts or any(len(p) != 2 or not _is_number(p[1]) for p in parts):
        return plain(text) if isinstance(text, str) else ""
    return "; ".join(f"{plain(name)}: lowest ÷ highest group = {value}" for name, value in parts)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _statement(task, name: str) -> str:
    """The metric's plain-English statement (written by the runner), or recomputed for older results."""
    m = task.metric(name)
    if m is None or m.value is None:
        return ""
    said = m.statement
    if said:
        return plain(said)   # older bundles wrote metric ids into their statements
    from audits.stats import describe

    return plain(describe(name, m.value, m.ci_low if m.ci_low is not None else float("nan"),
                          m.ci_high if m.ci_high is not None else float("nan"), m.n, kind="rate",
                          confidence=getattr(m, "confidence", 0.95) or 0.95, method=getattr(m, "method", None)))


def _privacy_safety(d: ReportData) -> Section:
    s = Section(SECTION_TITLES[4])
    priv, safe = d.tables["privacy"], d.tables["safety"]
    if priv.empty:
        s.blocks.append("No PII scan in this run.")
    else:
        s.blocks.append("PII in outputs that was not in the input counts as a leak (presidio-analyzer). Values are "
                        "stored as type, offsets and a redacted context.")
        s.blocks.append(table(_ci(priv), {"task": "task", "findings": "findings", "leaks": "leaks",
                                          "pii_leak_rate": "leak rate", "ci": "95% CI", "by_entity": "by entity",
                                          "detector_precision": "detector P", "detector_recall": "detector R"},
                              [2.2, 1, 0.9, 1.1, 1.8, 3, 1, 1]))
        s.blocks.extend(detector_paragraphs(priv))
        # a task scanned in full has no source (NaN in the table, which is truthy: 'pii-support (nan)' was named)
        public = public_text_note({r.task: r.public_source for r in priv.itertuples()
                                   if isinstance(r.public_source, str) and r.public_source})
        if public:
            s.blocks.append(public)
    said = [f"{t.name}: {x}" for t in d.results.tasks for x in
            (_statement(t, name) for name in ("pii_leak_rate", "toxicity_rate")) if x]
    if said:  # zero events say their one-sided bound in words (audits.stats.describe)
        s.blocks.append(" ".join(said))
    if safe.empty:
        s.blocks.append("No toxicity scan in this run.")
    else:
        s.blocks.append(table(_ci(safe), {"task": "task", "n": "n", "n_toxic": "toxic", "toxicity_rate": "rate",
                                          "ci": "95% CI", "threshold": "threshold", "model": "classifier"},
                              [2.5, 0.8, 0.8, 1, 1.8, 1, 2.5]))
    return s


def detector_paragraphs(priv: pd.DataFrame) -> list[str]:
    """The PII detector's measured quality, once per distinct measurement: the demo's six tasks share
    one detector, and the same two paragraphs were printed six times, one per task."""
    out: list[str] = []
    for column, words in (("detector_sets", "Detector quality{on} (exact 95% intervals): {text}."),
                          ("detector_recall_by_entity", "Detector recall by entity{on} (held-out independent "
                                                        "labelled set, 95% interval): {text}.")):
        if column not in priv:
            continue
        tasks: dict[str, list[str]] = {}
        for task, text in zip(priv["task"], priv[column]):
            if isinstance(text, str) and text:   # both labelled sets, each named by its source, with intervals
                tasks.setdefault(text, []).append(str(task))
        for text, names in tasks.items():
            on = f" for {', '.join(names)}" if len(tasks) > 1 or len(names) < len(priv) else " (every task)"
            out.append(words.format(on=on, text=text))
    return out


def _review(d: ReportData) -> Section:
    s = Section(SECTION_TITLES[7])
    s.blocks.append("Human review of sampled outputs: coverage is reviewed samples over all samples; agreement is "
                    "between reviewers of the same item.")
    frame = d.tables["review"].copy()   # the CSV keeps each figure's full precision; the page writes it as every figure
    frame["value"] = [_as_figure(v) for v in frame["value"]] if len(frame) else []
    s.blocks.append(table(frame, {"item": "item", "value": "value"}, [4, 6]))
    return s


def _checklist(d: ReportData) -> Section:
    s = Section(SECTION_TITLES[8])
    if d.checklist is None:
        s.blocks.append(f"Not evaluated: {d.checklist_error}")
        return s
    frame = d.tables["checklist"].copy()
    # "0.1875 (threshold: at most 0.01)": the threshold as a requirement, never "0.1875 <= 0.01" (a false claim)
    frame["measured"] = [("—" if k != "check" else f"{fmt(v)} ({threshold_text(t)})" if isinstance(t, str) and t
                          else fmt(v)) for v, t, k in zip(frame["value"], frame["threshold"], frame["kind"])]
    if "evidence" not in frame:
        frame["evidence"] = [evidence_text(it) for it in d.checklist.items]
    for column in ("title", "evidence", "detail"):
        frame[column] = [plain(x) for x in frame[column]]
    statuses = list(frame["status"])
    frame["status"] = [WORDS.get(x, x) for x in statuses]
    # pack and control in one cell, wrapped at the space ('internal-ll|m' was split mid-word in a narrow column)
    frame["control"] = [f"{p} {c}" for p, c in zip(frame["pack"], frame["control_id"])]
    # a detail that repeats the evidence word for word is said once (the 'no data' rows printed it twice)
    frame["detail"] = ["—" if str(x).strip() == str(e).strip() else x for x, e in zip(frame["detail"], frame["evidence"])]
    t = table(frame, {"control": "control", "title": "title", "source": "source", "status": "status",
                      "measured": "measured", "evidence": "evidence", "detail": "detail"},
              [1.9, 3.0, 2.0, 1.9, 1.4, 3.3, 2.8])
    t.colours = {(i, 3): COLOURS.get(x, "#333333") for i, x in enumerate(statuses)}
    t.whole_words = (0,)
    s.blocks.append(t)
    att = d.tables["attestations"]
    if len(att):
        s.blocks.append(table(att, {"pack": "pack", "control_id": "control", "username": "user", "role": "role",
                                    "status": "status", "note": "note", "evidence_link": "link",
                                    "evidence_sha256": "evidence SHA-256", "created_at": "when"},
                              [1.4, 1.5, 1, 1.2, 1, 2.5, 1.8, 2.8, 1.5], caption="Attestations"))
        s.blocks[-1].whole_words = (0, 1)
    s.blocks.append(signoff_block(d))
    return s


def signoff_block(d: ReportData) -> Table:
    """Names, roles, decisions and dates of the committee's sign-offs; blank lines to sign when none."""
    signoffs = d.tables["signoffs"]
    cols = {"username": "name", "role": "role", "decision": "decision", "created_at": "date", "note": "note"}
    if len(signoffs):
        return table(signoffs, cols, [1.5, 1.3, 1.2, 1.8, 5], caption="Sign-off")
    blank = "______________"
    return Table(list(cols.values()), [[blank, "committee", "approve / reject", blank, blank]] * 2,
                 [1.5, 1.3, 1.2, 1.8, 5], caption="Sign-off (none recorded yet; to be completed by the committee)")


def summary_blocks(d: ReportData) -> list[Any]:
    """Page 1: the five answers, failing controls, what the sample sizes can show, sign-off."""
    compared = (d.compare_run or {}).get("period") or d.compare_id
    verdicts = d.verdicts
    rows = [[v.title, v.word, v.number_text(), v.change_text(compared)] for v in verdicts]
    answers = Table(["question", "verdict", "the number behind it (95% CI, n)", "change since the compared run"],
                    rows, [1.2, 1.3, 4, 4.5], caption="The five answers")
    answers.colours = {(i, 1): v.colour for i, v in enumerate(verdicts)}
    blocks: list[Any] = [answers]
    if d.checklist is None:
        blocks.append(f"The policy checklist could not be evaluated: {d.checklist_error}")
    failing = failing_controls(d.checklist)
    if failing:
        ft = Table(["control", "title", "status", "evidence"],
                   [[f"{it.pack} {it.control_id}", it.title, WORDS.get(it.status, it.status), evidence_text(it)]
                    for it in failing], [2, 4, 1.4, 4.6], caption=f"Failing or undecided controls ({len(failing)})",
                   whole_words=(0,))
        ft.colours = {(i, 2): COLOURS.get(it.status, "#333333") for i, it in enumerate(failing)}
        blocks.append(ft)
    elif d.checklist is not None:
        blocks.append(f"No control of {', '.join(d.checklist.packs)} fails or is undecided.")
    notes = sample_size_notes(verdicts, d.checklist)
    blocks.append(Bullets("What the sample sizes can and cannot show:", notes) if notes else
                  "What the sample sizes can and cannot show: every control was decided at this run's sample sizes.")
    signoffs = d.tables.get("signoffs")
    if signoffs is not None and len(signoffs):
        last = signoffs.iloc[-1]
        blocks.append(f"Sign-off status: {last['decision']} by {last['username']} ({last['role']}) on "
                      f"{fmt(last['created_at'])}." + (f" Warning: {d.signoff_warning}." if d.signoff_warning else ""))
    else:
        blocks.append("Sign-off status: not signed off yet.")
    return blocks


def _appendix(d: ReportData) -> Section:
    s = Section(SECTION_TITLES[9])
    s.blocks.append("Hashes and versions to reproduce and verify this run (`assay verify` recomputes every file hash).")
    s.blocks.append(table(d.tables["reproducibility"], {"kind": "kind", "item": "item", "value": "value"}, [1.2, 3, 7]))
    summary = execution_summary(d.manifest)
    stages = d.tables.get("execution")
    if summary is None:
        s.blocks.append("How the numbers were made: not recorded (the run predates the manifest's execution section).")
    else:
        s.blocks.append(f"How the numbers were made: {summary} Throughput per stage: inference answers the "
                        "model's blocks; scan:<scanner> stages are a scanner's per-row detection (PII, toxicity), "
                        "on the Ray actors listed under workers, or on the driver where that is empty; evaluate "
                        "is metrics, intervals and every scanner on the driver, scan stages included.")
        if stages is not None and len(stages):
            s.blocks.append(table(stages, {"stage": "stage", "rows": "rows", "rows_per_s": "rows/s",
                                           "workers": "workers", "blocks": "blocks", "resumed": "resumed",
                                           "wall_s": "wall s"}, [2.2, 1, 1.2, 1, 1, 2.2, 1],
                                  caption="Execution: throughput per stage"))
    log = d.tables.get("audit_log")
    if log is not None:
        left_out = log.attrs.get("left_out", 0)
        s.blocks.append("Audit log of this run: who did what and when, from the catalog's hash-chained log, oldest "
                        "first" + (f"; the {left_out} older entries are left out here (`assay log` prints every "
                                   "entry with its details)." if left_out else
                                   " (`assay log` prints every entry with its details)."))
        if len(log):
            s.blocks.append(table(log, {"when": "when", "who": "who", "act": "act", "on what": "on what"},
                                  [2.2, 1.8, 5.2, 2.6], caption=f"Audit log ({len(log)} entries)"))
        else:
            s.blocks.append("The audit log has no entry about this run.")
    cp = d.tables.get("checkpoint")
    if cp is not None and len(cp):
        s.blocks.append("Signed checkpoint of the audit log when this report was made (ed25519, installation key). "
                        "Save these fields as JSON and run `assay verify --against FILE`: any later change to the "
                        "first `count` log entries is detected, even by someone holding the catalog.")
        s.blocks.append(table(cp, {"field": "field", "value": "value"}, [1.2, 10]))
    return s


def build_document(d: ReportData) -> Document:
    run = d.run
    cover = [("Audit", fmt(run.get("audit"))), ("Period", fmt(run.get("period"))), ("Model", d.model_name),
             ("Run", f"{fmt(run.get('run_id'))} (finished {fmt(run.get('finished_at'))})"),
             ("Compared with", f"{d.compare_id} ({d.compare_run.get('period')})" if d.compare_id and d.compare_run
              else "—"),
             ("Policy packs", ", ".join(d.packs)), ("Report generated", d.generated_at)]
    sections = [_executive(d), _metrics(d), trend_section(d), _fairness(d), _privacy_safety(d), groundedness_section(d),
                robustness_section(d), _review(d), _checklist(d), _appendix(d)]
    assert [x.title for x in sections] == list(SECTION_TITLES)
    summary = summary_blocks(d)
    used = words_used(_texts(summary + [b for s in sections for b in s.blocks]))
    if used:   # every statistical word the pages use, explained once (the last table of the appendix)
        sections[-1].blocks.append(Table(["word", "what it means"], [list(u) for u in used], [2, 8],
                                         caption="Words used in this report"))
    return Document(title=f"Audit report: {fmt(run.get('audit'))} {fmt(run.get('period'))}", cover=cover,
                    sections=sections, summary=summary)


def _texts(blocks: list[Any]) -> list[str]:
    """The words of ``blocks``: paragraphs, table headers, cells and captions, bullets, chart captions."""
    out: list[str] = []
    for b in blocks:
        if isinstance(b, str):
            out.append(b)
        elif isinstance(b, Table):
            out += [b.caption, *b.columns, *(c for row in b.rows for c in row)]
        elif isinstance(b, Bullets):
            out += [b.lead, *b.items]
        else:
            out.append(str(getattr(b, "caption", "")))
    return out
