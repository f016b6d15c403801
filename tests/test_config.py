"""Config validation: every mistake fails before a model loads, in one line naming key and fix."""

from __future__ import annotations

import pytest

from audits.config import load_config
from audits.errors import AssayError
from tests.conftest import run_cli

GOOD = """\
name: t
period: 2026-Q4
model: {path: smollm2}
tasks:
  - name: qa
    type: generate
    dataset: {builtin: reference-qa}
    prompt: "{question}"
"""


def write(tmp_path, text: str, name: str = "audit.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_loads_with_defaults(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.model.temperature == 0.0  # greedy by default
    assert config.bootstrap == 1000
    assert config.tasks[0].dataset.builtin == "reference-qa"


@pytest.mark.parametrize("text, expected", [
    ("name: t\nperiod: [unclosed\n", "malformed YAML at line 3"),
    (GOOD + "colour: blue\n", "unknown key 'colour'"),
    (GOOD.replace("model: {path: smollm2}", "model: {path: smollm2, batchsize: 4}"), "unknown key 'model.batchsize'"),
    (GOOD.replace("period: 2026-Q4\n", ""), "missing required key 'period'"),
    (GOOD.replace("type: generate", "type: essay"), "invalid value at 'tasks.0.type'"),
    (GOOD.replace("model: {path: smollm2}", "model: {path: smollm2, batch_size: many}"),
     "invalid value at 'model.batch_size'"),
    ("- just\n- a list\n", "must be a YAML mapping"),
    (GOOD.replace("tasks:", "tasks: []\nx:").split("x:")[0], "the config has no tasks"),
])
def test_bad_configs_name_the_key(tmp_path, text, expected):
    with pytest.raises(AssayError) as err:
        load_config(write(tmp_path, text))
    message = str(err.value)
    assert expected in message
    assert "\n" not in message
    assert "audit.yaml" in message


def test_positive_must_be_a_choice(tmp_path):
    text = GOOD.replace("type: generate", "type: choice\n    choices: [yes, no]\n    positive: maybe")
    text = text.replace("{builtin: reference-qa}", "{path: x.jsonl}")
    with pytest.raises(AssayError, match="positive choice 'maybe' is not among the choices"):
        load_config(write(tmp_path, text))


def test_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(AssayError, match="is not UTF-8"):
        load_config(path)
    with pytest.raises(AssayError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_cli_prints_one_line_and_exits_2(tmp_path):
    bad = write(tmp_path, GOOD + "colour: blue\n")
    proc = run_cli("run", str(bad), catalog=tmp_path / "c.duckdb")
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown key 'colour'" in lines[0]
    assert not (tmp_path / "c.runs").exists()  # nothing stored half-way


def test_cli_limit_zero_is_refused(tmp_path):
    proc = run_cli("run", str(write(tmp_path, GOOD)), "--limit", "0", catalog=tmp_path / "c.duckdb")
    assert proc.returncode == 2
    assert "must be at least 1" in proc.stderr
