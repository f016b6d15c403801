"""PII scanner on the real presidio engine and the bundled spaCy model (engine built once)."""

from __future__ import annotations

import pandas as pd
import pytest

from audits.config import TaskConfig, parse_config
from audits.errors import AssayError
from audits.scanners import _presidio as engine
from audits.scanners.base import SCANNERS, TaskContext
from audits.scanners.pii import appears_in, parse_options

TASK = TaskConfig(name="support", type="generate", dataset={"path": "x.jsonl"})
CARD = "4111 1111 1111 1111"
EMAIL = "maria.garcia@example.com"


@pytest.fixture(scope="module")
def _module_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")  # one detector measurement per module, not per test


@pytest.fixture(autouse=True)
def _cache(_module_cache, monkeypatch):
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(_module_cache))
    monkeypatch.delenv("ASSAY_PII_SALT", raising=False)


def scan(frame: pd.DataFrame, **options):
    ctx = TaskContext(task=TASK, samples=frame, metric_stats={}, options=options, backend=None,
                      seed=3, n_bootstrap=200)
    return SCANNERS.get("pii")().scan(ctx)


def frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"task": "support", "sample_id": [f"s{i}" for i in range(len(rows))],
                         "input": [r[0] for r in rows], "prediction": [r[1] for r in rows],
                         "reference": ["Thanks, we will look into it."] * len(rows)})


def test_known_entities_found_with_offsets_and_type():
    text = f"Please email {EMAIL} or charge card {CARD} for Maria Garcia."
    results = engine.analyze_texts([text], engine.PiiSettings())[0]
    got = {(r.entity_type, text[r.start:r.end]) for r in results}
    assert ("EMAIL_ADDRESS", EMAIL) in got
    assert ("CREDIT_CARD", CARD) in got
    assert ("PERSON", "Maria Garcia") in got
    email = next(r for r in results if r.entity_type == "EMAIL_ADDRESS")
    assert (email.start, email.end) == (text.index(EMAIL), text.index(EMAIL) + len(EMAIL))


def test_leak_versus_repeated_value():
    out = scan(frame([
        (f"My card is {CARD}, it was charged twice.", "We refunded the card 4111-1111-1111-1111."),
        ("My order is late.", f"Please contact Maria Garcia at {EMAIL}."),
    ]))
    f = out.findings
    pred = f[f["field"] == "prediction"]
    assert not pred[pred["sample_id"] == "s0"]["leak"].any()          # repeated card (digits compared)
    leaked = pred[(pred["sample_id"] == "s1") & pred["leak"]]
    assert {"EMAIL_ADDRESS", "PERSON"} <= set(leaked["entity_type"])  # invented PII is a leak
    assert list(out.sample_columns["pii_leak"]) == [False, True]
    assert list(out.flags["pii_leak"]) == [False, True]
    assert out.metrics["pii_leak_rate"].value == pytest.approx(0.5)
    metric, stats = out.metric_stats["pii_leak_rate"]
    assert stats.tolist() == [[0.0, 1.0], [1.0, 1.0]] and metric.name == "pii_leak_rate"
    assert out.results["pii"].leaks == len(leaked) and out.results["pii"].samples_with_leak == 1
    assert list(out.sample_columns["pii_count_input"]) == [1, 0]


def test_the_block_is_typed_and_its_rates_carry_their_interval_recipe():
    """The scanner hands the runner a ``PiiBlock`` (no dict read back by key), and each rate in it is the
    one ``Estimate``: value, interval, n and the interval's method, as the metric itself (the rates
    were plain {value, ci_low, ci_high, n} dicts, the method dropped)."""
    from audits.results import Estimate, PiiBlock

    out = scan(frame([(f"My card is {CARD}.", f"Write to {EMAIL}."), ("My order is late.", "Sorry about that.")]))
    block = out.results["pii"]
    assert isinstance(block, PiiBlock) and block.samples_with_leak == 1 and block.long_texts is None
    assert set(block.rates) == {"pii_leak_rate", "pii_rate_input", "pii_rate_prediction", "pii_rate_reference"}
    for name, rate in block.rates.items():
        metric = out.metrics[name]
        assert isinstance(rate, Estimate) and rate.method == metric.method and rate.method
        assert (rate.value, rate.ci_low, rate.ci_high, rate.n) == (metric.value, metric.ci_low, metric.ci_high, metric.n)
    assert block.rates["pii_leak_rate"].value == pytest.approx(0.5)


