"""`assay check RUN --json`: each row of ``controls`` names the task that decided it, with that
task's figures, as the item does (a compliance officer exporting only the rows can tell which
task decided a control, and how its bound was made)."""

from __future__ import annotations

import json

from audits.cli import main


def test_control_rows_carry_the_deciding_task(two_runs, capsys):
    cat, _, q4 = two_runs
    capsys.readouterr()
    main(["--catalog", str(cat.path), "check", q4, "--policy", "internal-llm", "--json"])
    body = json.loads(capsys.readouterr().out)
    items = {i["control_id"]: i for i in body["items"]}
    rows = {r["control_id"]: r for r in body["controls"]}
    assert rows.keys() == items.keys()
    for cid, row in rows.items():
        item = items[cid]
        for key in ("task", "title", "expression", "area", "severity", "method", "value", "bound", "n", "n_needed"):
            assert row[key] == item[key], (cid, key)
    # PII leaks 5% on support-qa (Q4): failed there, and the row says so
    pii = rows["INT-PII-1"]
    assert pii["verdict"] == "fail" and pii["task"] == "support-qa"
    assert pii["method"] == "clopper-pearson" and pii["n"] == 2000 and pii["n_needed"] is None
    # a run-level control names no task
    assert rows["INT-REV-1"]["task"] is None
