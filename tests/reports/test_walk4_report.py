"""What the fourth walk of the demo found in the HTML report, pinned: a control id never breaks at its hyphen."""

from __future__ import annotations

import re

import reports


def test_a_control_id_breaks_only_at_the_space_never_inside_the_id(report_runs):
    cat, _, q4 = report_runs
    html = reports.build_html(cat, q4)
    assert ".word { white-space: nowrap; }" in html
    # a 128-pixel column showed 'internal-llm INT-' over 'ACC-1' (the browser breaks after a hyphen)
    cells = re.findall(r"<td>((?:(?!</td>).)*INT-ACC-1(?:(?!</td>).)*)</td>", html)
    assert cells and all('<span class="word">INT-ACC-1</span>' in c for c in cells), cells
    assert '<td><span class="word">internal-llm</span> <span class="word">INT-ACC-1</span></td>' in html  # checklist
    attested = re.findall(r'<td><span class="word">INT-REL-1</span></td>', html)                       # attestations
    assert attested, "the attestation's control id is not kept whole"
