"""The compliance officer's "Evidence pack (zip)" button in a real browser (headless Chromium): it
gives a zip, the download is in the audit log under the signed-in user, and afterwards a fresh
visitor signs in without a traceback (the deferred build once called the session outside one, and
from then on every new visitor got "Forms cannot be nested in other forms")."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import pytest

from tests.dashboard._server import chromium, dashboard_server, have_chromium, settle, sign_in

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_chromium(), reason="chromium/chromedriver not installed")]
RUN = "2026-Q4-01-synthetic"
CARL = ("carl-compliance", "compliance-pass-1")
CLEO = ("cleo-committee", "committee-pass-1")


@pytest.fixture(scope="module")
def pack_catalog(tmp_path_factory) -> Path:
    from audits.store.queries import users as uq
    from tests.dashboard._synth import build_catalog

    path = tmp_path_factory.mktemp("pack") / "pack.duckdb"
    cat = build_catalog(path, n_per_task=30)
    uq.add_user(cat, "demo-admin", "admin", "admin-pass-01")
    uq.add_user(cat, *CARL[:1], "compliance", CARL[1])
    uq.add_user(cat, *CLEO[:1], "committee", CLEO[1])
    return path


def _downloads_to(driver, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})


def test_the_pack_button_gives_a_zip_is_logged_and_a_fresh_visitor_signs_in(pack_catalog, tmp_path):
    from selenium.webdriver.common.by import By

    from audits.store.catalog import Catalog
    from audits.store.queries import audit_log

    with dashboard_server(pack_catalog) as base:
        d = chromium(tmp_path / "p1")
        try:
            _downloads_to(d, tmp_path / "dl")
            sign_in(d, base, f"reports?run={RUN}", *CARL)
            settle(d)
            button = next(b for b in d.find_elements(By.CSS_SELECTOR, "button") if "Evidence pack (zip)" in b.text)
            button.click()
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                done = [p for p in (tmp_path / "dl").glob("*.zip")]
                if done and not list((tmp_path / "dl").glob("*.crdownload")):
                    break
                time.sleep(0.5)
            assert done, "no file came from the Evidence pack button"
            with zipfile.ZipFile(done[0]) as zf:
                names = zf.namelist()
            assert any(n.endswith(".pdf") for n in names) and any("README" in n for n in names), names
            assert not d.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
        finally:
            d.quit()
        with Catalog(pack_catalog, create=False).connect() as con:
            log = audit_log.entries(con)
        packs = [json.loads(x) for a, x, who in zip(log["action"], log["details"], log["actor"])
                 if a == "report.generated" and who == CARL[0]]
        assert any(p["format"] == "pack" and p["path"].endswith(f"{RUN}-evidence.zip") for p in packs), packs

        fresh = chromium(tmp_path / "p2")   # a new visitor after the pack download
        try:
            sign_in(fresh, base, f"?run={RUN}", *CLEO)
            text = settle(fresh)
            assert "Traceback" not in text and "Forms cannot be nested" not in text
            assert not fresh.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
            assert "Overview" in text
        finally:
            fresh.quit()
