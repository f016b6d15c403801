"""Overview: the five answers (accuracy, fairness, privacy, safety, groundedness: verdict, number with its
interval and n, change since the previous period, link to the page that explains it), policy
status by pack with failing controls named, review progress and sign-off status; then every
metric against the previous period and the runs by period, folded away."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audits.errors import AssayError
from audits.identity import model_label
from audits.results import MetricSummary
from audits.stats import interval_methods
from dashboard import state
from dashboard.components import compare, nav
from reports.figures import bound_said, count, figure
from reports.glossary import plain, term
from reports.sections import second_set_text, unmeasured_text
from reports.verdicts import COLOURS, WORDS, AreaVerdict, area_verdicts, packs_for


_fmt = figure   # one formatter for every figure on screen and on paper (reports/figures.py)


def _ci_n(stats: dict, key: str) -> str:
    """' (95% CI 0.938–0.976, n=418)' for a detector's stored figure ``key`` (``key_ci``, ``n``); '' without them."""
    ci, n = stats.get(f"{key}_ci"), stats.get("n")
    parts = [f"95% CI {_fmt(ci[0])}–{_fmt(ci[1])}"] if isinstance(ci, (list, tuple)) and len(ci) == 2 else []
    parts += [f"n={int(n):,}"] if isinstance(n, (int, float)) and n == n else []
    return f" ({', '.join(parts)})" if parts else ""


def _ci_said(est) -> str:
    """'95% CI 0–0.369, exact binomial': an interval is never shown without its method."""
    method = interval_methods([getattr(est, "method", None)])
    return f"95% CI {_fmt(est.ci_low)}–{_fmt(est.ci_high)}" + (f", {method}" if method else "")


def _said(m: MetricSummary | None) -> str:
    """The metric's plain-English statement written by the runner ('' for older results)."""
    return plain(m.statement) if m is not None else ""   # words: older bundles wrote metric ids into it


def _bound_in_words(text: str) -> bool:
    """True for zero- or all-event statements ('... is below 26% (95% confidence)')."""
    return " is below " in text or " is above " in text


def _policy_counts(run_id: str) -> dict[str, int] | None:
    """Control counts by status (pass, fail, needs-attestation...), None when policies are absent."""
    try:
        from policies import evaluate_run
    except ImportError:
        return None
    packs = state.policy_packs(run_id)
    if not packs:
        return {}
    checklist = evaluate_run(state.catalog(), run_id, packs)
    return {k: v for k, v in checklist.counts.items() if v}


def _coloured(status: str) -> str:
    return f"<span style='color:{COLOURS.get(status, '#333')}; font-weight:700'>{WORDS.get(status, status)}</span>"


def _checklist(run_id: str, res):
    """The policy checklist of the run's packs (the report's default pack when none is configured)."""
    from policies import evaluate_run

    return evaluate_run(state.catalog(), run_id, packs_for(res, state.policy_packs(run_id)))


def _answers(run_id: str, res, checklist, table: pd.DataFrame | None, prev_period: str | None) -> None:
    st.subheader("The five answers")
    verdicts = area_verdicts(checklist, res, table)
    for v in verdicts:
        left, right = st.columns([5, 1.4])
        left.markdown(f"**{v.title}:** {_coloured(v.verdict)} — {v.number_text()} — {v.change_text(prev_period)}",
                      unsafe_allow_html=True)
        nav.link(v.page, f"{nav_title(v.page)} →", run_id, container=right)
    st.caption("Verdicts are the policy checklist's (decided on confidence bounds); a change is real only when "
               "it is significant after Holm's correction, the same test as the report's.")
    _redteam(res)
    _groundedness(res, next(v for v in verdicts if v.area == "groundedness"))