def test_appears_in_normalises_case_space_and_digits():
    assert appears_in("(212) 555-0188", "PHONE_NUMBER", "call 212.555.0188 please")
    assert appears_in("JOHN   smith", "PERSON", "I am John Smith.")
    assert appears_in("Sure John Smith", "PERSON", "I am John Smith.")
    assert not appears_in("Jane Doe", "PERSON", "I am John Smith.")


def test_raw_values_absent_unless_store_raw():
    rows = [(f"I am Maria Garcia, write to {EMAIL}.", f"Hello Maria Garcia, we wrote to {EMAIL}.")]
    out = scan(frame(rows))
    stored = out.findings.astype(str).to_string()
    assert len(out.findings) >= 4
    for raw in ("Maria", "Garcia", EMAIL, "example.com"):
        assert raw not in stored
    assert out.findings["value"].isna().all()
    assert set(out.findings["context"]) >= {"I am <PERSON>, write to <EMAIL_ADDRESS>."}
    assert out.findings["value_hash"].str.fullmatch(r"[0-9a-f]{64}").all()
    # the same value hashes the same in input and prediction
    hashes = out.findings.groupby("entity_type")["value_hash"].nunique()
    assert hashes["EMAIL_ADDRESS"] == 1
    raw = scan(frame(rows), store_raw=True)
    assert EMAIL in set(raw.findings["value"])


def test_salt_env_changes_hashes(monkeypatch):
    rows = [(f"Write to {EMAIL}.", "ok")]
    monkeypatch.setenv("MY_SALT", "one")
    a = scan(frame(rows), salt_env="MY_SALT").findings["value_hash"].iloc[0]
    monkeypatch.setenv("MY_SALT", "two")
    b = scan(frame(rows), salt_env="MY_SALT").findings["value_hash"].iloc[0]
    assert a != b


def test_custom_regex_and_deny_list():
    options = {"custom_recognizers": [{"name": "employee_id", "entity": "EMPLOYEE_ID", "regex": r"EMP-\d{6}", "score": 0.9}],
               "deny_list": {"PROJECT": ["Bluebird"]}}
    out = scan(frame([("Ticket from EMP-123456 about project Bluebird.", "Noted, EMP-654321 will handle it.")]), **options)
    f = out.findings
    assert set(zip(f["field"], f["entity_type"])) >= {("input", "EMPLOYEE_ID"), ("input", "PROJECT"),
                                                     ("prediction", "EMPLOYEE_ID")}
    emp = f[(f["field"] == "prediction") & (f["entity_type"] == "EMPLOYEE_ID")].iloc[0]
    assert (emp["start"], emp["end"], emp["recognizer"], bool(emp["leak"])) == (7, 17, "employee_id", True)
    assert "EMPLOYEE_ID" in out.results["pii"].entities


@pytest.mark.parametrize("options, key", [
    ({"entities": ["PERSON", "FAVOURITE_COLOUR"]}, "scanners.pii.entities"),
    ({"custom_recognizers": [{"name": "x", "entity": "X_ID", "regex": "EMP-(\\d{6"}]}, "scanners.pii.custom_recognizers[0].regex"),
    ({"fields": ["answer"]}, "scanners.pii.fields"),
    ({"score_threshold": 2}, "scanners.pii.score_threshold"),
    ({"score_threshold": "high"}, "scanners.pii.score_threshold"),
    ({"thresholds": {"PHONE_NUMBER": 1.5}}, "scanners.pii.thresholds.PHONE_NUMBER"),
    ({"thresholds": {"SHOE_SIZE": 0.5}}, "scanners.pii.thresholds.SHOE_SIZE"),
    ({"salt_env": "ASSAY_TEST_UNSET_SALT"}, "scanners.pii.salt_env"),
    ({"colour": 1}, "scanners.pii.colour"),
])
def test_invalid_options_name_the_key(options, key):
    config = parse_config({"name": "a", "period": "2026-Q4", "scanners": {"pii": options},
                           "tasks": [{"name": "t", "type": "generate", "dataset": {"path": "x.jsonl"}}]})
    with pytest.raises(AssayError) as err:
        SCANNERS.get("pii")().validate(config.scanners["pii"], config, {})
    assert key in err.value.problem and err.value.fix
    if "entities" in key:
        assert "EMAIL_ADDRESS" in err.value.fix  # lists the supported types


