"""The written form of a run's period (YYYY-Qn, YYYY-MM, ...) and the time order of runs by it (trend, drift,
'the previous run'). ``period_problem`` (the config's check) refuses a dated period written in no canonical form;
``check_period_form`` refuses a run whose period is of another length than the audit's (2026-10 inside 2026-Q4);
``period_key`` orders stored periods by their dates, so catalogs written before those checks ('2026-Q3' beside
'Q4 2026') are ordered right without rewriting a signed value, and ``order_runs`` refuses one naming no date."""

from __future__ import annotations

import re
from datetime import date, timedelta
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
                         f"{', '.join(f'{f} (e.g. {others[f]})' for f in names)}, and periods of another length overlap "
                         "theirs (2026-10 lies inside 2026-Q4), so trend and 'the previous run' have no one order "
                         "for them", f"write the period as {' or '.join(names)}, or give the config a "
                         "new audit name (`name:`) for the new form")


# --- time order of stored periods: catalogs written before the config checked the form hold '2026-Q3' beside
# 'Q4 2026' or '2026-10', which sorted wrongly as text; the order is read from the period's dates instead
_SPELLINGS = (  # (regex, kind): the canonical forms, then spellings older catalogs hold ('Q4 2026', '2026q4')
    (re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?P<tag>[-_.]?[A-Za-z][A-Za-z0-9_-]*)?"), "day"),
    (re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})(?P<tag>[-_.]?[A-Za-z][A-Za-z0-9_-]*)?"), "month"),
    (re.compile(r"(?P<y>\d{4})-W(?P<w>\d{2})(?P<tag>[-_.]?[A-Za-z][A-Za-z0-9_-]*)?"), "week"),
    (re.compile(r"(?P<y>\d{4})[-_ /]?(?P<kind>[QqHh])(?P<n>\d)(?P<tag>[-_.]?[A-Za-z][A-Za-z0-9_-]*)?"), "part"),
    (re.compile(r"(?P<kind>[QqHh])(?P<n>\d)[-_ /]?(?P<y>\d{4})"), "part"),
    (re.compile(r"(?P<y>\d{4})(?P<tag>[-_.]?[A-Za-z][A-Za-z0-9_-]*)?"), "year"),
)


def period_span(period: str) -> tuple[date, date, str] | None:
    """First and last day of a dated period and its tag ('2026-Q4b': Oct 1, Dec 31, 'b'), in any spelling a
    catalog may hold ('Q4 2026', '2026 Q4', '2026q4' too); None for a label or an impossible date ('2026-Q5')."""
    text = period.strip()
    for pattern, kind in _SPELLINGS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        tag, year = (m.groupdict().get("tag") or "").lstrip("-_."), int(m["y"])
        try:
            if kind == "day":
                start = end = date(year, int(m["m"]), int(m["d"]))
            elif kind == "month":
                start = date(year, int(m["m"]), 1)
                end = (date(year + start.month // 12, start.month % 12 + 1, 1)) - timedelta(days=1)
            elif kind == "week":
                start = date.fromisocalendar(year, int(m["w"]), 1)
                end = start + timedelta(days=6)
            elif kind == "year":
                start, end = date(year, 1, 1), date(year, 12, 31)
            else:
                months, part = (3, int(m["n"])) if m["kind"] in "Qq" else (6, int(m["n"]))
                if not 1 <= part <= 12 // months:
                    return None
                first = (part - 1) * months + 1
                start = date(year, first, 1)
                end = date(year + (first + months > 12), (first + months - 1) % 12 + 1, 1) - timedelta(days=1)
        except ValueError:  # month 13, day 31 of a 30-day month, week 53 of a 52-week year
            return None
        return start, end, tag
    return None


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
