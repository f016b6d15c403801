"""The ``nli`` groundedness scorer on a tiny real BERT cross-encoder built here (untrained: the classifier
bias decides which label wins, so the plumbing is checked with real probabilities), its signature
(the directory's content hash), its bad inputs (one line, before inference) and one run end to end
through the predictions backend on a real DuckDB catalog."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import pytest

from audits.config import parse_config
from audits.errors import AssayError
from audits.grounding.scorers import SCORERS, build_scorer
from audits.runner import prepare, run_audit
from audits.scanners.groundedness import GroundednessOptions
from audits.store import bundle_reader
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q

POLICY = ("Refunds are available within 30 days of purchase. Items bought in France cannot be returned. "
          "Shipping is free on orders over 50 euros. Our support office is in Dublin.")
WORDS = ("[PAD] [UNK] [CLS] [SEP] [MASK] . , ' refunds are available within 30 days of purchase items bought in "
         "france cannot be returned shipping is free on orders over 50 euros our support office dublin the "
         "processed by amazon germany 90 i don t know").split()
LABELS = {0: "ENTAILMENT", 1: "Neutral", 2: "contradiction"}


def make_nli(folder: Path, bias: list[float] | None = None, id2label: dict[int, str] | None = None,
             seed: int = 0) -> Path:
    """A 1-layer BERT sequence classifier saved with save_pretrained; with ``bias`` the classifier's
    weights are zero, so every pair gets softmax(bias)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(WORDS) + "\n", encoding="utf-8")
    labels = id2label or LABELS
    config = BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, id2label=labels, initializer_range=0.5,
                        label2id={v: k for k, v in labels.items()})
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    if bias is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(folder)
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


def softmax(bias: list[float]) -> list[float]:
    e = [math.exp(b) for b in bias]
    return [x / sum(e) for x in e]


def scorer(path: Path, **nli):
    return build_scorer(GroundednessOptions.model_validate({"scorer": "nli", "nli": {"path": str(path), **nli}}))


ENTAIL, NEUTRAL, CONTRA = [4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]
ROWS = [("Refunds are available within 30 days of purchase. Our support office is in Dublin.", POLICY, "q"),
        ("I don't know.", POLICY, "q"), ("", POLICY, "q"), ("Refunds are available.", "", "q")]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("nli")
    return {name: make_nli(root / name, bias) for name, bias in
            (("entail", ENTAIL), ("neutral", NEUTRAL), ("contra", CONTRA), ("random", None))}


def test_registry_holds_the_three_scorers():
    build_scorer(GroundednessOptions())  # registers them
    assert SCORERS.names() == ["builtin", "judge", "nli"]


def test_builtin_scorer_is_the_shipped_detector():
    from audits.grounding.classifier import load_detector

    rows = [*ROWS, ("Refunds are processed by Amazon Germany within 90 days.", POLICY, "q")]
    s = build_scorer(GroundednessOptions())
    got, want = s.score(rows), load_detector().score(*map(list, zip(*rows)))
    assert [(v.verdict, v.reason, v.score) for v in got] == [(v.verdict, v.reason, v.score) for v in want]
    assert s.signature() == load_detector().signature() and s.quality()["measured"] is True


@pytest.mark.parametrize("name,verdict,answer", [("entail", "supported", "grounded"),
                                                  ("neutral", "unsupported", "hallucinated"),
                                                  ("contra", "contradicted", "hallucinated")])