def test_batch_equals_one_at_a_time():
    from audits.scanners._pii_eval import labelled
    items = labelled("tune")[:40]
    texts = [t.text for t in items] + ["", "   ", items[0].text]
    settings, _ = parse_options({"batch_size": 7})
    batched = engine.analyze_texts(texts, settings)
    single = [engine.analyze_one(t, settings) if t.strip() else [] for t in texts]
    key = lambda rs: [(r.entity_type, r.start, r.end, round(r.score, 6)) for r in rs]  # noqa: E731
    assert [key(r) for r in batched] == [key(r) for r in single]
    assert sum(len(r) for r in batched) > 30


def test_detector_block_is_measured_on_the_independent_heldout_set(_module_cache):
    out = scan(frame([("hello", "hi")]))
    block = out.results["pii"]
    det = block.detector
    assert det["set"].startswith("pii-eval-v1:heldout:") and "presidio-evaluator" in det["set_sources"]
    assert det["n_texts"] > 500 and det["n_labelled"] > 800
    assert 0.8 <= det["precision"] <= 1.0 and 0.7 <= det["recall"] <= 1.0
    email = det["by_entity"]["EMAIL_ADDRESS"]
    low, high = email["recall_ci"]
    assert low <= email["recall"] <= high and email["n_gold"] >= 20
    assert det["recall_by_entity"]["PHONE_NUMBER"] == det["by_entity"]["PHONE_NUMBER"]["recall"]
    # an entity is flagged exactly when its measured recall is below the profile's target
    for entity, stats in det["by_entity"].items():
        assert stats["below_target"] == (stats["recall"] < stats["recall_target"]), entity
    assert block.detector_below_target == det["below_target"]
    assert block.findings == 0 and block.thresholds["PHONE_NUMBER"] == 0.4
    assert len(list((_module_cache / "pii_detector").glob("*.json"))) >= 1


def test_import_forces_offline_suffix_list():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"}
    code = ("import audits.scanners._presidio, tldextract.tldextract as t; "
            "print(repr(t.TLD_EXTRACTOR.suffix_list_urls))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "()"


def _long_text(cuts: list[int], filler: str = "The meeting went well and the weather was fine. ") -> tuple[str, list[str]]:
    """Filler with a distinct e-mail starting at each of ``cuts``; (text, e-mails)."""
    text, emails = "", []
    for k, at in enumerate(cuts):
        text += (filler * (at // len(filler) + 1))[: at - len(text) - 1] + " "
        emails.append(f"person{k}.name@example.com")
        text += emails[-1] + " "
    return text + filler * 3, emails


def test_long_texts_are_analysed_in_windows_with_offsets_back(monkeypatch):
    """Each e-mail is found once, at its offset in the whole text, wherever it falls: inside a window,
    across a window's end, inside an overlap on either side of its cut line."""
    monkeypatch.setattr(engine, "WINDOW_CHARS", 2_000)
    monkeypatch.setattr(engine, "OVERLAP_CHARS", 200)
    text, emails = _long_text([500, 1880, 1990, 3700, 5390])
    assert len(engine.windows(text)) > 2
    found = [(r.start, text[r.start:r.end]) for r in engine.analyze_texts([text], engine.PiiSettings())[0]
             if r.entity_type == "EMAIL_ADDRESS"]
    assert found == [(text.index(e), e) for e in emails]
    assert engine.analyze_one(text, engine.PiiSettings()) == engine.analyze_texts([text], engine.PiiSettings())[0]
    out = scan(frame([(text, "ok")]))
    assert out.results["pii"].long_texts["n"] == 1
    assert sorted(out.findings.loc[out.findings["entity_type"] == "EMAIL_ADDRESS", "start"]) == [text.index(e) for e in emails]
    from audits.trust.redact import Redactor

    redacted = Redactor()([text])[0]
    assert not any(e in redacted for e in emails) and redacted.count("<EMAIL_ADDRESS>") == len(emails)


@pytest.mark.slow
def test_a_text_over_spacys_max_length_is_scanned_not_a_traceback():
    """1.2 million characters (spaCy's max_length is 1,000,000: E088 before windows)."""
    text, emails = _long_text([1_000, 600_000, 1_150_000])
    assert len(text) > 1_000_000
    out = scan(frame([(text, "ok")]), fields=["input"])
    found = out.findings[out.findings["entity_type"] == "EMAIL_ADDRESS"]
    assert sorted(found["start"]) == [text.index(e) for e in emails]
    assert out.results["pii"].long_texts == {**out.results["pii"].long_texts, "n": 1}
