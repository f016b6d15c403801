"""`assay plan` says what spread it planned a mean with: the previous run's, ``--sd``, or the assumed sd 0.5
(the largest a score in [0, 1] can have). A score outside [0, 1] has no largest spread, so without ``--sd``
or an earlier run the plan names that input instead of an n (before: it assumed sd 0.5 of a decision logit
and asked for 30 samples whatever the logits' real spread)."""

from __future__ import annotations

import json

import pytest

from audits import stats
from audits.cli import main


def _config(tmp_path, check: str) -> str:
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps({"q": f"q{i}", "label": "yes"}) for i in range(60)))
    (tmp_path / "p.yaml").write_text("name: p\ntitle: P\ncontrols:\n  - {id: LOGIT, title: t, source: s, "
                                     f"owner: compliance, check: '{check}'}}\n")
    cfg = tmp_path / "a.yaml"
    cfg.write_text(f"name: u\nperiod: 2027-Q1\npolicy: [{tmp_path / 'p.yaml'}]\ntasks:\n  - {{name: dec, type: choice, "
                   f"choices: [yes, no], positive: yes, dataset: {{path: {tmp_path / 'd.jsonl'}}}, prompt: '{{q}}', "
                   f"fields: {{label: label}}, metrics: [decision_logit, p_positive]}}\n")
    return str(cfg)


def _plan(tmp_path, capsys, check: str, *args: str, as_json: bool = True):
    capsys.readouterr()
    code = main(["plan", _config(tmp_path, check), "--catalog", str(tmp_path / "none.duckdb"), *args,
                 *(["--json"] if as_json else [])])
    out = capsys.readouterr().out
    return code, (json.loads(out)["controls"][0] if as_json else out)


def test_an_unbounded_mean_without_spread_names_the_input_it_needs(tmp_path, capsys):
    code, row = _plan(tmp_path, capsys, "decision_logit <= 0", "--expect", "decision_logit=-2")
    assert code == 0 and row["n_needed"] is None and row["status"] == "no spread known"
    assert "--sd decision_logit=SD" in row["advice"] and "pilot" in row["advice"] and "assumed_sd" not in row
    code, text = _plan(tmp_path, capsys, "decision_logit <= 0", "--expect", "decision_logit=-2", as_json=False)
    line = text.splitlines()[1]
    assert line.startswith("NOTE LOGIT") and "need —" in line and "give --sd decision_logit=SD" in line


def test_the_given_sd_plans_the_normal_approximation_n(tmp_path, capsys):
    code, row = _plan(tmp_path, capsys, "decision_logit <= 0", "--expect", "decision_logit=-0.5",
                      "--sd", "decision_logit=2.5")
    lo, hi = stats.normal_interval(-0.5, 0.25, 0.95)
    expected = stats.n_needed("mean", -0.5, 0.0, confidence=0.95, n=100, low=float(lo), high=float(hi),
                              interval_confidence=0.95)
    assert row["n_needed"] == expected == 155 and row["sd"] == 2.5 and row["sd_from"] == "--sd"  # (1.645+0.842)^2 x 25
    # a smaller spread asks fewer, never under the 30 an unbounded verdict needs
    code, row = _plan(tmp_path, capsys, "decision_logit <= 0", "--expect", "decision_logit=-0.5",
                      "--sd", "decision_logit=1")
    assert row["n_needed"] == stats.MIN_UNBOUNDED_N  # the normal approximation alone: 25


def test_a_unit_score_says_it_assumed_the_largest_spread(tmp_path, capsys):
    code, row = _plan(tmp_path, capsys, "p_positive <= 0.5", "--expect", "p_positive=0.3")
    assert row["assumed_sd"] == 0.5 and row["sd_from"] == "assumed" and row["n_needed"] > 0
    assert "largest for a score in [0, 1]" in row["assumed"] and "--sd p_positive=SD" in row["assumed"]
    code, text = _plan(tmp_path, capsys, "p_positive <= 0.5", "--expect", "p_positive=0.3", as_json=False)
    assert "(assumed sd 0.5, the largest for a score in [0, 1]" in text


@pytest.mark.parametrize("sd, words", [("decision_logit=-1", "positive number"), ("decision_logit", "METRIC=SD"),
                                        ("accuracy=0.2", "no control of these packs plans a mean 'accuracy'")])
def test_a_bad_sd_is_one_line_with_its_fix(tmp_path, capsys, sd, words):
    capsys.readouterr()
    code = main(["plan", _config(tmp_path, "decision_logit <= 0"), "--catalog", str(tmp_path / "none.duckdb"),
                 "--expect", "decision_logit=-2", "--sd", sd])
    err = capsys.readouterr().err.strip()
    assert code == 2 and words in err and "\n" not in err and " — " in err
