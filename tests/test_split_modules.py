"""The modules split by seam (issue 21) keep every public import path: each name the old module
exports resolves there and is the very object its new home defines, and the old module is the only
import path callers need. Also the one NaN->None rule after the split (review cells used a second copy)."""

from __future__ import annotations

import importlib
import json
import math

import numpy as np
import pandas as pd
import pytest

SPLITS = {  # old module -> the private siblings its code moved to
    "audits.results": ("audits._results_base", "audits._results_blocks", "audits._results_migration"),
    "audits.runner": ("audits._runner_prepare", "audits._runner_resume"),
    "audits.store.queries.reviews": ("audits.store.queries._review_queue", "audits.store.queries._review_flags"),
    "audits.backends.hf": ("audits.backends._hf_scoring",),
    "audits.scanners.pii": ("audits.scanners._pii_options", "audits.scanners._pii_values"),
    "audits.trust.redact": ("audits.trust._redact_patterns", "audits.trust._redactor", "audits.trust._pseudonyms"),
    "policies.engine": ("policies.checklist", "policies.checks", "policies.attestation"),
    "audits.trust.rawstore": ("audits.trust._raw_encryption", "audits.trust._id_pseudonyms", "audits.trust._older_bundles"),
}


@pytest.mark.parametrize("old", sorted(SPLITS))
def test_every_public_name_still_imports_from_the_old_path(old):
    module = importlib.import_module(old)
    siblings = [importlib.import_module(s) for s in SPLITS[old]]
    assert module.__all__, old
    for name in module.__all__:
        obj = getattr(module, name)  # AttributeError here: a caller's import broke
        homes = [s for s in siblings if name in vars(s)]
        if homes:  # moved: the old path gives the same object, not a copy
            assert all(vars(s)[name] is obj for s in homes), f"{old}.{name}"


def test_the_hf_backend_scores_through_its_mixin():
    from audits.backends._hf_scoring import LoglikelihoodScoring
    from audits.backends.base import BACKENDS
    from audits.backends.hf import HFBackend

    assert BACKENDS.get("hf") is HFBackend and issubclass(HFBackend, LoglikelihoodScoring)
    assert HFBackend.loglikelihood is LoglikelihoodScoring.loglikelihood
    assert not getattr(HFBackend, "__abstractmethods__", frozenset())


def test_review_cells_follow_the_one_nan_rule():
    """Review items and exports read bundle cells through ``reviews.plain``: the same rule as results.json
    (``jsonable``), so a non-finite float is None and the item writes as strict JSON (inf passed before)."""
    from audits.results import jsonable
    from audits.store.queries import reviews as rv

    cells = [float("inf"), -np.inf, np.float64("nan"), pd.NaT, pd.NA, None, np.int64(3), np.bool_(True),
             np.array(["a", "b"]), np.array([1.0, np.nan]), ("x", 1), {"k": np.float32(0.5)}, "text"]
    for cell in cells:
        assert rv.plain(cell) == jsonable(cell) or (rv.plain(cell) is None and jsonable(cell) is None), cell
    assert rv.plain(float("inf")) is None and rv.plain(np.array([1.0, np.nan])) == [1.0, None]
    item = {"input": "q", "choices": rv.plain(np.array(["yes", "no"])), "score": rv.plain(-math.inf)}
    assert json.loads(json.dumps(item, allow_nan=False)) == {"input": "q", "choices": ["yes", "no"], "score": None}