def groundedness_lines(res) -> list[str]:
    """Per task that names its context: the hallucination rate, groundedness and abstention rate with their
    intervals (a bound in words at zero events), and the detector's own held-out accuracy beside them (subsets
    below target named); the Overview's Groundedness answer and the Quality page say these same lines."""
    lines = []
    for task in res.tasks:
        block = task.groundedness
        if block is None:
            continue
        hal, grd, abst = (task.metric(m) for m in ("hallucination_rate", "groundedness", "abstention_rate"))
        said = lambda m: estimate_text(m, m.statement) if m else "—"  # noqa: E731
        det = block.detector or {}
        qa = (det.get("by_subset") or {}).get("qa") or {}
        quality = (f"detector balanced accuracy {_fmt(qa.get('balanced_accuracy'))}{_ci_n(qa, 'balanced_accuracy')} "
                   "on held-out HaluEval QA"
                   + (f"; below target on {', '.join(det['below_target'])}" if det.get("below_target") else "")
                   if qa else unmeasured_text(det) or "detector not measured")
        if second := second_set_text(det):
            quality += f"; {second}"
        lines.append(f"**{task.name}**: hallucination rate {said(hal)} · groundedness {said(grd)} · "
                     f"abstention rate {said(abst)} ({block.n_not_scorable} not scorable); {quality}")
    return lines


def _groundedness(res, answer: AreaVerdict) -> None:
    """The fifth answer, Groundedness: ``groundedness_lines`` under the policy's verdict (nothing when no task
    was checked against a context)."""
    lines = groundedness_lines(res)
    if not lines:
        return
    st.markdown(f"**Groundedness, per task:** {_coloured(answer.verdict)} (answers checked against their context; "
                "an answer that declines is not a hallucination, read the abstention rate beside it)\n"
                + "\n".join(f"- {x}" for x in lines), unsafe_allow_html=True)


def estimate_text(est, statement: str | None = None) -> str:
    """'0.5 (95% CI 0.118–0.882, exact binomial, n=6)'; with no events (or only events) the statement's bound in
    words, 'below 0.393 (95% confidence, n=6)' (the checklist's bound), never '0 (95% CI 0–0.459)'."""
    bound = bound_said(statement, est.n, getattr(est, "method", None))
    if bound:
        return f"{bound[:-1]}, n={count(est.n)})" if bound.endswith(")") else f"{bound} (n={count(est.n)})"
    return f"{_fmt(est.value)} ({_ci_said(est)}, n={count(est.n)})"


def redteam_lines(res) -> list[str]:
    """Each red-team family's attack success with its exact interval (a bound in words when no attack or every
    attack worked), beside its detector's own measured quality; the Overview's Safety answer and the Privacy &
    Safety page say these same lines."""
    lines = []
    for task in res.tasks:
        block = task.redteam
        if block is None:
            continue
        for family, est in block.families.items():
            det = block.detectors.get("compliance" if family == "jailbreak" else "marker") or {}
            agree = det.get("model_outputs") or {}
            quality = (f"compliance detector balanced accuracy {_fmt(det['balanced_accuracy'])}"
                       f"{_ci_n(det, 'balanced_accuracy')}"
                       if det.get("balanced_accuracy") is not None else
                       # as the report: 'agrees with garak on 80 of 80 answers: 1 (95% CI 0.955–1)', never '100.0%'
                       f"marker detector agrees with {str(det.get('reference') or 'garak').split()[0]} on "   # 'garak', not its class path
                       f"{count(agree.get('agree'))} of "
                       f"{count(agree.get('n'))} answers: {_fmt(agree['agreement'])}{_ci_n({**agree, 'n': None}, 'agreement')}"
                       if agree.get("agreement") is not None else "detector not measured")
            summary = task.metrics.get(f"attack_success_rate_{family.replace('-', '_')}")
            lines.append(f"**{family}** ({block.owasp.get(family, '')}): {getattr(est, 'successes', '?')} of "
                         f"{count(est.n)} attacks succeeded — "
                         f"{estimate_text(est, summary.statement if summary is not None else None)}; {quality}"
                         + (" · system prompt planted by the probe"
                            if family == "system-prompt-leak" and block.planted_system_prompt else ""))
    return lines


def _redteam(res) -> None:
    """Safety under attack: ``redteam_lines`` (nothing when the run has no probe tasks)."""
    lines = redteam_lines(res)
    if lines:
        st.markdown("**Safety under attack (red-team probes):**\n" + "\n".join(f"- {x}" for x in lines))


