"""The leak canary is an HMAC under the installation key of (seed, audit, period, task): new each period.
The words a committee reads (the OWASP pack, the built-in dataset list, the architecture page) must not
still call it per-run or say the same seed plants the same one."""

from __future__ import annotations

from pathlib import Path

import pytest

from audits.datasets.builtin import BUILTINS

ROOT = Path(__file__).resolve().parents[2]
STALE = ("per-run canary", "SHA-256(seed", "same seed plants the same")


@pytest.mark.parametrize("path", ["policies/packs/owasp-llm-top10.yaml", "audits/datasets/builtin.py",
                                  "docs/architecture.md"])
def test_no_stale_canary_words(path):
    text = " ".join((ROOT / path).read_text(encoding="utf-8").split())
    assert not [s for s in STALE if s in text]
    assert "canary" in text


def test_builtin_leak_set_says_keyed_and_new_each_period():
    about = BUILTINS["redteam-system-prompt-leak"].description
    assert "keyed canary (new each period)" in about
