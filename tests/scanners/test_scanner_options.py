"""A wrong key inside a nested options block (``scanners.groundedness.judge.temperature``) is one line
naming its key path and the nested block's own fields, not the scanner's top-level ones."""

from __future__ import annotations

import pytest

from audits.errors import AssayError
from audits.runner import prepare
from audits.scanners.base import parse_scanner_options
from audits.scanners.bias import BiasOptions
from audits.scanners.groundedness import GroundednessOptions
from tests.grounding.test_scorers import ONE, _config

JUDGE = "base_url, model, api_key_env, timeout_s, max_retries, concurrency, max_tokens, seed"
NLI = "path, entailment_threshold, batch_size, max_length, device"
TOP = "max_context_chars, embedding, scorer, nli, judge"


def _message(options, model=GroundednessOptions, name="groundedness") -> str:
    with pytest.raises(AssayError) as err:
        parse_scanner_options(name, model, options)
    assert "\n" not in str(err.value)
    return str(err.value)


def test_a_wrong_key_in_a_nested_block_lists_that_blocks_fields(tmp_path):
    with pytest.raises(AssayError) as err:  # through the job's own check, before inference
        prepare(_config(tmp_path, ONE, {"scorer": "judge", "judge": {"base_url": "http://localhost:1/v1",
                                                                     "model": "m", "temperature": 0}}))
    assert str(err.value) == f"config: unknown option 'scanners.groundedness.judge.temperature' — use only: {JUDGE}"
    assert _message({"nli": {"path": "x", "thresold": 0.5}}) == (
        f"config: unknown option 'scanners.groundedness.nli.thresold' — use only: {NLI}")
    assert _message({"judge": {"timeout_s": -1}}) == (
        "config: invalid value at 'scanners.groundedness.judge.timeout_s': Input should be greater than 0 (got -1) — "
        f"correct it; options of scanners.groundedness.judge: {JUDGE}")


def test_top_level_keys_still_list_the_scanners_own_fields():
    assert _message({"scorre": "nli"}) == f"config: unknown option 'scanners.groundedness.scorre' — use only: {TOP}"
    assert _message({"nli": 3}).endswith(f"correct it; options of scanners.groundedness: {TOP}")
    assert _message({"four_fifths": 2.0}, BiasOptions, "bias").endswith(
        "correct it; options of scanners.bias: min_group_size, metrics, four_fifths")
