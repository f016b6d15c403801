"""Retraining exports: chat SFT and preference JSONL shapes, PII scrubbing (real presidio),
manifests with the file's SHA-256, and `assay export ... --keep-pii`."""

from __future__ import annotations

import hashlib
import json

import pytest

from audits.errors import AssayError
from audits.review import retraining
from audits.review.synthetic import SYSTEM_PROMPT, make_review_run
from audits.store.catalog import Catalog
from audits.store.queries import reviews as rv

FIX = "Please write to maria.garcia@gmail.com for the answer."


NAME_ONLY = "Maria Garcia"  # stored redacted as "<PERSON_1>": a correction of placeholders only


@pytest.fixture(scope="module")
def labeled(tmp_path_factory) -> Catalog:
    """pii_leak items labelled correct and incorrect (with a fix), wrong answers corrected (one with a
    name only), sampled items confirmed."""
    cat = Catalog(tmp_path_factory.mktemp("rt") / "c.duckdb")
    make_review_run(cat, "r1", n=40, reviewers_per_item=1)
    queue = rv.review_queue(cat, "r1")
    leaks = wrong = 0
    for row in queue.itertuples():
        if row.reason == "pii_leak":
            label, fix = ("correct", None) if leaks % 2 == 0 else ("incorrect", FIX)
            rv.record_review(cat, "r1", row.task, row.sample_id, "ann", "reviewer", label, correction=fix)
            leaks += 1
        elif row.reason == "wrong_answer":
            rv.record_review(cat, "r1", row.task, row.sample_id, "ann", "reviewer", "incorrect",
                             correction=NAME_ONLY if wrong == 0 else FIX)
            wrong += 1
        else:
            rv.record_review(cat, "r1", row.task, row.sample_id, "ben", "reviewer", "correct")
    return cat


def _counts(cat):
    q = rv.review_queue(cat, "r1")
    return (q["reason"] == "pii_leak").sum(), (q["reason"] == "sampled").sum(), (q["reason"] == "wrong_answer").sum()


def _leaks(cat) -> set[str]:
    q = rv.review_queue(cat, "r1")
    return {f"{t}/{s}" for t, s, r in zip(q["task"], q["sample_id"], q["reason"]) if r == "pii_leak"}


@pytest.mark.slow
def test_sft_rows_are_chat_messages_scrubbed_with_ids_and_no_leaks(labeled):
    n_leak, n_sampled, n_wrong = _counts(labeled)
    assert n_leak >= 2 and n_wrong >= 2
    rows, info = retraining._build(labeled, "r1", "sft", True)
    assert len(rows) == n_sampled + n_wrong - 1  # no pii_leak item, even labelled correct; no name-only fix
    assert all(list(r) == ["messages", "run_id", "task", "sample_id"] and r["run_id"] == "r1"
               and [m["role"] for m in r["messages"]] == ["system", "user", "assistant"] for r in rows)
    assert not {f"{r['task']}/{r['sample_id']}" for r in rows} & _leaks(labeled)
    assert info["privacy_out"]["n"] == n_leak == info["privacy_out"]["pii_leak"] and info["n_placeholder_only"] == 1
    assert rows[0]["messages"][0]["content"] == SYSTEM_PROMPT
    answers = [r["messages"][2]["content"] for r in rows]
    assert "maria.garcia@gmail.com" not in "".join(answers) and "example.com" not in "".join(answers)
    assert answers.count("Please write to <EMAIL_ADDRESS_1> for the answer.") == n_wrong - 1
    assert "<PERSON_1>" not in answers
    assert any(a.startswith("Answer number") for a in answers)  # confirmed model outputs


@pytest.mark.slow
def test_preference_rows_carry_ids_and_never_a_placeholder_only_side(labeled):
    _, _, n_wrong = _counts(labeled)
    rows = retraining.build_preference(labeled, "r1")
    assert len(rows) == n_wrong - 1
    assert all(list(r) == ["prompt", "chosen", "rejected", "run_id", "task", "sample_id"] for r in rows)
    assert {r["chosen"] for r in rows} == {"Please write to <EMAIL_ADDRESS_1> for the answer."}
    assert {r["rejected"] for r in rows} == {"I do not know."}
    assert not any(retraining.placeholders_only(r[k]) for r in rows for k in ("chosen", "rejected"))
    raw = retraining.build_preference(labeled, "r1", scrub=False)
    assert {r["chosen"] for r in raw} == {"Please write to <EMAIL_ADDRESS_1> for the answer."}  # stored redacted
    assert not {f"{r['task']}/{r['sample_id']}" for r in raw} & _leaks(labeled)


