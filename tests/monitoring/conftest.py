"""Production-log audits for the monitoring tests: logs written in tmp_path, run on a real catalog
through the predictions backend (no model needed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

TOPICS = {
    "billing": ["How do I update the card on my {} account?", "Why was I charged twice for {} this month?",
                "Can I get a refund for the {} subscription?", "Where do I find the invoice for {}?"],
    "cooking": ["How long should I roast {} in the oven?", "What spice goes well with {}?",
                "Can I freeze cooked {} for later?", "How do I keep {} from sticking to the pan?"],
}
NOUNS = ["chicken", "pumpkin", "premium", "family plan", "salmon", "basic plan", "lentils", "business plan",
         "carrots", "student plan", "tofu", "pro plan"]


def write_log(path: Path, n: int, accuracy: float, *, seed: int = 0, topic: str = "billing",
              feedback: bool = True, segments: tuple[str, ...] = ("web", "app")) -> Path:
    """A flat JSONL log: id, input, output, answer (reference), segment, thumbs, comment, timestamp.
    A fraction ``accuracy`` of outputs equal the reference; feedback follows correctness."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        text = TOPICS[topic][i % 4].format(NOUNS[rng.integers(len(NOUNS))]) + f" (ticket {seed}-{i})"
        right = bool(rng.random() < accuracy)
        row = {"id": f"{seed}-{i}", "input": text, "answer": f"ans{i}", "output": f"ans{i}" if right else "no idea",
               "segment": segments[i % len(segments)], "timestamp": f"2026-10-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"}
        if feedback:
            row["thumbs"] = "up" if right else "down"
            row["comment"] = None if right else "that did not answer my question"
        rows.append(row)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def log_config(tmp: Path, log: Path, *, period: str, name: str = "support-log", feedback: bool = True,
               extra_task: dict | None = None, **top) -> Path:
    """An audit config that reads ``log`` as data and as outputs (the predictions backend)."""
    task = {"name": "support", "type": "generate", "dataset": {"path": str(log)},
            "fields": {"id": "id", "reference": "answer"}, "prompt": "{input}", "metrics": ["exact_match"],
            "sensitive": ["segment"]}
    if feedback:
        task["feedback"] = {"field": "thumbs", "positive": "up", "negative": ["down"], "text": "comment"}
    task.update(extra_task or {})
    config = {"name": name, "period": period, "bootstrap": 200, "model": {"backend": "predictions", "path": str(log)},
              "tasks": [task], "review": {"rate": 0.05}, **top}
    path = tmp / f"{name}-{period}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run_config(catalog, path: Path) -> str:
    from audits.config import load_config
    from audits.runner import run_audit

    return run_audit(load_config(path), catalog, actor="tester")


@pytest.fixture
def catalog(tmp_path, monkeypatch):
    from audits.store.catalog import Catalog

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    return Catalog(tmp_path / "c.duckdb")
