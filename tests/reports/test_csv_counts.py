"""`assay report RUN --format csv -o DIR`: counts are integers in the CSV (checklist.csv wrote n and
n_needed as '2000.0' because a column with an empty cell is float in pandas)."""

from __future__ import annotations

import csv

from audits.cli import main
from reports.export import counts_as_integers
from reports.verdicts import checklist_frame

import pandas as pd


def test_checklist_csv_writes_counts_as_integers(report_runs, tmp_path, capsys):
    cat, _, q4 = report_runs
    out = tmp_path / "csv"
    assert main(["--catalog", str(cat.path), "report", q4, "--format", "csv", "-o", str(out)]) == 0
    rows = list(csv.DictReader((out / "checklist.csv").open(encoding="utf-8")))
    counted = [r for r in rows if r["n"]]
    assert counted and all(r["n"].isdigit() for r in counted), [r["n"] for r in counted]
    assert "2000" in {r["n"] for r in counted}
    assert all(r["n_needed"] == "" or r["n_needed"].isdigit() for r in rows)
    assert any(r["n_needed"] == "" for r in rows)   # an empty cell stays empty, not '0' or 'nan'
    for path in out.glob("*.csv"):   # no count column of any table is written as a float
        for row in csv.DictReader(path.open(encoding="utf-8")):
            for column, cell in row.items():
                if column == "n" or str(column).startswith("n_"):
                    assert not cell.endswith(".0"), (path.name, column, cell)


def test_the_checklist_table_and_the_helper_keep_counts_whole(report_runs):
    import policies

    cat, _, q4 = report_runs
    frame = checklist_frame(policies.evaluate_run(cat, q4))
    assert str(frame["n"].dtype) == str(frame["n_needed"].dtype) == "Int64"   # the evidence pack's CSV too
    got = counts_as_integers(pd.DataFrame({"n": [300.0, None], "n_groups": [1.5, 2.0], "value": [1.0, 2.0]}))
    assert str(got["n"].dtype) == "Int64" and got["n_groups"].dtype == float and got["value"].dtype == float
