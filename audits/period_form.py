"""The written form of a run's period (YYYY-Qn, YYYY-MM, ...): runs of one audit are put in time order by
their period's text (trend, drift, 'the previous run'), which is only right while every run writes it the same
way ('2026-10' sorts before '2026-Q3'). ``period_problem`` (the config's check) refuses a dated period written
so that it cannot sort; ``check_period_form`` refuses a run that changes the audit's form."""

from __future__ import annotations

import re
from collections.abc import Iterable

from audits.errors import AssayError

# periods that sort as text in time order (within one form), a finer one with a tag after it (2026-Q4b,
# 2026-Q4-rerun) sorting inside its own; _DATED: text that looks like a dated period
_PERIOD = re.compile(r"\d{4}|\d{4}-(Q[1-4]|H[12]|W(0[1-9]|[1-4]\d|5[0-3])|(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)"
                     r"([-_.]?[A-Za-z][A-Za-z0-9_-]*)?")
_DATED = re.compile(r"\d{4}|[QqHh]\d|[Ww]\d\d")

_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("YYYY-MM-DD", r"\d{4}-\d{2}-\d{2}"), ("YYYY-MM", r"\d{4}-\d{2}"), ("YYYY-Qn", r"\d{4}-Q\d"),
    ("YYYY-Hn", r"\d{4}-H\d"), ("YYYY-Wnn", r"\d{4}-W\d{2}"), ("YYYY", r"\d{4}")))


def period_problem(period: str) -> str | None:
    """Why ``period`` cannot be a run's period (empty, or dated but written so that it does not sort), or None;
    a label with no year or quarter in it (e.g. 'pilot') is kept."""
    if not period.strip():
        return "the period is empty; write one such as 2026-Q4"
    if not _PERIOD.fullmatch(period) and _DATED.search(period):
        return (f"period {period!r} cannot be put in time order (trend and 'previous run' order runs by it); "
                "write it as YYYY-Qn (e.g. 2026-Q4), YYYY, YYYY-Hn, YYYY-MM, YYYY-MM-DD or YYYY-Wnn")
    return None


def period_form(period: str) -> str | None:
    """The form a dated period is written in ('2026-Q4b' is YYYY-Qn); None for a label such as 'pilot'."""
    for name, pattern in _FORMS:
        match = pattern.match(period)
        if match and not period[match.end():match.end() + 1].isdigit():
            return name
    return None


def check_period_form(audit: str, period: str, earlier: Iterable[str]) -> None:
    """Refuse ``period`` when ``earlier`` (the periods of the audit's earlier complete runs) are written in
    another form."""
    form = period_form(period)
    if form is None:
        return
    others = {f: p for p in dict.fromkeys(earlier) if (f := period_form(p)) is not None}
    if others and form not in others:
        names = sorted(others)
        raise AssayError(f"period '{period}' is written {form}, but audit '{audit}' has earlier runs written "
                         f"{', '.join(f'{f} (e.g. {others[f]})' for f in names)}, and runs are put in time order by "
                         "the period's text", f"write the period as {' or '.join(names)}, or give the config a "
                         "new audit name (`name:`) for the new form")