def test_the_winning_label_decides_each_claim(models, name, verdict, answer):
    bias = {"entail": ENTAIL, "neutral": NEUTRAL, "contra": CONTRA}[name]
    out = scorer(models[name]).score(ROWS)
    assert [v.verdict for v in out] == [answer, "abstained", "not scorable", "not scorable"]
    assert [v.reason for v in out[1:]] == ["the answer declines", "empty answer", "empty context"]
    first = out[0]
    assert [c.verdict for c in first.claims] == [verdict, verdict]
    assert [c.claim.text for c in first.claims] == ["Refunds are available within 30 days of purchase.",
                                                    "Our support office is in Dublin."]
    p_unsupported = 1.0 - softmax(bias)[0]
    assert all(c.p_unsupported == pytest.approx(p_unsupported, abs=1e-5) for c in first.claims)
    assert first.score == pytest.approx(p_unsupported, abs=1e-5)
    assert first.hallucination == (0.0 if verdict == "supported" else 1.0)
    assert first.groundedness == (1.0 if verdict == "supported" else 0.0)
    # the nearest span is the context sentence sharing most words with the claim
    assert POLICY[first.claims[1].span_start:first.claims[1].span_end].strip() == "Our support office is in Dublin."


def test_threshold_on_entailment_and_contradiction_only_when_most_likely(tmp_path):
    folder = make_nli(tmp_path / "m", [math.log(0.6), math.log(0.3), math.log(0.1)])  # P = 0.6 / 0.3 / 0.1
    row = [("Shipping is free on orders over 50 euros.", POLICY, "")]
    assert scorer(folder, entailment_threshold=0.5).score(row)[0].claims[0].verdict == "supported"
    strict = scorer(folder, entailment_threshold=0.7).score(row)[0]
    assert strict.claims[0].verdict == "unsupported" and strict.claims[0].p_unsupported == pytest.approx(0.4, abs=1e-5)
    assert strict.verdict == "hallucinated"


def test_verdicts_do_not_depend_on_the_batch(models):
    """Random (untrained) weights: real, varied probabilities; batch 1 and batch 7 give the same."""
    rows = [(a, POLICY, "") for a in ("Refunds are available within 30 days of purchase.",
                                      "Refunds are processed by Amazon Germany within 90 days.",
                                      "Items bought in France cannot be returned. Shipping is free.",
                                      "Our support office is in Dublin.", "Shipping is free on orders over 50 euros.")]
    one = scorer(models["random"], batch_size=1).score(rows)
    many = scorer(models["random"], batch_size=7).score(rows)
    p1 = [c.p_unsupported for v in one for c in v.claims]
    p7 = [c.p_unsupported for v in many for c in v.claims]
    assert len(p1) == 6 and max(p1) - min(p1) > 0.01
    assert p1 == pytest.approx(p7, abs=1e-5)
    assert [c.verdict for v in one for c in v.claims] == [c.verdict for v in many for c in v.claims]


def test_a_context_longer_than_the_model_reads_is_windowed_to_its_best_sentences(models):
    long = " ".join([POLICY] * 12)  # ~400 tokens; the model reads 64
    s = scorer(models["random"], max_length=32)
    s.setup()
    assert s.max_length == 32
    premise = s._premise("Our support office is in Dublin.", 8, *_prepared(s, long))
    assert "Dublin" in premise and len(s.tokenizer(premise)["input_ids"]) <= 32
    out = scorer(models["random"]).score([("Our support office is in Dublin.", long, "")])  # 512 -> 64: windowed
    assert out[0].verdict in ("grounded", "hallucinated") and len(out[0].claims) == 1


def _prepared(s, context):
    from audits.grounding.scorers.base import ranked_spans
    from audits.grounding.signals import Source

    src = Source.build(context)
    sizes = s._count([context[a:b] for a, b in src.spans])
    return src, sizes, sum(sizes), ranked_spans("Our support office is in Dublin.", src)


