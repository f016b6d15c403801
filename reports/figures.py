"""One way to write a figure for a reader, on every surface: the dashboard, the PDF and the HTML report.

Three significant figures ("0.938", "0.0123", "12.5"), no exponent ("0.0000123", never "1.23e-05"),
whole numbers from 1,000 up with thousands separators ("1,941", never "1.94e+03"), and "—" for no value.
The policy checklist printed 4 significant figures ("0.1875") beside a summary that printed 3 ("0.188")
for the same control; both now come from here. CSV and Parquet exports keep full precision: they write
the numbers themselves, never these strings.
"""

from __future__ import annotations

import math
import re
from typing import Any

DIGITS = 3
NONE = "—"


def finite(x: Any) -> bool:
    """True for a real, finite number (bools and NaN are not figures)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def figure(x: Any, signed: bool = False) -> str:
    """``x`` to three significant figures for a reader; ``signed`` writes '+' on a positive change."""
    try:
        v = float(x) if x is not None and not isinstance(x, bool) else math.nan
    except (TypeError, ValueError):
        return NONE
    if not math.isfinite(v):
        return NONE
    v = v if v else 0.0   # never '-0'
    sign = "+" if signed and v > 0 else ""
    rounded = float(f"{v:.{DIGITS}g}")
    if abs(rounded) >= 1000:
        return f"{sign}{v:,.0f}"
    text = f"{rounded:.{DIGITS}g}"
    if "e" in text:   # below 1e-4 'g' writes an exponent a reader may not know
        text = f"{rounded:.{DIGITS - 1 - math.floor(math.log10(abs(rounded)))}f}"
    return sign + text


def count(x: Any) -> str:
    """A count as the text beside it writes it ('2,000', never '2000' beside 'n=2,000'); a number that is not
    whole as a figure; "—" for no value."""
    try:
        if x is not None and not isinstance(x, bool) and float(x) == int(x):
            return f"{int(x):,}"
    except (TypeError, ValueError, OverflowError):   # NaN, inf, text
        pass
    return figure(x)


def interval(low: Any, high: Any) -> str:
    """'[0.86, 0.89]' from two bounds; '' when either is missing."""
    return f"[{figure(low)}, {figure(high)}]" if finite(low) and finite(high) else ""


P_FLOOR = 1e-4   # below it a p-value reads as a bound: 'p<0.0001' (the comparison's words, reports/glossary.py)


def p_value(p: Any, named: bool = True) -> str:
    """A p-value for a reader: 'p=0.0123', or 'p<0.0001' below 0.0001 (never 'p=5.5e-07' nor 'p=0.000000552');
    ``named=False`` gives the table cell ('0.0123', '<0.0001'); "—" for no value."""
    if not finite(p):
        return NONE
    text = "<0.0001" if float(p) < P_FLOOR else figure(p)
    return (f"p{text}" if text.startswith("<") else f"p={text}") if named else text


# a zero- or all-event statement's bound (audits.stats.describe): '... is below 40% (95% confidence).' or, with
# clusters counted once, '... is below 9.0% at 95%, counting each of the 32 clusters once ...'
_BOUND = re.compile(r"\bis (below|above) ([0-9.]+%)(?: \(([^);]*)[^)]*\)| (at [0-9.]+%))")


def bound_said(statement: Any, n: Any = None, method: Any = None) -> str | None:
    """A rate with no events (or only events) as its one-sided bound in words, 'below 0.393 (95% confidence)',
    the figure ``assay check`` and the checklist give (audits.stats' exact bound, written by ``figure``) for an
    exact binomial rate of ``n``; the statement's own words ('below 9.0% at 95%') when clusters set its n. None when
    the statement has events both ways. Zero events read as a bound, never as '0 (95% CI 0–0.459)'."""
    m = _BOUND.search(str(statement or ""))
    if m is None:
        return None
    if method == "clopper-pearson" and finite(n) and n and m.group(3):
        from audits.stats import lower_bound, upper_bound

        level = float(m.group(3).split("%")[0]) / 100
        bound = upper_bound(0, int(n), level) if m.group(1) == "below" else lower_bound(int(n), int(n), level)
        return f"{m.group(1)} {figure(float(bound))} ({m.group(3)})"
    return f"{m.group(1)} {m.group(2)} " + (f"({m.group(3)})" if m.group(3) else m.group(4))
