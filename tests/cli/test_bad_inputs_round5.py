"""Bad input, round 5: the newest commands and options (trend, drift, a config's redteam: and grounding
context:, logs import) through the real CLI entry point, on a catalog holding two complete runs of audit r5.
Each input is one line naming the problem and the fix (exit 2), no traceback; afterwards the complete runs are
the same, `assay verify` passes, and a refused import leaves the log as it was and writes no --out. Four were
defects before this round: --permutations 1000000000 ran for hours, `context: ''` ran with no groundedness,
and logs import ignored --stratify/--seed without --sample and called an empty --out "'.' is a folder".
None loads a model: the predictions backend answers. (Round 4: tests/cli/test_bad_inputs_round4.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.one_line import (ROWS, catalog_with_runs, cli, config_text, jsonl, one_line,
                                write_rows_and_predictions)

LOG = [{"id": str(i), "input": f"q{i} about billing", "output": f"a{i}", "segment": "web" if i % 2 else "app"}
       for i in range(12)]


def _config(period: str = "2026-Q4", task_extra: str = "", extra: str = "") -> str:
    return config_text(period, "    sensitive: [segment]\n" + task_extra, extra, name="r5")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Data, predictions, a flat log and a catalog with two complete runs of r5 (2026-Q3, 2026-Q4)."""
    root = tmp_path_factory.mktemp("round5")
    write_rows_and_predictions(root)
    (root / "log.jsonl").write_text(jsonl(LOG), encoding="utf-8")
    catalog_with_runs(root, {p: _config(p) for p in ("2026-Q3", "2026-Q4")})
    return root


@pytest.fixture()
def cat(folder, monkeypatch):
    """The catalog's path; afterwards the complete runs are the same and `assay verify` passes."""
    monkeypatch.setenv("ASSAY_KEY_DIR", str(folder / "keys"))
    monkeypatch.chdir(folder)
    catalog = str(folder / "c.duckdb")

    def complete() -> list[dict]:
        code, out, _ = cli("--catalog", catalog, "runs", "--json")
        assert code == 0
        return [r for r in json.loads(out) if r["status"] == "complete"]

    before = complete()
    yield catalog
    assert complete() == before
    code, out, err = cli("--catalog", catalog, "verify")
    assert code == 0 and "intact" in out, err


def _runs(folder: Path) -> list[str]:
    return (folder / "ids").read_text().split()


# --- trend -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args,line", [
    (["nosuch"], "no complete run of audit 'nosuch' in {cat} — name one of: r5"),
    (["r5", "--metric", "nosuch"], "audit 'r5' has no metric 'nosuch' — name one of: exact_match"),
    (["r5", "--task", "nosuch"], "audit 'r5' has no task 'nosuch' — name one of: t"),
])
def test_trend(cat, args, line):
    code, _, err = cli("--catalog", cat, "trend", *args)
    assert code == 2 and one_line(err) == line.format(cat=cat)


# --- drift (each refused before the embedding model loads) -----------------------------------------------------
FLOOR_FIX = "use embeddings=VALUE, categories=VALUE, lengths=VALUE with VALUE between 0 and 1"


@pytest.mark.parametrize("args,line", [
    (["{a}", "{a}"], "drift compares two runs; both are '{a}' — name the earlier run and the later one"),
    (["{a}", "nosuch"], "run 'nosuch' does not exist in {cat} — list runs with `assay runs`"),
    (["{a}", "{b}", "--permutations", "0"],
     "drift: argument --permutations: must be at least 1, got 0 — see `assay drift --help`"),
    (["{a}", "{b}", "--permutations", "1000000000"],  # ran for hours with no output
     "drift: argument --permutations: at most 100000 (a p-value to 1e-5), got 1000000000 — see `assay drift --help`"),
    (["{a}", "{b}", "--permutations", "abc"],
     "drift: argument --permutations: expected a whole number, got 'abc' — see `assay drift --help`"),
    (["{a}", "{b}", "--seed", "-1"], "drift: argument --seed: a seed is 0 or more, got -1 — see `assay drift --help`"),
    (["{a}", "{b}", "--floor", "embeddings=abc"],
     "--floor 'embeddings=abc' is not KIND=NUMBER — e.g. --floor embeddings=0.02"),
    (["{a}", "{b}", "--floor", "foo=0.1"],
     f"drift floor 'foo=0.1' is not a known test kind with a value in [0, 1] — {FLOOR_FIX}"),
    (["{a}", "{b}", "--floor", "lengths=2"],
     f"drift floor 'lengths=2.0' is not a known test kind with a value in [0, 1] — {FLOOR_FIX}"),
    (["{a}", "{b}", "--floor", "embeddings=nan"],
     f"drift floor 'embeddings=nan' is not a known test kind with a value in [0, 1] — {FLOOR_FIX}"),
    (["{a}", "{b}", "--column", "nosuch"], "column 'nosuch' is not in the samples of both runs — name a column both "
                                           "runs have (a sensitive attribute or a logged field)"),
    (["{a}", "{b}", "--task", "nosuch"], "run '{a}' has no task 'nosuch' — name one of: t"),
])
def test_drift(folder, cat, args, line):
    a, b = _runs(folder)
    code, _, err = cli("--catalog", cat, "drift", *(x.format(a=a, b=b) for x in args))
    assert code == 2 and one_line(err) == line.format(a=a, cat=cat)


# --- a config's redteam: and grounding context: ----------------------------------------------------------------
CORRECT = "correct the value (see the config example in README.md)"