def _dir_sha256(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    lines = sorted(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in files)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def test_signature_carries_the_directory_hash_and_a_weight_change_changes_it(models, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(models["entail"], folder)
    sig = scorer(folder, entailment_threshold=0.65).signature()
    assert sig == f"scorer:nli|model:copy|sha256:{_dir_sha256(folder)[:12]}|threshold:0.65|max_length:512"
    other = tmp_path / "changed"
    make_nli(other, [4.0, 0.0, 0.5])  # one classifier bias differs
    (other / "config.json").write_bytes((folder / "config.json").read_bytes())
    assert scorer(other).signature().split("|")[2] != sig.split("|")[2]


# ---------------------------------------------------------------- bad input, before inference
def _config(tmp_path, rows, groundedness):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": i, "segment": s, "policy": c, "question": "What is the refund policy?",
                                        "answer": "Within 30 days."}) + "\n" for i, s, c, _ in rows))
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"task": "support", "sample_id": i, "prediction": p}) + "\n"
                             for i, _, _, p in rows))
    task = {"name": "support", "type": "generate", "dataset": {"path": str(data)}, "prompt": "{question}",
            "fields": {"id": "id", "reference": "answer"}, "metrics": ["token_f1"], "sensitive": ["segment"],
            "context": "policy"}
    return parse_config({"name": "ground", "period": "2026-Q4", "seed": 5, "bootstrap": 200,
                         "model": {"backend": "predictions", "path": str(preds)}, "tasks": [task],
                         "scanners": {"groundedness": groundedness}})


ONE = [("g1", "new", POLICY, "Refunds are available within 30 days of purchase.")]


def _bad(tmp_path, groundedness) -> str:
    with pytest.raises(AssayError) as err:
        prepare(_config(tmp_path, ONE, groundedness))
    message = str(err.value)
    assert "\n" not in message
    return message


