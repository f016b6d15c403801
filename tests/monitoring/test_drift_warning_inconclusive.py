"""The Overview's drift warning (dashboard.views.trends.drift_warning) was silent whenever ``drift`` was
false, including when no test could reach p < alpha at the runs' sizes (``detectable: false``, which
`assay drift` prints as "drift: inconclusive"): silence read as "inputs did not drift". It now says in one
line that there are too few inputs to tell, and stays silent only when drift was testable and not found."""

from __future__ import annotations

from tests.monitoring.conftest import log_config, run_config, write_log


def _view(prev_id: str, run_id: str) -> None:
    from dashboard.views.trends import drift_warning

    drift_warning(run_id, prev_id)


def _runs(tmp_path, catalog, n: int, topics: tuple[str, str]) -> list[str]:
    return [run_config(catalog, log_config(tmp_path, write_log(tmp_path / f"{n}-{p}.jsonl", n, 1.0, topic=t, seed=i),
                                           period=p, name=f"log{n}", feedback=False))
            for i, (p, t) in enumerate((("2026-Q3", topics[0]), ("2026-Q4", topics[1])))]


def _shown(prev_id: str, run_id: str, monkeypatch, catalog):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ASSAY_CATALOG", str(catalog.path))
    at = AppTest.from_function(_view, args=(prev_id, run_id), default_timeout=60).run()
    assert not at.exception
    return at


def test_too_few_inputs_says_so_instead_of_silence(tmp_path, catalog, monkeypatch):
    prev_id, run_id = _runs(tmp_path, catalog, 4, ("billing", "cooking"))
    at = _shown(prev_id, run_id, monkeypatch, catalog)
    assert not at.warning
    assert [i.value for i in at.info] == [
        f"Too few inputs to tell whether inputs drifted from the previous run's (n=4 and 4): not evidence of no "
        f"drift. Details: `assay drift {prev_id} {run_id}`."]


def test_testable_and_not_drifted_stays_silent(tmp_path, catalog, monkeypatch):
    prev_id, run_id = _runs(tmp_path, catalog, 40, ("billing", "billing"))
    from audits.drift import input_drift

    body = input_drift(catalog, prev_id, run_id, embeddings=False)
    assert body["detectable"] is True and body["drift"] is False
    at = _shown(prev_id, run_id, monkeypatch, catalog)
    assert not at.info and not at.warning
