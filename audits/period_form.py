"""The written form of a run's period (YYYY-Qn, YYYY-MM, ...) and the time order of runs by it (trend, drift,
'the previous run'). ``period_problem`` (the config's check) refuses a dated period written in no canonical form
or naming no real date; ``check_period_form`` refuses a run whose period is of another length than the audit's
(2026-10 inside 2026-Q4); ``period_key`` orders stored periods by their dates, so catalogs written before those
checks ('2026-Q3' beside 'Q4 2026') are ordered right without rewriting a signed value, and ``order_runs`` refuses
one naming no date."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from audits.errors import AssayError

_TAG = r"(?P<tag>[-_.]?[A-Za-z][A-Za-z0-9_-]*)?"
# Every spelling of a dated period: (form, unit, pattern), tried in order; group n numbers the unit in its year, and
# a tag may follow (2026-Q4b, 2026-Q4-rerun: a finer run sorting inside its period). form: the canonical form a config
# writes (period_form names it; a day before its month), or None: an older catalog's spelling ('2026 Q4', 'Q4 2026'),
# read only to order stored runs and tried before the bare year, so that '2026q4' is a quarter, not 2026 tagged 'q4'.
_SPELLINGS: tuple[tuple[str | None, str, re.Pattern[str]], ...] = tuple(
    (form, unit, re.compile(pattern)) for form, unit, pattern in (
        ("YYYY-MM-DD", "day", r"(?P<y>\d{4})-(?P<n>\d{2})-(?P<d>\d{2})" + _TAG),
        ("YYYY-MM", "month", r"(?P<y>\d{4})-(?P<n>\d{2})" + _TAG),
        ("YYYY-Qn", "quarter", r"(?P<y>\d{4})-Q(?P<n>\d)" + _TAG),
        ("YYYY-Hn", "half", r"(?P<y>\d{4})-H(?P<n>\d)" + _TAG),
        ("YYYY-Wnn", "week", r"(?P<y>\d{4})-W(?P<n>\d{2})" + _TAG),
        (None, "quarter", r"(?P<y>\d{4})[-_ /]?[Qq](?P<n>\d)" + _TAG),
        (None, "quarter", r"[Qq](?P<n>\d)[-_ /]?(?P<y>\d{4})"),
        (None, "half", r"(?P<y>\d{4})[-_ /]?[Hh](?P<n>\d)" + _TAG),
        (None, "half", r"[Hh](?P<n>\d)[-_ /]?(?P<y>\d{4})"),
        ("YYYY", "year", r"(?P<y>\d{4})" + _TAG)))
_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}
_DATED = re.compile(r"\d{4}|[QqHh]\d|[Ww]\d\d")  # text that looks like a dated period


def _read(period: str) -> tuple[str | None, tuple[date, date, str] | None] | None:
    """(form, (first day, last day, tag)) of the first spelling ``period`` is written in, the days None for an
    impossible date ('2026-Q5', '2026-02-30'); None for a label ('pilot')."""
    for form, unit, pattern in _SPELLINGS:
        if (m := pattern.fullmatch(period)) is None:
            continue
        g = m.groupdict()
        year, n, tag = int(g["y"]), int(g.get("n") or 1), (g.get("tag") or "").lstrip("-_.")
        try:
            if unit == "day":
                start = end = date(year, n, int(g["d"]))
            elif unit == "week":
                start = date.fromisocalendar(year, n, 1)
                end = start + timedelta(days=6)
            elif 1 <= n <= 12 // (months := _MONTHS[unit]):
                first = (n - 1) * months + 1
                start = date(year, first, 1)
                end = date(year + (first + months > 12), (first + months - 1) % 12 + 1, 1) - timedelta(days=1)
            else:  # month 13, quarter 5
                return form, None
        except ValueError:  # day 31 of a 30-day month, week 53 of a 52-week year
            return form, None
        return form, (start, end, tag)
    return None


def period_problem(period: str) -> str | None:
    """Why ``period`` cannot be a run's period (empty, dated but in no canonical form (a bare year takes no tag:
    '2026-Oct'), or naming no real date), or None; a label with no year or quarter in it ('pilot') is kept."""
    if not period.strip():
        return "the period is empty; write one such as 2026-Q4"
    form, days = _read(period) or (None, None)
    if (form is None or days is None or (form == "YYYY" and days[2])) and _DATED.search(period):
        return (f"period {period!r} cannot be put in time order (trend and 'previous run' order runs by it); "
                "write it as YYYY-Qn (e.g. 2026-Q4), YYYY, YYYY-Hn, YYYY-MM, YYYY-MM-DD or YYYY-Wnn")
    return None


def period_form(period: str) -> str | None:
    """The form a dated period is written in ('2026-Q4b' is YYYY-Qn); None for a label such as 'pilot'."""
    for form, _, pattern in _SPELLINGS:
        match = pattern.match(period)
        if form and match and not period[match.end():match.end() + 1].isdigit():
            return form
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
                         f"{', '.join(f'{f} (e.g. {others[f]})' for f in names)}, and periods of another length overlap "
                         "theirs (2026-10 lies inside 2026-Q4), so trend and 'the previous run' have no one order "
                         "for them", f"write the period as {' or '.join(names)}, or give the config a "
                         "new audit name (`name:`) for the new form")


def period_span(period: str) -> tuple[date, date, str] | None:
    """First and last day of a dated period and its tag ('2026-Q4b': Oct 1, Dec 31, 'b'), in any spelling a
    catalog may hold ('Q4 2026', '2026 Q4', '2026q4' too); None for a label or an impossible date ('2026-Q5')."""
    read = _read(period.strip())
    return None if read is None else read[1]


def period_key(period: str) -> tuple[int, str, str, str] | None:
    """The key runs are put in time order by: a dated period by its last day, then its first (a quarter after
    the months inside it), then its tag, whatever its spelling; a label ('pilot') after them by its text;
    None for text that looks dated but names no real period ('2026-Q5', 'FY26')."""
    span = period_span(period)
    if span is not None:
        return 0, span[1].isoformat(), span[0].isoformat(), span[2]
    return None if _DATED.search(period) else (1, period, "", "")


def order_runs(audit: str, runs: Iterable[tuple[str, str]]) -> list[tuple[int, str, str, str]]:
    """``period_key`` of each ``(run_id, period)``; AssayError naming the runs whose period cannot be put in
    time order, when the audit has other periods to order them against."""
    runs = list(runs)
    keys = [period_key(period) for _, period in runs]
    bad = [(run_id, period) for (run_id, period), key in zip(runs, keys) if key is None]
    if bad and len({period for _, period in runs}) > 1:
        shown = ", ".join(f"{run_id} ('{period}')" for run_id, period in bad[:5]) + (" …" if len(bad) > 5 else "")
        raise AssayError(f"audit '{audit}' has {len(bad)} run(s) whose period names no date, so its runs cannot be "
                         f"put in time order: {shown}", "compare two runs by id (`assay drift RUN_A RUN_B`, "
                         "`assay report RUN --compare RUN_B`), and give new runs a new audit name (`name:`) with "
                         "periods written YYYY-Qn")
    return [key if key is not None else (1, period, "", "") for key, (_, period) in zip(keys, runs)]
