"""Bad input, round 3: every case is the real CLI entry point (``audits.cli.main``) on files in a temporary
folder; each gives one line on stderr naming the problem and the fix, exit 2 (or a counted verdict), never a
traceback. None loads a model: every error comes before inference (the predictions backend answers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audits.cli import main


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("[assay] ")]  # progress
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("assay: error: ") and " — " in lines[0], lines[0]  # problem — fix
    return lines[0]


# --- production logs: `assay logs import` ---------------------------------------------------------------
_OK = {"id": 1, "input": "a", "output": "b"}
LOGS: list[tuple[str, str, str | bytes, str]] = [
    # (file name, --format, content, what the one line must say)
    ("dupes.jsonl", "flat", _jsonl([_OK, {**_OK, "input": "c"}]), "1 duplicate id(s), e.g. ['1']"),
    ("mixed.jsonl", "flat", _jsonl([_OK]).encode() + '{"id": 2, "input": "caf\xe9", "output": "d"}\n'.encode("latin-1"),
     "1 of 2 lines are not UTF-8 (mixed encodings; first at line 2)"),
    ("badts.jsonl", "flat", _jsonl([{**_OK, "timestamp": "yesterday"}]), "1 timestamp(s) cannot be read, e.g. 'yesterday'"),
    ("seconds.jsonl", "flat", _jsonl([{**_OK, "timestamp": 1700000000}]), "1 timestamp(s) fall before 1971, e.g. 1700000000"),
    ("noid.jsonl", "flat", _jsonl([{"input": "a", "output": "b"}]), "has no 'sample_id' column"),
    ("bad.csv", "flat", 'id,input,output\n1,"unterminated,b\n', "cannot read it as CSV: Error tokenizing data"),
    ("blank.csv", "flat", "", "cannot read it as CSV: No columns to parse from file"),
    ("bad.parquet", "flat", b"PAR1 not parquet", "cannot read it as Parquet"),
    ("empty.jsonl", "flat", "", "has no interactions"),
    ("nooutputs.jsonl", "flat", _jsonl([{"id": 1, "input": "a"}, {"id": 2, "input": "c", "output": None}]),
     "every one of its 2 interactions was skipped (2 no output)"),
    ("list.jsonl", "langfuse", "[1, 2]\n", "line 1 is a JSON list, not an object"),
    ("noattrs.jsonl", "otel", _jsonl([{"spanId": "a"}, {"spanId": "b", "attributes": None}]),
     "every one of its 2 interactions was skipped (2 no input)"),
    ("badattrs.jsonl", "otel", _jsonl([{"spanId": "a", "attributes": ["x", 1]}]),
     "span a: attributes are neither a mapping nor OTLP key/value pairs"),
    ("badotlp.jsonl", "otel", _jsonl([{"resourceSpans": [1, {"scopeSpans": None}]}]),
     "line 1 has a resourceSpans entry that is not OTLP JSON"),
    ("hugestart.jsonl", "otel", _jsonl([{"spanId": "a", "startTimeUnixNano": "9" * 23,
                                         "attributes": {"gen_ai.prompt": "hi", "gen_ai.completion": "yo"}}]),
     "1 timestamp(s) cannot be read, e.g. '99999999999999999999999'"),
    ("noid-span.jsonl", "otel", _jsonl([{"attributes": {"gen_ai.prompt": "x", "gen_ai.completion": "y"}}]),
     "1 interactions have no id"),
    ("badmeta.jsonl", "langfuse", _jsonl([{"id": "a", "input": "x", "output": "y", "metadata": "str"}]),
     "trace a: 'metadata' is a str, not a dict"),
    ("badscores.jsonl", "langfuse", _jsonl([{"id": "a", "input": "x", "output": "y", "scores": "up"}]),
     "trace a: 'scores' is a str, not a list"),
]


@pytest.mark.parametrize("name,fmt,content,says", LOGS, ids=[c[0] for c in LOGS])
def test_a_bad_log_is_one_line(tmp_path, capsys, name, fmt, content, says):
    log = tmp_path / name
    log.write_bytes(content) if isinstance(content, bytes) else log.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = _cli(capsys, "logs", "import", str(log), "--format", fmt, "--out", str(out))
    assert code == 2 and says in _one_line(err)
    assert not out.exists()  # nothing written half-way


def test_counted_not_dropped_skips_order_and_mixed_timestamp_formats(tmp_path, capsys):
    log = tmp_path / "log.jsonl"
    log.write_text(_jsonl([{**_OK, "timestamp": "2026-10-02T00:00:00Z"},
                           {"id": 2, "input": "c", "output": "", "timestamp": "2026-10-03T00:00:00Z"},
                           {"id": 3, "input": "c", "output": "d", "timestamp": "2026-10-01 00:00:00"}]),
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, said, _ = _cli(capsys, "logs", "import", str(log), "--out", str(out))
    assert code == 0
    assert "3 rows read, 2 kept; 1 skipped (no output); 1 out of timestamp order (put in order)" in said
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["sample_id"] for r in rows] == ["3", "1"]  # a space-separated ISO time is read, not refused
    assert rows[0]["timestamp"] == "2026-10-01T00:00:00.000000Z"


def test_a_folder_as_log_or_out_is_one_line(tmp_path, capsys):
    folder = tmp_path / "logs.jsonl"
    folder.mkdir()
    code, _, err = _cli(capsys, "logs", "import", str(folder), "--out", str(tmp_path / "o.jsonl"))
    assert code == 2 and "is a folder, not a file" in _one_line(err)
    log = tmp_path / "log.jsonl"
    log.write_text(_jsonl([_OK]), encoding="utf-8")
    code, _, err = _cli(capsys, "logs", "import", str(log), "--out", str(folder))
    assert code == 2 and "--out" in _one_line(err) and "is a folder" in err


# --- audit configs and datasets: `assay run` stops before inference ----------------------------------------
def _config(task: str = "", top: str = "", dataset: str = "data.jsonl", model: str = "preds.jsonl",
            backend: str = "predictions", prompt: str = "{question}") -> str:
    return (f"name: bad\nperiod: 2026-Q1\nmodel: {{backend: {backend}, path: {model}}}\ntasks:\n"
            f"  - name: t\n    type: generate\n    dataset: {{path: {dataset}}}\n    prompt: \"{prompt}\"\n"
            f"    fields: {{reference: answer}}\n{task}{top}")


CONFIGS: list[tuple[str, str, str]] = [
    ("malformed-yaml", "name: [bad\nperiod: x\n", "malformed YAML at line 2, column 7"),
    ("unknown-key", _config(top="colour: red\n"), "unknown key 'colour'"),
    ("wrong-type", _config(task="    limit: lots\n"), "invalid value at 'tasks.0.limit'"),
    ("empty-file", "", "the config must be a YAML mapping, got NoneType"),
    ("no-tasks", "name: bad\nperiod: 2026-Q1\ntasks: []\n", "the config has no tasks"),
    ("missing-column", _config(prompt="{nope}"), "the prompt template names column 'nope'"),
    ("empty-test-set", _config(dataset="empty.jsonl"), "has no rows"),
    ("model-path-missing", _config(backend="hf", model="/nonexistent/model"),
     "model directory '/nonexistent/model' does not exist"),
    ("predictions-missing", _config(model="nope.jsonl"), "does not exist"),
    ("dataset-is-a-folder", _config(dataset="folder.jsonl"), "Is a directory"),
    ("dataset-not-utf8", _config(dataset="latin.jsonl"), "is not UTF-8 text"),
    ("dataset-bad-parquet", _config(dataset="bad.parquet"), "cannot read"),
    ("prompt-field-null", _config(dataset="nulls.jsonl"), "1 of 2 rows"),
    ("context-missing-column", _config(task="    context: nocol\n"), "context names column 'nocol'"),
    ("redteam-unknown-family", _config(top="redteam: {families: [nope]}\n"), "unknown red-team family 'nope'"),
    ("unknown-scanner", _config(top="scanners: {nosuch: {}}\n"), "unknown scanner 'nosuch'"),
    ("scanner-wrong-type", _config(top="scanners: {toxicity: {threshold: high}}\n"),
     "invalid value at 'scanners.toxicity.threshold'"),
    ("unknown-pack", _config(top="policy: [nosuchpack]\n"), "unknown policy pack 'nosuchpack'"),
    ("unknown-metric", _config(task="    metrics: [nosuch]\n"), "unknown metric 'nosuch'"),
]


@pytest.fixture()
def folder(tmp_path) -> Path:
    (tmp_path / "preds.jsonl").write_text(_jsonl([{"sample_id": str(i), "prediction": f"a{i}"} for i in range(3)]),
                                          encoding="utf-8")
    (tmp_path / "data.jsonl").write_text(_jsonl([{"question": f"q{i}", "answer": f"a{i}"} for i in range(3)]),
                                         encoding="utf-8")
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "folder.jsonl").mkdir()
    (tmp_path / "latin.jsonl").write_bytes('{"question": "caf\xe9", "answer": "a"}\n'.encode("latin-1"))
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not parquet")
    (tmp_path / "nulls.jsonl").write_text('{"question": null, "answer": "a"}\n{"question": "q", "answer": "a"}\n',
                                          encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name,text,says", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_a_bad_config_or_dataset_is_one_line_before_inference(folder, capsys, name, text, says):
    config = folder / f"{name}.yaml"
    config.write_text(text, encoding="utf-8")
    code, _, err = _cli(capsys, "--catalog", str(folder / "c.duckdb"), "run", str(config))
    assert code == 2 and says in _one_line(err)


def test_a_config_that_is_not_utf8_is_one_line(folder, capsys):
    config = folder / "latin.yaml"
    config.write_bytes(_config().replace("bad", "b\xe9d").encode("latin-1"))
    code, _, err = _cli(capsys, "--catalog", str(folder / "c.duckdb"), "run", str(config))
    assert code == 2 and "is not UTF-8 text" in _one_line(err)


# --- alerts: a webhook that refuses, or a URL the pack's pattern admits but no client can parse ---------------
def test_a_refused_or_malformed_webhook_is_a_logged_failed_delivery(folder, capsys, monkeypatch):
    from audits.store.catalog import Catalog
    from audits.store.queries.alerts import deliveries

    monkeypatch.setenv("ASSAY_KEY_DIR", str(folder / "keys"))
    config = folder / "ok.yaml"
    config.write_text(_config(task="    metrics: [exact_match]\n"), encoding="utf-8")
    catalog = folder / "c.duckdb"
    code, out, _ = _cli(capsys, "--catalog", str(catalog), "run", str(config))
    run_id = out.strip().splitlines()[-1]
    assert code == 0
    for name, url in (("refused", "http://127.0.0.1:9/hook"), ("malformed", "http://[bad/hook")):
        pack = folder / f"{name}.yaml"
        pack.write_text(json.dumps({"name": name, "title": "Alerts", "notify": {"webhook": url, "timeout_s": 2, "on": ["fail", "inconclusive"]}, "controls": [
            {"id": "EM", "title": "exact", "source": "internal", "owner": "compliance", "check": "exact_match >= 0.99"}]}),
            encoding="utf-8")
        code, _, err = _cli(capsys, "--catalog", str(catalog), "check", run_id, "--policy", str(pack))
        assert code in (1, 3) and "Traceback" not in err and "not delivered to webhook" in err, err
    logged = deliveries(Catalog(catalog), run_id)
    assert [(d["action"], d["target"]) for d in logged] == [("alert_failed", f"{run_id}/refused/EM"),
                                                             ("alert_failed", f"{run_id}/malformed/EM")]
    errors = [json.loads(d["details"])["error"] for d in logged]
    assert errors[0].startswith("not delivered: ") and "Connection refused" in errors[0]
    assert errors[1] == "not delivered: the URL is malformed (Invalid IPv6 URL)"


# --- groundedness: rows it cannot score get a verdict, and `assay results` says how many and why -----------------
def test_results_say_how_many_answers_were_not_scorable_and_why(folder, capsys, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(folder / "keys"))
    rows = [("empty-ctx", "", "Refunds are accepted within 30 days."),
            ("big-ctx", "Refunds are accepted within 30 days of purchase. " * 4200, "Refunds take 30 days."),
            ("no-answer", "Refunds are accepted within 30 days.", " "),
            ("idk", "Refunds are accepted within 30 days.", "I don't know."),
            ("ok", "Refunds are accepted within 30 days.", "Refunds are accepted within 30 days.")]
    (folder / "g.jsonl").write_text(_jsonl([{"id": i, "question": "refunds?", "ctx": c, "answer": "30 days"}
                                            for i, c, _ in rows]), encoding="utf-8")
    (folder / "gp.jsonl").write_text(_jsonl([{"sample_id": i, "prediction": p} for i, _, p in rows]), encoding="utf-8")
    config = folder / "g.yaml"
    config.write_text(_config(dataset="g.jsonl", model="gp.jsonl", task="    context: ctx\n").replace(
        "fields: {reference: answer}", "fields: {id: id, reference: answer}"), encoding="utf-8")
    code, out, _ = _cli(capsys, "--catalog", str(folder / "c.duckdb"), "run", str(config))
    assert code == 0
    code, said, _ = _cli(capsys, "--catalog", str(folder / "c.duckdb"), "results", out.strip().splitlines()[-1])
    assert code == 0
    assert ("groundedness: 3 of 5 answers not scorable (empty context 1, context over 50000 characters 1, "
            "empty answer 1); the rates above count only the scorable ones") in said
    assert "abstention_rate" in said and "hallucination_rate" in said


# --- drift of runs of two different audits: allowed, but said -----------------------------------------------------
def test_drift_between_two_audits_says_so(folder, capsys, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(folder / "keys"))
    ids = []
    for audit in ("bad", "other"):
        config = folder / f"{audit}.yaml"
        config.write_text(_config().replace("name: bad", f"name: {audit}"), encoding="utf-8")
        code, out, _ = _cli(capsys, "--catalog", str(folder / "c.duckdb"), "run", str(config))
        assert code == 0
        ids.append(out.strip().splitlines()[-1])
    code, out, err = _cli(capsys, "--catalog", str(folder / "c.duckdb"), "drift", *ids, "--permutations", "50", "--json")
    assert code == 0 and json.loads(out)["audits"] == ["bad", "other"]
    assert (f"note: {ids[0]} is a run of audit 'bad' and {ids[1]} of audit 'other'; this compares two audits' inputs, "
            "not one audit's population over time") in err
    code, _, err = _cli(capsys, "--catalog", str(folder / "c.duckdb"), "drift", ids[0], ids[0])
    assert code == 2 and f"drift compares two runs; both are '{ids[0]}'" in _one_line(err)
