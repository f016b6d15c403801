"""Drift needs significance AND a practical effect: two logs from the same templates that differ
only in their ticket-id prefixes (``ticket 2-…`` vs ``ticket 3-…``, 200 rows each) are significantly
different to a permutation MMD test but not drifted; a real topic change is."""

from __future__ import annotations

import pytest

from audits.errors import AssayError
from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from audits.store.catalog import Catalog

    tmp = tmp_path_factory.mktemp("floor")
    mp = pytest.MonkeyPatch()
    mp.setenv("ASSAY_KEY_DIR", str(tmp / "keys"))
    cat = Catalog(tmp / "c.duckdb")
    ids = []
    for seed, (topic, period) in zip((2, 3, 4), [("billing", "2026-Q2"), ("billing", "2026-Q3"), ("cooking", "2026-Q4")]):
        log = write_log(tmp / f"{period}.jsonl", 200, 0.8, seed=seed, topic=topic)
        ids.append(run_config(cat, log_config(tmp, log, period=period)))
    yield cat, ids
    mp.undo()


def test_ticket_ids_are_significant_but_not_drift_and_a_topic_change_is(runs):
    from audits.drift import input_drift

    cat, (q2, q3, q4) = runs
    same = input_drift(cat, q2, q3, n_permutations=1000)
    mmd = same["tests"][0]
    print("ids differ:", {k: mmd[k] for k in ("statistic", "p_value", "p_adjusted", "effect")})
    assert mmd["significant"] and mmd["p_adjusted"] < 0.05           # detectable ...
    assert mmd["effect"] < 0.01 and mmd["floor"] == 0.01              # ... but of no practical weight
    assert same["drift"] is False and not any(t["drift"] for t in same["tests"])
    assert input_drift(cat, q2, q3, n_permutations=1000, floors={"embeddings": 0.0})["drift"] is True
    moved = input_drift(cat, q3, q4, n_permutations=1000)
    top = moved["tests"][0]
    print("topic change:", {k: top[k] for k in ("statistic", "p_value", "p_adjusted", "effect")})
    assert moved["drift"] is True and top["drift"] and top["effect"] > 0.05
    assert moved["floors"] == {"embeddings": 0.01, "categories": 0.1, "lengths": 0.08}
    with pytest.raises(AssayError, match="drift floor 'colour=0.1' is not a known test kind"):
        input_drift(cat, q2, q3, floors={"colour": 0.1})


def test_cli_shows_the_effect_and_its_floor(runs):
    cat, (q2, q3, _) = runs
    text = run_cli("drift", q2, q3, "--permutations", "1000", catalog=cat.path, check=True).stdout
    assert text.startswith("drift: false")
    line = next(x for x in text.splitlines() if "inputs (embeddings)" in x)
    assert line.lstrip().startswith("small") and "eta² (kernel feature space)" in line and "(floor 0.01)" in line
    proc = run_cli("drift", q2, q3, "--floor", "embeddings=lots", catalog=cat.path)
    assert proc.returncode == 2 and "assay: error: --floor 'embeddings=lots' is not KIND=NUMBER" in proc.stderr
