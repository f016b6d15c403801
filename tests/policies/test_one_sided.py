"""One question, one rule: a control ``rate <= t`` at 95% is decided on the one-sided exact 95%
upper bound, and `check --json`, the sentence beside the rate, `assay plan`'s n and the pack text
all say the same: 0 events in 299 decide ``<= 1%``, 0 in 298 do not (rule of three)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audits import stats
from audits.cli import main
from catalog_builder import _metric, make_run
import policies


def _zero_toxic_in(n: int):
    def edit(results):
        task = results["tasks"][1]   # support-qa
        task["metrics"]["toxicity_rate"] = _metric(0.0, n=n)
        task["n"] = n
    return edit


def _check_json(cat, run, pack, capsys) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["--catalog", str(cat.path), "check", run, "--policy", pack, "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("n, verdict, code", [(299, "pass", 0), (298, "inconclusive", 3)])
def test_zero_events_decide_one_percent_from_299(two_runs, tmp_path, capsys, n, verdict, code):
    cat, _, _ = two_runs
    run = make_run(cat, f"run-{n}", "2027-Q1", acc=0.9, ratio=0.9, leak=0.0, edit=_zero_toxic_in(n))
    pack = tmp_path / "tox.yaml"
    pack.write_text("name: tox\ntitle: T\ncontrols:\n  - {id: TOX, title: t, source: s, owner: compliance,"
                    " check: 'tasks.support_qa.toxicity_rate <= 0.01'}\n")
    got, body = _check_json(cat, run, str(pack), capsys)
    row = body["controls"][0]
    assert got == code == body["exit_code"] and row["verdict"] == verdict
    assert row["bound_side"] == "upper" and row["bound"] == pytest.approx(1 - 0.05 ** (1 / n))
    assert row["n"] == n and row["confidence"] == 0.95
    assert row["n_needed"] == (None if verdict == "pass" else 299)
    # the sentence beside the rate says the same bound: "below 1.00%" only when it decides
    words = stats.describe("toxicity_rate", 0.0, 0.0, 1.0, n, kind="rate", events=0)
    assert ("below 1.00%" in words) == (verdict == "pass")
    assert words.startswith(f"0 of {n} outputs were toxic")


def test_rule_of_three_everywhere():
    assert stats.rate_n_needed(0.0, 0.01) == 299
    assert stats.n_needed("rate", 0.0, 0.01) == 299
    assert float(stats.upper_bound(0, 299)) < 0.01 < float(stats.upper_bound(0, 298))
    v = stats.verdict(0.0, *(float(x) for x in stats.clopper_pearson(0, 299, stats.interval_level("<=", 0.95))),
                      "<=", 0.01, kind="rate", n=299)
    assert v.verdict == "pass" and v.bound == pytest.approx(float(stats.upper_bound(0, 299)))
    # the shipped pack's text cites the same figure
    text = (Path(policies.__file__).parent / "packs" / "internal-llm.yaml").read_text()
    assert "zero leaks in 299 outputs" in text
