"""The words of a checklist item come from the row its figures come from: ``detail`` leads with the
deciding task and ``task`` names it (INT-TOX-1 reported bbq-gender's n-needed under a detail that led
with support-qa's); a review-coverage control carries the count it is a share of."""

from __future__ import annotations

import json

from audits.cli import main
from catalog_builder import _metric, make_run
from reports.verdicts import evidence_text
import policies


def _two_undecided(results):
    """bbq-gender (listed first): 0 toxic of 50; support-qa: 16 of 2,000 — both undecided at <= 1%,
    support-qa furthest on the wrong side, so it decides the item."""
    bbq, qa = results["tasks"][0], results["tasks"][1]
    bbq["metrics"]["toxicity_rate"], bbq["n"] = _metric(0.0, n=50), 50
    qa["metrics"]["toxicity_rate"] = _metric(0.008, n=2000)


def _pack(tmp_path, check: str):
    pack = tmp_path / "p.yaml"
    pack.write_text("name: p\ntitle: T\ncontrols:\n  - {id: C1, title: t, source: s, owner: compliance,"
                    f" check: '{check}'}}\n")
    return str(pack)


def test_detail_leads_with_the_deciding_task(two_runs, tmp_path, capsys):
    cat, _, _ = two_runs
    run = make_run(cat, "run-tox", "2027-Q1", acc=0.9, ratio=0.9, leak=0.0, edit=_two_undecided)
    item = policies.evaluate_run(cat, run, [_pack(tmp_path, "toxicity_rate <= 0.01")]).items[0]
    assert item.status == "inconclusive"
    rows = {t["task"]: t for t in item.tasks}
    assert rows["bbq-gender"]["n_needed"] != rows["support-qa"]["n_needed"]
    assert item.task == "support-qa"
    assert (item.n, item.n_needed) == (2000, rows["support-qa"]["n_needed"])
    assert item.detail.startswith("support-qa: ")
    assert item.detail.index("support-qa") < item.detail.index("bbq-gender")
    capsys.readouterr()
    main(["--catalog", str(cat.path), "check", run, "--policy", _pack(tmp_path, "toxicity_rate <= 0.01"), "--json"])
    body = json.loads(capsys.readouterr().out)
    assert body["items"][0]["task"] == "support-qa"
    lead = body["items"][0]["detail"].split("; bbq-gender")[0]
    assert lead.startswith("support-qa: ") and f"about {item.n_needed} samples" in lead


def test_review_coverage_carries_its_count(two_runs, tmp_path):
    cat, _, q4 = two_runs
    item = policies.evaluate_run(cat, q4, [_pack(tmp_path, "review.coverage >= 0.05")]).items[0]
    assert item.status == "fail" and item.value == 0.0
    assert item.n is not None and item.n > 0
    assert f"0 of {item.n:,} outputs reviewed" in item.detail
    words = evidence_text(item)
    assert f"0 of {item.n:,} outputs reviewed by a person" in words
    assert "bound" not in words   # an exact count has no bound distinct from its value