def test_bad_nli_settings_fail_in_one_line_before_inference(tmp_path, models):
    missing = tmp_path / "nowhere"
    assert _bad(tmp_path, {"scorer": "nli", "nli": {"path": str(missing)}}) == (
        f"scanners.groundedness.nli.path '{missing}' does not exist — point it at a local NLI model directory "
        "(saved with save_pretrained)")
    a_file = models["entail"] / "config.json"
    assert f"nli.path '{a_file}' is not a directory" in _bad(tmp_path, {"scorer": "nli", "nli": {"path": str(a_file)}})
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "has no config.json" in _bad(tmp_path, {"scorer": "nli", "nli": {"path": str(empty)}})
    plain = make_nli(tmp_path / "plain", ENTAIL, id2label={0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    assert "has no entailment label" in _bad(tmp_path, {"scorer": "nli", "nli": {"path": str(plain)}})
    binary = make_nli(tmp_path / "binary", [0.0, 1.0], id2label={0: "entailment", 1: "not_entailment"})
    assert scorer(binary).score([("Our support office is in Dublin.", POLICY, "")])[0].claims[0].verdict == "unsupported"
    (binary / "model.safetensors").write_text("not a tensor file")
    assert "model.safetensors' is not a readable safetensors file" in _bad(
        tmp_path, {"scorer": "nli", "nli": {"path": str(binary)}})
    (binary / "model.safetensors").unlink()
    assert "holds no weights" in _bad(tmp_path, {"scorer": "nli", "nli": {"path": str(binary)}})
    assert "'scanners.groundedness.nli.path'" in _bad(tmp_path, {"scorer": "nli", "nli": {}})
    assert "'scanners.groundedness.nli.entailment_threshold'" in _bad(
        tmp_path, {"scorer": "nli", "nli": {"path": str(models["entail"]), "entailment_threshold": 1.5}})
    assert _bad(tmp_path, {"scorer": "nli"}) == ("scanners.groundedness.scorer is 'nli' but scanners.groundedness.nli "
                                                 "is not set — add nli: {path: <local NLI model directory>}")
    assert _bad(tmp_path, {"nli": {"path": str(models["entail"])}}) == (
        "scanners.groundedness.nli is set but scanners.groundedness.scorer is 'builtin' — set scorer: nli to use it, "
        "or remove the nli block")
    assert _bad(tmp_path, {"scorer": "nil"}) == ("scanners.groundedness.scorer: unknown groundedness scorer 'nil' — "
                                                 "use one of: builtin, judge, nli")


def test_a_directory_without_its_tokenizer_or_classifier_is_refused(tmp_path, models):
    folder = tmp_path / "no-tokenizer"
    shutil.copytree(models["entail"], folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        (folder / name).unlink()  # transformers would build an empty-vocabulary tokenizer without a word
    assert "has no tokenizer files" in _bad(tmp_path, {"scorer": "nli", "nli": {"path": str(folder)}})
    broken = tmp_path / "broken-tokenizer"
    shutil.copytree(models["entail"], broken)
    (broken / "tokenizer.json").write_text("{not json")
    s = scorer(broken)
    s.check()  # config, labels, weights and tokenizer files are there
    with pytest.raises(AssayError) as err:
        s.score([("Our support office is in Dublin.", POLICY, "")])
    assert f"nli.path '{broken}' could not be loaded: " in str(err.value) and "\n" not in str(err.value)
    base = tmp_path / "base-encoder"  # an encoder without the classifier head: its verdicts would be noise
    from transformers import BertModel

    BertModel.from_pretrained(str(models["entail"])).save_pretrained(base)
    for name in ("config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(models["entail"] / name, base / name)
    with pytest.raises(AssayError, match=r"the weights lack 2 parameter\(s\) of the classifier \(classifier.bias"):
        scorer(base).score([("Our support office is in Dublin.", POLICY, "")])


# ---------------------------------------------------------------- end to end
E2E = [("g1", "new", POLICY, "Refunds are available within 30 days of purchase."),
       ("g2", "loyal", POLICY, "Shipping is free on orders over 50 euros. Our support office is in Dublin."),
       ("h1", "new", POLICY, "Refunds are processed by Amazon Germany within 90 days."),
       ("a1", "loyal", POLICY, "I don't know."),
       ("e1", "new", POLICY, ""),
       ("c0", "loyal", "", "Refunds are available within 30 days.")]


def test_run_audit_with_the_nli_scorer(tmp_path, models):
    cat = Catalog(tmp_path / "cat.duckdb")
    run_id = run_audit(_config(tmp_path, E2E, {"scorer": "nli", "nli": {"path": str(models["contra"])}}), cat,
                       actor="tester")
    task = runs_q.get_results(cat, run_id).task("support")
    hal, grd, abst = (task.metrics[m] for m in ("hallucination_rate", "groundedness", "abstention_rate"))
    digest = _dir_sha256(models["contra"])[:12]
    assert hal.n == 3 and hal.value == 1.0 and hal.ci_low < 1.0 and grd.value == 0.0 and abst.value == pytest.approx(1 / 4)
    assert f"|scorer:nli|model:contra|sha256:{digest}|threshold:0.5|max_length:512|context:policy" in hal.signature
    block = task.groundedness
    assert block.signature.startswith("scorer:nli|") and block.detector_version == f"nli:{digest}"
    assert block.detector["measured"] is False and "not measured" in block.detector["note"]
    assert block.n_scorable == 3 and block.n_abstained == 1 and block.not_scorable_reasons == {
        "empty answer": 1, "empty context": 1}
    findings = bundle_reader.read_table(cat, run_id, "findings")
    claims = findings[(findings["scanner"] == "groundedness") & findings["start"].notna()]
    assert len(claims) == 4 and set(claims["entity_type"]) == {"contradicted"}
    assert set(claims["recognizer"]) == {f"nli:{digest}"}
    assert claims["score"].tolist() == pytest.approx([1 - softmax(CONTRA)[0]] * 4, abs=1e-5)
    # the built-in detector's measured quality is not this scorer's: a control on it has no data, not a pass
    import policies

    items = {it.control_id: it for it in policies.evaluate_run(cat, run_id, ["internal-llm"]).items}
    assert items["INT-HAL-3"].status == "no-data" and items["INT-HAL-1"].status in ("fail", "inconclusive")
