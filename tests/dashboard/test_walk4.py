"""What the fourth walk of the demo (every page, every role, 1280x800) found, pinned: the Policies page
says how an exact fact is decided, control ids stay on one line, chart titles clear the tool icons."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.dashboard.conftest import page_app


@pytest.fixture
def gdpr_catalog(tmp_path, use_catalog) -> Path:
    """One run whose configured pack is gdpr-ccpa (``pii_leak_rate == 0``), with 5% of outputs leaking."""
    from audits.store.catalog import Catalog

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))
    from catalog_builder import make_run

    cat = Catalog(tmp_path / "c.duckdb")
    make_run(cat, "r", "2026-Q4", acc=0.88, ratio=0.9, leak=0.05,
             edit=lambda results: results.__setitem__("policy", ["gdpr-ccpa"]))
    return use_catalog(cat.path)


def test_the_policies_page_says_an_equals_zero_control_is_decided_by_the_count_not_a_bound(gdpr_catalog):
    from policies.bounds import EXACT_COUNT

    at = page_app("policies").run()
    assert not at.exception, at.exception
    rule = next(c.value for c in at.caption if c.value.startswith("An 'at most' or 'at least' check"))
    # the caption spoke only of one-sided bounds, beside a row that has none
    assert "An exact fact is decided by the count itself, not a bound: a `== 0` check" in rule
    assert "no sample can show a rate is exactly 0" in rule and "review coverage" in rule
    row = at.table[0].value.loc["GDPR-32-PII"]
    assert row["status"] == "fail" and "(an exact count)" in row["detail"]
    assert "bound" not in row["measured or attested"] and "n=2,000" in row["measured or attested"]
    import policies
    from audits.store.catalog import Catalog

    items = policies.evaluate_run(Catalog(gdpr_catalog), "r", ["gdpr-ccpa"]).items
    (item,) = [it for it in items if it.control_id == "GDPR-32-PII"]
    assert item.method == EXACT_COUNT and item.bound is None     # what the caption now describes


def test_control_ids_keep_to_one_line_in_the_checklist_tables(gdpr_catalog):
    at = page_app("policies").run()
    assert not at.exception, at.exception
    assert len(at.table) >= 2                                   # the checklist and its owners and sources
    for table in at.table:
        styles = table.proto.arrow_data.styler.styles           # 'INT-ACC-1' broke at its hyphen at 1280 px
        assert "th { white-space: nowrap }" in styles, styles