def test_placeholders_only():
    assert retraining.placeholders_only("<PERSON_1>.") and retraining.placeholders_only(" <PERSON> <LOCATION_2> ")
    assert not retraining.placeholders_only("<PERSON_1> was late") and not retraining.placeholders_only("The man")


def test_scrubbed_items_get_one_pseudonym_per_value():
    scrubber = retraining.Scrubber({})
    out = scrubber.items([["Was Anna Berg or Tom Field late?", "Anna Berg", "Tom Field was late, mail tom@ex.org"]])[0]
    assert out == ["Was <PERSON_1> or <PERSON_2> late?", "<PERSON_1>", "<PERSON_2> was late, mail <EMAIL_ADDRESS_1>"]


@pytest.mark.slow
def test_write_export_manifest(labeled, tmp_path):
    out = tmp_path / "sft.jsonl"
    manifest = retraining.write_export(labeled, "r1", "sft", out, actor="ann")
    on_disk = json.loads((tmp_path / "sft.manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["counts"]["records"] == len(out.read_text().splitlines())
    assert manifest["source"]["run_id"] == "r1" and manifest["reviewers"] == ["ann", "ben"]
    assert manifest["pii"]["scrubbed"] and "maria.garcia" not in out.read_text()  # corrections are stored redacted
    with labeled.connect() as con:
        actions = con.execute("SELECT action FROM audit_log WHERE actor = 'ann' AND action LIKE 'export%'").fetchall()
    assert actions == [("export.retraining-sft",)]


def test_reviewer_corrections_are_stored_redacted(labeled):
    with labeled.connect() as con:
        corrections = {c for (c,) in con.execute("SELECT correction FROM reviews WHERE correction IS NOT NULL").fetchall()}
    assert corrections == {"Please write to <EMAIL_ADDRESS_1> for the answer.", "<PERSON_1>"}


def test_a_phone_the_detector_misses_is_caught_by_the_fallback_and_the_rescan():
    scrubber = retraining.Scrubber({"entities": ["PERSON"]})  # the detector looks for names only
    text = "Call me on +44 20 7946 0958 or mail x.y@example.org"
    clean = scrubber([text])[0]
    assert "7946" not in clean and "example.org" not in clean and scrubber.residual([clean]) == []
    assert scrubber.residual([text])  # the re-scan sees what a bare detector missed


def test_cli_export_keep_pii(labeled, tmp_path, capsys):
    from audits.cli import main

    out = tmp_path / "pref.jsonl"
    args = ["export", "r1", "retraining-preference", "-o", str(out), "--keep-pii", "--catalog", str(labeled.path)]
    assert main(args) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and {r["chosen"] for r in rows} == {"Please write to <EMAIL_ADDRESS_1> for the answer."}
    manifest = json.loads((tmp_path / "pref.manifest.json").read_text())
    assert manifest["pii"]["scrubbed"] is False and manifest["kind"] == "preference"
    assert main(["export", "r1", "retraining-sft", "-o", str(tmp_path / "x.csv"), "--catalog", str(labeled.path)]) == 2
    assert ".jsonl" in capsys.readouterr().err


@pytest.fixture
def flagged_run(tmp_path):
    """Real labels in a real catalog, through the Review page's write (label + flags + next lease):
    every settled item is "incorrect" with a correction; one flagged biased, one unsafe, one privacy."""
    cat = Catalog(tmp_path / "flags.duckdb")
    make_review_run(cat, "r1", n=40, reviewers_per_item=1, rate=0.5)
    queue = rv.review_queue(cat, "r1")
    flags = {0: ["biased"], 1: ["unsafe"], 2: ["privacy"], 3: ["biased", "privacy"]}
    item, order, kept = rv.claim_next_item(cat, "r1", "ann"), [], []  # kept: items not queued as pii_leak
    while item is not None:
        i = len(order)
        order.append((item["task"], item["sample_id"]))
        j = len(kept) if item["reason"] != "pii_leak" else -1
        if j >= 0:
            kept.append(order[-1])
        _, item = rv.label_and_claim_next(cat, "r1", item["task"], item["sample_id"], "ann", "reviewer",
                                          "incorrect", correction=f"Better answer {i}.", flags=flags.get(j, []))
    assert len(order) == len(queue) == len(set(order)) > len(kept) > 4
    return cat, {k: kept[k] for k in flags}


def _items(manifest) -> set[str]:
    return set(manifest["items"])


def test_reviewer_flags_filter_the_retraining_export(flagged_run):
    cat, flagged = flagged_run
    key = {k: f"{t}/{s}" for k, (t, s) in flagged.items()}
    summary = rv.review_summary(cat, "r1")   # the flags feed the queue's statistics
    assert summary["flags"] == {"privacy": 2, "unsafe": 1, "biased": 2, "hallucination": 0}
    _, default = retraining.build_export(cat, "r1", "preference", scrub=False)
    assert not _items(default) & set(key.values())                       # every flagged item left out by default
    assert default["n_flagged_out"] == 2 and default["flag_filter"]["exclude"] == ["biased", "privacy", "unsafe"]
    assert default["flag_filter"]["excluded_by_flag"] == {"biased": 1, "privacy": 0, "unsafe": 1}
    assert default["privacy_out"]["flagged_privacy"] == 2 and default["privacy_out"]["pii_leak"] > 0
    _, no_bias_filter = retraining.build_export(cat, "r1", "preference", scrub=False, exclude_flags=["privacy", "unsafe"])
    assert key[0] in _items(no_bias_filter) and not {key[1], key[2], key[3]} & _items(no_bias_filter)
    _, only_biased = retraining.build_export(cat, "r1", "preference", scrub=False, only_flags=["biased"])
    assert _items(only_biased) == {key[0]}                                 # biased+privacy still out (privacy)
    assert only_biased["flag_filter"]["exclude"] == ["privacy", "unsafe"]
    _, all_items = retraining.build_export(cat, "r1", "sft", scrub=False, exclude_flags=[])
    assert {key[0], key[1]} <= _items(all_items) and all_items["n_flagged_out"] == 0
    assert not {key[2], key[3]} & _items(all_items)  # flagged privacy: never retraining data, whatever the filter
    assert all_items["privacy_out"]["flagged_privacy"] == 2
    assert len(_items(all_items)) == len(_items(default)) + 2
    with pytest.raises(AssayError, match="items flagged privacy never enter retraining data"):
        retraining.build_export(cat, "r1", "sft", scrub=False, only_flags=["privacy"])
    with pytest.raises(AssayError, match="cannot both select"):
        retraining.build_export(cat, "r1", "sft", scrub=False, exclude_flags=["biased"], only_flags=["biased"])
    with pytest.raises(AssayError, match="unknown review flag"):
        retraining.build_export(cat, "r1", "sft", scrub=False, exclude_flags=["racist"])


def test_assay_export_filters_by_flag(flagged_run, tmp_path, capsys):
    from audits.cli import main

    cat, flagged = flagged_run
    key = {k: f"{t}/{s}" for k, (t, s) in flagged.items()}
    out = tmp_path / "biased.jsonl"
    assert main(["export", "r1", "retraining-preference", "-o", str(out), "--catalog", str(cat.path),
                 "--only-flagged", "biased", "--keep-pii"]) == 0
    assert "only items flagged biased" in capsys.readouterr().out
    manifest = json.loads(retraining.manifest_path(out).read_text())
    assert manifest["items"] == [key[0]] and len(out.read_text().splitlines()) == 1
    out2 = tmp_path / "keep-biased.jsonl"
    assert main(["export", "r1", "retraining-sft", "-o", str(out2), "--catalog", str(cat.path),
                 "--exclude-flagged", "privacy,unsafe", "--keep-pii"]) == 0
    manifest = json.loads(retraining.manifest_path(out2).read_text())
    assert key[0] in manifest["items"] and key[1] not in manifest["items"]
    with cat.connect() as con:  # each export is in the audit log with its flag filter
        logged = [json.loads(d)["flag_filter"] for (d,) in con.execute(
            "SELECT details FROM audit_log WHERE action LIKE 'export.retraining-%' ORDER BY seq").fetchall()]
    assert logged == [{"exclude": ["privacy", "unsafe"], "only": ["biased"]},
                      {"exclude": ["privacy", "unsafe"], "only": []}]