def nav_title(url: str) -> str:
    return {"quality": "Quality", "fairness": "Fairness", "privacy": "Privacy & Safety"}.get(url, url)


def _policy_status(run_id: str, checklist) -> None:
    st.subheader("Policy status")
    for pack in checklist.packs:
        items = [it for it in checklist.items if it.pack == pack]
        counts = {s: sum(it.status == s for it in items) for s in dict.fromkeys(it.status for it in items)}
        st.markdown(f"**{pack}:** " + " · ".join(f"{_coloured(s)} {n}" for s, n in counts.items()),
                    unsafe_allow_html=True)
        bad = [it for it in items if it.status in ("fail", "inconclusive")]
        if bad:
            st.markdown("Failing or undecided: " + "; ".join(f"**{it.control_id}** {_coloured(it.status)} — {it.title}"
                                                            for it in bad), unsafe_allow_html=True)
    nav.link("policies", "Open the checklist, attest, sign off", run_id)


def _review_and_signoff(run_id: str, res) -> None:
    from audits.store.queries import policies as policies_q
    from audits.store.queries import reviews as rv

    left, right = st.columns(2)
    with left:
        st.subheader("Review progress")
        try:
            summary = rv.review_summary(state.catalog(), run_id)
        except AssayError:
            summary = None
        if not summary or not summary.get("n_queue"):
            st.markdown("No review queue in this run.")
        else:
            target = res.review.rate
            st.markdown(f"{summary['n_reviewed']:,} of {summary['n_queue']:,} queued items reviewed; "
                        f"coverage {summary['coverage']:.1%} of {summary['n_samples']:,} samples"
                        + (f" (target sampling rate {target:.0%})" if target else "") + ".")
            st.progress(min(1.0, summary["n_reviewed"] / max(1, summary["n_queue"])))
        nav.link("review", "Open the review queue", run_id)
    with right:
        st.subheader("Sign-off")
        st.markdown(signoff_line(policies_q.list_signoffs(state.catalog(), run_id)).replace("**Sign-off:** ", ""),
                    unsafe_allow_html=True)


def signoff_line(history: pd.DataFrame) -> str:
    """The run's sign-off in one line for the top of the Overview (a committee's first question, above
    the fold at 1280x800): 'approved by NAME (role) on DATE' or 'not signed off yet'."""
    if not len(history):
        return f"**Sign-off:** <span style='color:{COLOURS['inconclusive']}; font-weight:700'>not signed off yet</span>"
    last = history.iloc[-1]
    approved = last["decision"] == "approve"
    return (f"**Sign-off:** <span style='color:{COLOURS['pass' if approved else 'fail']}; font-weight:700'>"
            f"{'approved' if approved else 'rejected'}</span> by {last['username']} ({last['role']}) on "
            f"{str(last['created_at'])[:16]}" + (f" · {len(history)} sign-offs in all" if len(history) > 1 else ""))


def _sample_caption(run_id: str) -> None:
    """'Audited a stratified sample of n of N logged interactions …' per sampled task, from the manifest."""
    from audits.sampling import sample_statements

    try:
        lines = sample_statements(state.manifest(run_id).datasets)
    except AssayError:  # a malformed manifest is verify's finding, shown on the Audit log page
        return
    for line in lines:
        st.caption(f"Task {line}")


def metric_table_title(n: int, previous: str | None) -> str:
    """The metric table's expander title: against the previous period when there is one (the demo's first
    quarter said 'against the previous period' above 46 rows of dashes)."""
    if previous:
        return f"Every metric against the previous period, {previous} ({n})"
    return f"Every metric with its 95% interval ({n}; no earlier run to compare with)"