@pytest.mark.parametrize("name,task_extra,extra,line", [
    ("rt-family", "", "redteam: {families: [nosuch]}\n",
     "{cfg}: invalid value at 'redteam.families': Value error, unknown red-team family 'nosuch' (families: "
     f"prompt-injection, indirect-injection, system-prompt-leak, pii-extraction, jailbreak) — {CORRECT}"),
    ("rt-none", "", "redteam: {families: []}\n", "{cfg}: invalid value at 'redteam.families': List should have at "
     f"least 1 item after validation, not 0 — {CORRECT}"),
    ("rt-limit", "", "redteam: {families: [prompt-injection], limit: 0}\n",
     f"{{cfg}}: invalid value at 'redteam.limit': Input should be greater than or equal to 1 — {CORRECT}"),
    ("rt-half", "", "redteam: {families: [prompt-injection], limit: 1.5}\n", "{cfg}: invalid value at "
     f"'redteam.limit': Input should be a valid integer, got a number with a fractional part — {CORRECT}"),
    ("rt-key", "", "redteam: {families: [prompt-injection], depth: 3}\n",
     "{cfg}: unknown key 'redteam.depth' — remove it or check its spelling against the config reference in README.md"),
    ("rt-bool", "", "redteam: true\n", "{cfg}: invalid value at 'redteam': Input should be a valid dictionary or "
     f"instance of RedteamConfig — {CORRECT}"),
    ("ctx-missing", "    context: nosuch\n", "", "task 't': context names column 'nosuch', which {folder}/data.jsonl "
     "does not have (columns: id, question, answer, segment, policy) — fix the column name in the config"),
    ("ctx-empty", "    context: ''\n", "",  # ran, with no groundedness, as if context were not set
     f"{{cfg}}: invalid value at 'tasks.0.context': String should have at least 1 character — {CORRECT}"),
    ("ctx-list", "    context: [policy, question]\n", "",
     f"{{cfg}}: invalid value at 'tasks.0.context': Input should be a valid string — {CORRECT}"),
    ("ctx-chars", "    context: policy\n", "scanners:\n  groundedness: {max_context_chars: 0}\n",
     "config: invalid value at 'scanners.groundedness.max_context_chars': Input should be greater than or equal to "
     "100 (got 0) — correct it; options of scanners.groundedness: max_context_chars, embedding, scorer, nli, judge"),
    ("ctx-scorer", "    context: policy\n", "scanners:\n  groundedness: {scorer: magic}\n",
     "scanners.groundedness.scorer: unknown groundedness scorer 'magic' — use one of: builtin, judge, nli"),
    ("ctx-nli", "    context: policy\n", "scanners:\n  groundedness: {scorer: nli}\n",
     "scanners.groundedness.scorer is 'nli' but scanners.groundedness.nli is not set — add nli: {{path: <local NLI "
     "model directory>}}"),
])
def test_config(folder, cat, name, task_extra, extra, line):
    config = folder / f"{name}.yaml"
    config.write_text(_config(task_extra=task_extra, extra=extra), encoding="utf-8")
    code, _, err = cli("--catalog", cat, "run", str(config))
    assert code == 2 and one_line(err) == line.format(cfg=config, folder=folder)


# --- logs import -----------------------------------------------------------------------------------------------
SAMPLE_FIX = "add --sample N (or --sample plan --config AUDIT.yaml), or drop"


@pytest.mark.parametrize("args,line", [
    (["--stratify", "segment"],  # imported the whole log, the flag ignored
     f"--stratify only shape(s) a sample, and no --sample was given, so the whole log would be imported — {SAMPLE_FIX} "
     "--stratify"),
    (["--seed", "3", "--policy", "internal-llm"],
     f"--seed, --policy only shape(s) a sample, and no --sample was given, so the whole log would be imported — "
     f"{SAMPLE_FIX} --seed, --policy"),
    (["--out", ""], "--out is empty — name the flat table to write, e.g. --out q4.parquet"),  # said "'.' is a folder"
    (["--sample", "0"], "logs import: argument --sample: must be at least 1, got 0 (or 'plan') — see `assay logs "
     "import --help`"),
    (["--sample", "plan"], "--sample plan needs the audit config whose controls the sample must decide — add --config "
     "AUDIT.yaml (and --task T when it has several tasks), or give --sample N"),
    (["--format", "xml"], "logs import: argument --format: invalid choice: 'xml' (choose from 'flat', 'otel', "
     "'langfuse') — see `assay logs import --help`"),
    (["--out", "flat.txt"], "cannot tell the format of 'flat.txt' — end --out with .jsonl, .csv or .parquet"),
    (["--sample", "5", "--stratify", "nosuch"], "log log.jsonl: sample stratify column 'nosuch' is not in the data "
     "(columns: sample_id, input, prediction, context, timestamp, segment) — set stratify to one of those columns"),
    (["--sample", "plan", "--config", "2026-Q4.yaml", "--task", "nosuch"],
     "--task 'nosuch' is not a task of 2026-Q4.yaml — pass --task with one of: t"),
])
def test_logs_import(folder, cat, args, line):
    before = (folder / "log.jsonl").read_bytes()
    argv = ["--out", "flat.parquet", *args] if "--out" not in args else args
    code, _, err = cli("--catalog", cat, "logs", "import", "log.jsonl", *argv)
    assert code == 2 and one_line(err) == line
    assert (folder / "log.jsonl").read_bytes() == before
    assert not list(folder.glob("flat.*"))


def test_a_folder_as_the_log_isone_line(folder, cat):
    code, _, err = cli("--catalog", cat, "logs", "import", str(folder), "--out", "flat.parquet")
    assert code == 2 and one_line(err) == (f"log '{folder}' is a folder, not a file — point at the log file itself "
                                            "(JSONL, CSV or Parquet)")
