"""Where a committee reads the sign-off (the Overview, the Policies page, the report), one line says
"the policy pack changed after this sign-off" once a pack the sign-off rested on is edited. Real
catalog and bundle, the real pages through Streamlit's AppTest, the real report builder."""

from __future__ import annotations

import shutil

import policies
from audits.store.catalog import Catalog
from audits.store.queries import runs as rq
from policies.schema import PACKS_DIR
from tests.dashboard._synth import make_run_tables
from tests.dashboard.conftest import page_app, use_catalog  # noqa: F401  (the fixture)
from tests.results_factory import write_typed_bundle

CHANGED = "the policy pack changed after this sign-off (ours.yaml)"


def _catalog(tmp_path):
    pack = tmp_path / "ours.yaml"
    shutil.copy(PACKS_DIR / "internal-llm.yaml", pack)
    cat = Catalog(tmp_path / "c.duckdb")
    run_id = "2026-Q4-00-packs"
    rq.register_run(cat, run_id, "pack-audit", "2026-Q4", "0" * 64, "m", actor="bench", device="cpu")
    tables, results = make_run_tables(20, seed=0, quality=0.7)
    results = {"run_id": run_id, "audit": "pack-audit", "period": "2026-Q4", **results, "policy": [str(pack)]}
    config = {"audit": "pack-audit", "period": "2026-Q4", "policy": [str(pack)]}
    bundle, sha = write_typed_bundle(cat, run_id, tables, results, config, {"config": config})
    rq.complete_run(cat, run_id, bundle, sha, actor="bench", device="cpu")
    return cat, run_id, pack


def _warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_the_overview_policies_page_and_report_say_the_pack_changed_after_the_signoff(tmp_path, use_catalog,  # noqa: F811
                                                                                        monkeypatch):
    from reports.data import collect
    from reports.document import _executive, summary_blocks

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    cat, run_id, pack = _catalog(tmp_path)
    use_catalog(cat.path)
    policies.signoff(cat, run_id, "cleo", "committee", "approve", "fine")  # no users yet: an unmanaged catalog
    assert not any(CHANGED in w for w in _warnings(page_app("overview").run()))
    assert collect(cat, run_id).signoff_warning is None

    pack.write_text(pack.read_text().replace("accuracy >= 0.85", "accuracy >= 0.10"))
    assert any(w.startswith(CHANGED) for w in _warnings(page_app("overview").run()))
    assert any(w.startswith(CHANGED) for w in _warnings(page_app("policies").run()))
    data = collect(cat, run_id)
    assert data.signoff_warning.startswith(CHANGED)
    for blocks in (summary_blocks(data), _executive(data).blocks):  # page one, and the executive summary
        assert f"Warning: {CHANGED}" in " ".join(b for b in blocks if isinstance(b, str))
