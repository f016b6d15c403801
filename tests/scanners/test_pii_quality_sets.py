"""The detector's own quality is measured on both labelled sets (issue 20, item 5): the held-out half
at the top level (unchanged figures: INT-PII-2 and below_target read it) and the second independent
set under ``second_set``, each named by its source, with exact intervals from audits.stats."""

from __future__ import annotations

import pytest

from audits.scanners._pii_eval import labelled, second_set
from audits.scanners._pii_quality import SECOND_SOURCE, detector_quality
from audits.scanners.pii import parse_options
from audits.stats import clopper_pearson


@pytest.fixture(scope="module")
def quality(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSAY_CACHE_DIR", str(tmp_path_factory.mktemp("pii-sets-cache")))
        settings, _ = parse_options({})
        first = detector_quality(settings)
        again = detector_quality(settings)   # from the cache: the same figures, both sets
    assert again == first
    return first


def test_both_sets_are_measured_and_named(quality):
    assert quality["set"].startswith("pii-eval-v1:heldout:") and quality["n_texts"] == len(labelled("heldout"))
    assert "held-out split" in quality["set_sources"]
    second = quality["second_set"]
    assert second["set"].startswith("pii-eval-faker:all:") and second["n_texts"] == len(second_set()) == 1000
    assert second["set_sources"] == SECOND_SOURCE and "never tuned on" in second["set_sources"]
    assert second["n_labelled"] > 1500 and 0.85 <= second["recall"] <= 1 and 0.85 <= second["precision"] <= 1


def test_intervals_are_exact_and_the_held_out_figures_unchanged(quality):
    # the held-out figures the benchmarks README published for the default profile (bench_pii.py)
    assert round(quality["recall"], 3) == 0.889 and round(quality["precision"], 3) == 0.936
    for block in (quality, quality["second_set"]):
        phone = block["by_entity"]["PHONE_NUMBER"]
        low, high = clopper_pearson(phone["tp"], phone["n_gold"], 0.95)
        assert phone["recall_ci"] == [round(float(low), 4), round(float(high), 4)]
        assert block["recall_ci"][0] <= block["recall"] <= block["recall_ci"][1]
    phone = quality["second_set"]["by_entity"]["PHONE_NUMBER"]
    assert phone["recall"] >= 0.90 and phone["precision"] >= 0.85
