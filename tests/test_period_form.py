"""One table of period spellings (``audits/period_form._SPELLINGS``) answers the config's check, the form and the
time order alike, so the config never accepts a period that the runs cannot then be ordered by."""

from __future__ import annotations

import itertools

import pytest

from audits.config import parse_config
from audits.errors import AssayError
from audits.period_form import _DATED, period_form, period_key, period_problem


@pytest.mark.parametrize("period", ["2026-02-30", "2025-02-29", "2026-04-31", "2025-W53", "0000", "2026-Q5",
                                    "2026-H3", "2026-13", "2026-00"])
def test_a_dated_period_naming_no_real_date_is_refused(period):
    """Each was accepted by the config before the merge (bar Q5, H3, 13, 00) and then had no time order."""
    assert period_key(period) is None
    assert "cannot be put in time order" in (period_problem(period) or "")


@pytest.mark.parametrize("period", ["2026-W53", "2024-02-29", "2026-02-28", "2026-Q4b", "2026-10-31-rerun", "2026-H2",
                                    "2026", "2026-12", "pilot"])
def test_a_real_period_is_kept_and_ordered(period):
    assert period_problem(period) is None and period_key(period) is not None


@pytest.mark.parametrize("period", ["2026-Oct", "2026b", "2026q4", "Q4 2026", "2026 Q4", "2026-q4"])
def test_a_tagged_year_or_an_older_spelling_is_refused_in_a_config(period):
    """A stored 'Q4 2026' is still ordered (older catalogs), but a config writes the canonical form; a bare year
    takes no tag ('2026-Oct' would be 2026 tagged 'Oct', ordered among other 2026 runs by the tag's text)."""
    assert period_problem(period) is not None
    assert period_form("2026-Oct") == "YYYY" and period_key("2026q4") == period_key("2026-Q4")


def test_the_config_check_and_the_time_order_agree():
    """Every dated text the config accepts has a time order (the old check's own regex let 2026-02-30 through)."""
    parts = ["2025", "2026", "-", "02", "04", "29", "30", "31", "Q4", "H2", "W53", "b", "-rerun", " "]
    texts = {"".join(p) for k in range(1, 5) for p in itertools.product(parts, repeat=k)}  # 41,370
    accepted = [t for t in texts if t.strip() and period_problem(t) is None and _DATED.search(t)]
    assert len(accepted) > 150  # 185 (the check before the merge accepted 212, 27 of them with no time order)
    assert [t for t in accepted if period_key(t) is None] == []
    assert all(period_form(t) is not None for t in accepted)


def test_the_config_refuses_an_impossible_date_in_one_line(tmp_path):
    raw = {"name": "a", "period": "2026-02-30", "model": {"backend": "predictions", "path": "p.jsonl"},
           "tasks": [{"name": "t", "type": "generate", "dataset": {"path": "d.jsonl"}, "prompt": "{q}"}]}
    with pytest.raises(AssayError, match=r"invalid value at 'period'.*'2026-02-30' cannot be put in time order") as err:
        parse_config(raw)
    assert "\n" not in str(err.value)