def render() -> None:
    st.title("Overview")
    run_id = state.require_run()
    if run_id is None:
        return
    runs = state.runs(complete_only=False)

    try:
        res = state.results(run_id)
    except AssayError as err:
        state.show_error(err)
        return
    current = compare.metric_rows(res)
    prev_id = state.previous_run(run_id)
    prev_period = None
    if prev_id:
        match = runs[runs["run_id"] == prev_id]
        prev_period = str(match.iloc[0]["period"]) if len(match) else prev_id
    model = model_label(res.model)  # audits.identity: what the backend wrote, with its short weights hash
    st.caption(f"{res.audit} · {res.period}" + (f" · model {model}" if model else "") + f" · run `{run_id}`"
               + (f" · compared with {prev_period} (`{prev_id}`)" if prev_id else " · no earlier run to compare with"))
    from audits.store.queries import policies as policies_q

    st.markdown(signoff_line(policies_q.list_signoffs(state.catalog(), run_id)), unsafe_allow_html=True)
    from audits.trust.packs import signoff_warning

    if changed := signoff_warning(state.catalog(), run_id):  # a pack the sign-off rested on was edited since
        st.warning(changed)
    _sample_caption(run_id)  # a stratified sample of a large log: n of N logged interactions (audits/sampling.py)
    from dashboard.views.trends import drift_warning

    drift_warning(run_id, prev_id)  # inputs drifted from the previous run's: comparisons mix two populations
    table = None
    if not current.empty:
        with st.spinner("Testing each change (paired on the samples both runs scored)…"):
            table = compare.compare_runs(res, state.results(prev_id) if prev_id else None,
                                         lambda task, metric: state.paired_scores(run_id, prev_id, task, metric))
    try:
        checklist = _checklist(run_id, res)
    except AssayError as err:
        state.show_error(err)
        checklist = None
    _answers(run_id, res, checklist, table, prev_period)
    if checklist is not None:
        _policy_status(run_id, checklist)
    _review_and_signoff(run_id, res)

    if current.empty:
        st.info("This run recorded no metrics.")
    else:
        view = pd.DataFrame({
            "task": table["task"], "measure": [term(m) for m in table["metric"]],
            "value [95% CI]": [f"{_fmt(v)} [{_fmt(lo)}, {_fmt(hi)}]"
                               for v, lo, hi in zip(table["value"], table["ci_low"], table["ci_high"])],
            "n": [count(x) for x in table["n"]],   # '2,000', as the answers write it
            "previous [95% CI]": [f"{_fmt(v)} [{_fmt(lo)}, {_fmt(hi)}]" if pd.notna(v) else "—"
                                  for v, lo, hi in zip(table["prev_value"], table["prev_ci_low"], table["prev_ci_high"])],
            "change [95% CI]": [f"{figure(c, True)} [{figure(lo, True)}, {figure(hi, True)}]" if pd.notna(c) and pd.notna(lo) else
                                (_fmt(c) if pd.notna(c) else "—")
                                for c, lo, hi in zip(table["change"], table["diff_low"], table["diff_high"])],
            "real change?": ["yes" if r is True else ("no" if r is False else "—") for r in table["significant"]],
            "test": [plain(v) or "—" for v in table["verdict"]],
        })
        if not prev_id:   # a first run: no 'previous' or 'change' columns of dashes under a title promising them
            view = view[["task", "measure", "value [95% CI]", "n"]]
        with st.expander(metric_table_title(len(view), prev_period if prev_id else None)):
            # a table that wraps its words: the grid's test column ran to 1,422 pixels, cut off at 1280 (walk 5)
            st.table(view.style.hide(axis="index"))
        said = [f"**{t.name}** — {_said(m)}" for t, _, m in res.metrics() if _bound_in_words(_said(m))]
        if said:  # zero (or all) events: the one-sided bound in words, never "[0, 0]"
            st.markdown("\n".join(f"- {x}" for x in said))
        if prev_id:
            st.caption("A change is marked real only when its test, corrected for every metric compared in this "
                       "run (Holm), is significant at 5%: McNemar's exact test (0/1 scores) or a paired t-test "
                       "where both runs scored the same samples; otherwise a two-proportion test or a z-test on "
                       "the two intervals: the same tests as the report's.")

    with st.expander("Runs by period"):
        st.dataframe(runs[[c for c in ("period", "audit", "run_id", "status", "created_at", "model", "device")
                           if c in runs]].iloc[::-1], hide_index=True, width="stretch")
