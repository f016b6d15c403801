"""The reproducibility appendix says how the numbers were made: the manifest's ``execution`` section
(executor, workers, GPU type, wall time, rows/s per stage, scanner stages included), read back from
the rendered HTML and PDF."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

import reports
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q
from tests.results_factory import write_typed_bundle

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))

from catalog_builder import _tables, results_for  # noqa: E402

EXECUTION = {
    "kind": "ray", "workers": 2, "gpu_type": "NVIDIA H200", "wall_s": 812.4, "address": "ray://head:10001",
    "cluster": {"nodes": 3, "cpus": 96.0, "gpus": 2.0}, "ray": "2.60.0", "gpus_per_worker": 1.0,
    "stages": [
        {"name": "inference", "rows": 6000, "rows_resumed": 512, "blocks": 24, "blocks_resumed": 2,
         "wall_s": 600.25, "rows_per_s": 9.996, "workers": 2},
        {"name": "scan:pii", "rows": 11000, "rows_resumed": 0, "blocks": 44, "blocks_resumed": 0,
         "wall_s": 20.5, "rows_per_s": 536.585, "workers": 11},
        {"name": "scan:toxicity", "rows": 6100, "rows_resumed": 0, "blocks": 4, "blocks_resumed": 0,
         "wall_s": 3.0, "rows_per_s": 2033.333, "workers": 3},
        {"name": "evaluate", "rows": 6512, "rows_resumed": 0, "blocks": 0, "blocks_resumed": 0,
         "wall_s": 95.0, "rows_per_s": 68.547, "workers": None},
    ],
}


def _run(cat: Catalog, run_id: str, execution: dict | None) -> str:
    results = results_for(run_id, "2026-Q4", acc=0.88, ratio=0.9, leak=0.0)
    runs_q.register_run(cat, run_id, "unit-audit", "2026-Q4", "cfgsha", "test-model", actor="tester")
    manifest = {"audit": "unit-audit", "period": "2026-Q4", "config_sha256": "cfgsha",
                "model": {"name": "test-model", "sha256": "abc123"}, "seed": 1234}
    if execution is not None:
        manifest["execution"] = execution
    bundle, sha = write_typed_bundle(cat, run_id, _tables(results), results, {"name": "unit-audit"}, manifest)
    runs_q.complete_run(cat, run_id, bundle, sha, "tester", "cuda")
    return run_id


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    cat = Catalog(tmp_path_factory.mktemp("exec") / "c.duckdb")
    _run(cat, "run-ray", EXECUTION)
    _run(cat, "run-old", None)
    return cat


def _appendix_text(html: str) -> str:
    start = html.index("Appendix: reproducibility record")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start:]))


def test_html_appendix_shows_executor_and_stage_throughput(catalog):
    text = _appendix_text(reports.build_html(catalog, "run-ray", compare="none"))
    assert "How the numbers were made: executor ray; 2 inference worker(s); GPU NVIDIA H200" in text
    assert "3 node(s), 96 CPUs, 2 GPUs" in text and "wall time 812.4 s" in text
    assert "Execution: throughput per stage" in text
    # stage, rows, rows/s, workers, blocks, resumed, wall s (figures to 3 significant figures, counts with separators)
    assert "inference 6,000 10 2 24 2 blocks (512 rows) 600" in text
    assert "scan:pii 11,000 537 11 44 — 20.5" in text
    assert "scan:toxicity 6,100 2,033 3 4 — 3" in text
    assert "evaluate 6,512 68.5 — 0 — 95" in text


def test_pdf_appendix_shows_the_same(catalog):
    reader = PdfReader(io.BytesIO(reports.build_pdf(catalog, "run-ray", compare="none")))
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in reader.pages))
    appendix = text[text.index("Appendix: reproducibility record"):]
    assert "executor ray" in appendix and "GPU NVIDIA H200" in appendix and "wall time 812.4 s" in appendix
    for row in ("inference 6,000 10 2 24", "scan:pii 11,000 537 11 44", "scan:toxicity 6,100 2,033 3 4"):
        assert row in appendix


def test_execution_table_is_exported_and_an_old_run_says_not_recorded(catalog):
    stages = reports.tables(catalog, "run-ray", compare="none")["execution"]
    assert stages["stage"].tolist() == ["inference", "scan:pii", "scan:toxicity", "evaluate"]
    assert stages.set_index("stage").loc["scan:pii", "workers"] == 11
    old = reports.tables(catalog, "run-old", compare="none")["execution"]
    assert old.empty and list(old.columns)[:3] == ["stage", "rows", "rows_per_s"]
    assert "not recorded" in _appendix_text(reports.build_html(catalog, "run-old", compare="none"))
