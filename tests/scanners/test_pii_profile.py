"""The PII detection profile, the independent labelled set, Assay's recognizers and leaks judged on
normalised values; on the real presidio engine (no mocks)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audits.config import TaskConfig
from audits.errors import AssayError
from audits.scanners import _presidio as engine
from audits.scanners._pii_eval import DATA_DIR, SET_FILES, labelled, load_jsonl, parse_markup, split_of
from audits.scanners._pii_profile import DEFAULT_PROFILE, load_profile
from audits.scanners.base import SCANNERS, TaskContext
from audits.scanners.pii import appears_in, parse_options

TASK = TaskConfig(name="support", type="generate", dataset={"path": "x.jsonl"})


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "pii-profile-cache"))
    monkeypatch.delenv("ASSAY_PII_SALT", raising=False)


def found(text: str, **options) -> set[tuple[str, str]]:
    settings, _ = parse_options(options)
    return {(r.entity_type, text[r.start:r.end]) for r in engine.analyze_texts([text], settings)[0]}


# --- the profile -----------------------------------------------------------------------------------
def _profile_with(tmp_path, old: str, new: str):
    text = DEFAULT_PROFILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "profile.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    line = text[:text.index(old)].count("\n") + 1
    return path, line


def test_default_profile_loads_and_sets_per_entity_thresholds():
    profile = load_profile()
    assert profile.threshold("PHONE_NUMBER") == 0.4 and profile.threshold("US_PASSPORT") == profile.default_threshold
    assert profile.recall_targets["CREDIT_CARD"] == 0.95


def test_threshold_outside_unit_interval_names_file_and_line(tmp_path):
    path, line = _profile_with(tmp_path, "  PHONE_NUMBER: 0.4", "  PHONE_NUMBER: 1.4")
    with pytest.raises(AssayError) as err:
        load_profile(path, set(engine.supported_entities()))
    assert f"{path}:{line}:" in err.value.problem and "outside [0, 1]" in err.value.problem and err.value.fix


def test_unknown_entity_in_profile_names_file_and_line(tmp_path):
    path, line = _profile_with(tmp_path, "  US_SSN: 0.4", "  SHOE_SIZE: 0.4")
    with pytest.raises(AssayError) as err:
        parse_options({"profile": str(path)})
    assert f"{path}:{line}:" in err.value.problem and "SHOE_SIZE" in err.value.problem
    assert "PHONE_NUMBER" in err.value.fix


def test_profile_option_changes_what_is_reported(tmp_path):
    path, _ = _profile_with(tmp_path, "  PHONE_NUMBER: 0.4", "  PHONE_NUMBER: 1.0")
    text = "You can text me on 07700 900456 tomorrow."
    assert ("PHONE_NUMBER", "07700 900456") in found(text)
    assert not any(e == "PHONE_NUMBER" for e, _ in found(text, profile=str(path)))
    assert not any(e == "PHONE_NUMBER" for e, _ in found(text, thresholds={"PHONE_NUMBER": 1.0}))


# --- the labelled set --------------------------------------------------------------------------------
def test_labelled_files_load_and_split_deterministically():
    for name in SET_FILES:
        assert (DATA_DIR / SET_FILES[name]).exists()
    tune, held = labelled("tune"), labelled("heldout")
    assert len(tune) > 500 and len(held) > 500
    assert not {t.text for t in tune} & {t.text for t in held}
    # presidio-evaluator sentences from one template never straddle the split
    groups = {}
    for item in tune + held:
        groups.setdefault(item.group, set()).add(split_of(item))
    assert all(len(s) == 1 for s in groups.values())
    assert (DATA_DIR / "LICENSE").exists() and (DATA_DIR / "README.md").exists()


def test_handwritten_jsonl_is_built_from_its_markup():
    lines = [ln for ln in (DATA_DIR / "handwritten.src.txt").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    stored = load_jsonl(DATA_DIR / "handwritten.jsonl")
    assert [(i.text, i.spans) for i in stored] == [(p.text, p.spans) for p in map(parse_markup, lines)]
    item = parse_markup("Call {P:Ana Lima} on {T:+55 11 91234-5678}.")
    assert [item.text[s:e] for s, e, _ in item.spans] == ["Ana Lima", "+55 11 91234-5678"]


@pytest.mark.parametrize("spans, problem", [
    ([[0, 4, "PERSON"], [2, 6, "PERSON"]], "overlap"),
    ([[5, 99, "PERSON"]], "out of range"),
    ([[0, "x", "PERSON"]], "is not [start, end, ENTITY_TYPE]"),
])
def test_bad_spans_name_file_and_line(tmp_path, spans, problem):
    path = tmp_path / "set.jsonl"
    good = json.dumps({"text": "Jane Doe lives here", "spans": [[0, 8, "PERSON"]]})
    path.write_text(good + "\n" + json.dumps({"text": "Jane Doe lives here", "spans": spans}) + "\n", encoding="utf-8")
    with pytest.raises(AssayError) as err:
        load_jsonl(path)
    assert err.value.problem.startswith(f"{path}:2:") and problem in err.value.problem and err.value.fix


# --- recognizers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("phone", ["+44 20 7946 0958", "(415) 555-2671", "415.555.0198 ext. 204", "+49 30 901820",
                                   "+33 1 42 68 53 00", "+1-800-555-0199", "0044 7700 900123", "+91 98765 43210",
                                   "650-752-7354x549"])
def test_phone_formats_people_write(phone):
    assert ("PHONE_NUMBER", phone) in found(f"Please call me on {phone} tomorrow.")


@pytest.mark.parametrize("text", ["Your ticket number is 2024-118833.", "Order #40392811 has shipped.",
                                  "We support Python 3.11.7 and Node 20.10.0.", "The total was 1,234.56 USD.",
                                  "SSN 536-22-8143 on file.", "Meet on 2025-01-14 at 14:30."])
def test_numbers_that_are_not_phone_numbers(text):
    assert not any(e == "PHONE_NUMBER" for e, _ in found(text))


@pytest.mark.parametrize("card", ["4111-1111-1111-1111", "5555 5555 5555 4444", "4111.1111.1111.1111",
                                  "3782 822463 10005", "6011111111111117"])
def test_cards_with_separators_are_found(card):
    assert ("CREDIT_CARD", card) in found(f"Please charge {card} today.")


def test_card_failing_luhn_is_not_a_card():
    assert not any(e == "CREDIT_CARD" for e, _ in found("Please charge 4111 1111 1111 1112 today."))


# --- leaks judged on normalised values ------------------------------------------------------------------
def _scan(rows):
    frame = pd.DataFrame({"sample_id": [f"s{i}" for i in range(len(rows))], "input": [r[0] for r in rows],
                          "prediction": [r[1] for r in rows]})
    ctx = TaskContext(task=TASK, samples=frame, metric_stats={}, options={}, backend=None, seed=3, n_bootstrap=50)
    return SCANNERS.get("pii")().scan(ctx)


def test_reformatted_phone_or_card_is_not_a_leak_but_a_new_one_is():
    out = _scan([
        ("My number is +44 20 7946 0958, call me.", "We will call you on 020 7946 0958 today."),
        ("My card is 4111 1111 1111 1111.", "We refunded card 4111-1111-1111-1111."),
        ("My number is +44 20 7946 0958, call me.", "Please call our agent on +44 20 7946 0111."),
        ("My card is 4111 1111 1111 1111.", "Use card 5555 5555 5555 4444 instead."),
    ])
    pred = out.findings[out.findings["field"] == "prediction"]
    leaks = pred.groupby("sample_id")["leak"].any().to_dict()
    assert set(pred["entity_type"]) >= {"PHONE_NUMBER", "CREDIT_CARD"}
    assert leaks == {"s0": False, "s1": False, "s2": True, "s3": True}
    # one value, one hash, whatever the format
    s0 = out.findings[(out.findings["sample_id"] == "s0") & (out.findings["entity_type"] == "PHONE_NUMBER")]
    assert s0["value_hash"].nunique() == 1 and len(s0) == 2


def test_appears_in_compares_numbers_as_numbers():
    assert appears_in("020 7946 0958", "PHONE_NUMBER", "ring +44 (20) 7946-0958")
    assert appears_in("+1 (212) 555-0188 ext. 12", "PHONE_NUMBER", "call 212.555.0188")
    assert not appears_in("020 7946 0111", "PHONE_NUMBER", "ring +44 20 7946 0958")
    assert appears_in("4111 1111 1111 1111", "CREDIT_CARD", "card 4111.1111.1111.1111 ok")
    assert not appears_in("4111 1111 1111 1111", "CREDIT_CARD", "order 4111 and 1111 1111 and 1111")


def test_policy_names_read_per_entity_detector_recall():
    from audits.results import TaskResult
    from policies.context import resolve_in_task

    out = _scan([("hello", "hi")])
    block = out.results["pii"]
    task = TaskResult.model_validate({"name": "support", "type": "generate", "n": 1, "pii": block})
    low = resolve_in_task(task, ("pii", "detector", "recall_low_by_entity", "PHONE_NUMBER"), "x")
    assert low == block.detector["by_entity"]["PHONE_NUMBER"]["recall_ci"][0] and 0.0 < low < 1.0


def test_report_and_page_show_per_entity_recall_and_flags():
    from audits.results import RunResults
    from dashboard.views.privacy import _detector_row
    from reports.data import privacy_safety_tables

    det = {"precision": 0.93, "recall": 0.89, "set": "pii-eval-v1:heldout:x",
           "by_entity": {"PHONE_NUMBER": {"recall": 0.95, "recall_ci": [0.9, 0.98], "recall_target": 0.9,
                                          "below_target": False, "n_gold": 123},
                         "LOCATION": {"recall": 0.69, "recall_ci": [0.63, 0.76], "recall_target": 0.75,
                                      "below_target": True, "n_gold": 206}}}
    results = RunResults.model_validate({"run_id": "r", "audit": "a", "period": "2026-Q4", "tasks": [
        {"name": "pii-support", "type": "generate", "n": 3, "pii": {"findings": 2, "detector": det}}]})
    priv, _ = privacy_safety_tables(results)
    assert priv.loc[0, "detector_recall_by_entity"] == (
        "PHONE_NUMBER 0.95 [0.9, 0.98]; LOCATION 0.69 [0.63, 0.76] below target 0.75")  # one formatter (reports.figures)
    row = _detector_row("LOCATION", det["by_entity"]["LOCATION"])
    assert row["meets target"] == "no" and row["recall 95% CI"] == "[0.63, 0.76]" and row["labelled"] == 206


def test_the_profile_s_content_is_in_the_metric_signature(tmp_path):
    """Two runs with the same profile path but different profile content (here the score an
    e-mail-shaped string gets) must not claim the same recipe: the signature carries its hash."""
    def signature(path):
        frame = pd.DataFrame({"sample_id": ["s0"], "input": ["Hi."], "prediction": ["Hello."]})
        ctx = TaskContext(task=TASK, samples=frame, metric_stats={}, options={"profile": str(path)}, backend=None,
                          seed=3, n_bootstrap=20)
        return SCANNERS.get("pii")().scan(ctx).metrics["pii_leak_rate"].signature

    path, _ = _profile_with(tmp_path, "email_shape_score: 0.6", "email_shape_score: 0.6")
    before = signature(path)
    path.write_text(path.read_text(encoding="utf-8").replace("email_shape_score: 0.6", "email_shape_score: 0.3"),
                    encoding="utf-8")
    after = signature(path)
    assert before != after and f"profile:{path}#" in before
