"""benchmarks/run_reference.py: a missing reference venv is skipped with the command that builds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "run_reference.py"


def test_missing_venvs_are_skipped_with_the_build_command(tmp_path: Path) -> None:
    out = tmp_path / "ref.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--only", "harness,garak", "--harness-venv",
                           str(tmp_path / "no-lmeval"), "--garak-venv", str(tmp_path / "no-garak"), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    harness, garak = report["comparisons"]["harness"], report["comparisons"]["garak"]
    assert harness["skipped"].startswith(f"harness: skipped, no venv at {tmp_path / 'no-lmeval'}; build it with: ")
    assert f"python3 -m venv {tmp_path / 'no-lmeval'} && " in harness["build"] and "lm-eval==0.4.13" in harness["build"]
    assert "garak==0.17.1" in garak["build"]
    assert harness["skipped"] in proc.stdout and garak["skipped"] in proc.stdout
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert report["git"]["head"] == head
    assert len(report["started"]["loadavg"]) == 3 and "load average" in report["started"]["uptime"]
    assert report["versions"]["harness_env"] is None and report["versions"]["assay_env"]["fairlearn"]


def test_an_unknown_comparison_is_refused_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--only", "harness,helm", "--out", str(tmp_path / "x.json")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "unknown comparison helm: choose from fairness, pii, harness, garak"
    assert not (tmp_path / "x.json").exists()
