"""The written form of a run's period (YYYY-Qn, YYYY-MM, ...): runs of one audit are put in time order by
their period's text (trend, drift, 'the previous run'), which is only right while every run writes it the same
way ('2026-10' sorts before '2026-Q3'). ``check_period_form`` refuses a run that changes the form."""

from __future__ import annotations

import re

from audits.errors import AssayError
from audits.store.catalog import Catalog

_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("YYYY-MM-DD", r"\d{4}-\d{2}-\d{2}"), ("YYYY-MM", r"\d{4}-\d{2}"), ("YYYY-Qn", r"\d{4}-Q\d"),
    ("YYYY-Hn", r"\d{4}-H\d"), ("YYYY-Wnn", r"\d{4}-W\d{2}"), ("YYYY", r"\d{4}")))


def period_form(period: str) -> str | None:
    """The form a dated period is written in ('2026-Q4b' is YYYY-Qn); None for a label such as 'pilot'."""
    for name, pattern in _FORMS:
        match = pattern.match(period)
        if match and not period[match.end():match.end() + 1].isdigit():
            return name
    return None


def check_period_form(catalog: Catalog, audit: str, period: str) -> None:
    """Refuse ``period`` when the audit's earlier complete runs write their periods in another form."""
    from audits.store.queries.runs import list_runs

    form = period_form(period)
    if form is None:
        return
    runs = list_runs(catalog, "complete")
    earlier = {p: period_form(p) for p in runs.loc[runs["audit"] == audit, "period"]}
    others = {f: p for p, f in earlier.items() if f is not None}
    if others and form not in others:
        names = sorted(others)
        raise AssayError(f"period '{period}' is written {form}, but audit '{audit}' has earlier runs written "
                         f"{', '.join(f'{f} (e.g. {others[f]})' for f in names)}, and runs are put in time order by "
                         "the period's text", f"write the period as {' or '.join(names)}, or give the config a "
                         "new audit name (`name:`) for the new form")
