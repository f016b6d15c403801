"""The Review page in a real browser (headless Chromium, 1280x800) for each of its users: a reviewer labels an
item with every button on screen (none below the fold, no sideways scroll); a committee member adjudicates a
disagreement on a leak item, seeing the leak outlined as the output's pseudonym, and downloads the SFT file,
which is built on the click and logged under her; a viewer sees no label buttons.

Screenshots go to the test's temporary folder; with ASSAY_SAVE_SCREENSHOTS=1 to out/review/ (the committed
ones were taken from this test), so a test run never rewrites tracked files."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.dashboard._server import chromium, dashboard_server, have_chromium, settle, sign_in

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_chromium(), reason="chromium/chromedriver not installed")]
OUT = Path(__file__).resolve().parents[2] / "out" / "review"
RUN = "run-leak"
USERS = {"rita": ("reviewer", "reviewer-pass-1"), "cleo": ("committee", "committee-pass-1"),
         "vera": ("viewer", "viewer-pass-1")}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    from audits.store.catalog import Catalog
    from audits.store.queries import reviews as rv
    from audits.store.queries import users as uq
    from tests.dashboard.test_review_adjudicate import _leak_run

    path = tmp_path_factory.mktemp("review-browser") / "review.duckdb"
    cat = Catalog(path)
    _leak_run(cat, reviewers_per_item=1)
    rv.record_review(cat, RUN, "pii-support", "pii-001", "ann", "reviewer", "correct")
    rv.record_review(cat, RUN, "pii-support", "pii-001", "ben", "reviewer", "incorrect",
                     correction="Someone will call you tomorrow.", note="names a stranger")
    for name, (role, password) in USERS.items():
        uq.add_user(cat, name, role, password)
    return path


def _box(d, selector: str) -> dict:
    return d.execute_script(f"const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                            " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};")


def _wait_text(d, phrase: str, timeout: float = 60) -> str:
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = d.find_element(By.CSS_SELECTOR, '[data-testid="stMain"]').text
        if phrase in text:
            return settle(d, quiet=0.8)
        time.sleep(0.2)
    raise AssertionError(f"{phrase!r} never shown: {text[-800:]}")


def test_reviewer_adjudicator_and_viewer_at_1280x800(catalog, tmp_path):
    from selenium.webdriver.common.by import By

    from audits.store.catalog import Catalog
    from audits.store.queries import audit_log
    from audits.store.queries import reviews as rv

    cat = Catalog(catalog, create=False)
    shots = OUT if os.environ.get("ASSAY_SAVE_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    with dashboard_server(catalog) as base:
        # the reviewer: every button on screen, nothing wider than the window; one click labels the item shown
        d = chromium(tmp_path / "rita")
        try:
            sign_in(d, base, f"review?run={RUN}", "rita", USERS["rita"][1])
            width, height = d.execute_script("return [window.innerWidth, window.innerHeight]")
            assert d.execute_script("return document.documentElement.scrollWidth") <= width
            for key in ("rv_b_correct", "rv_b_incorrect", "rv_b_needs_rephrasing", "rv_b_skip", "rv_b_undo"):
                box = _box(d, f".st-key-{key} button")
                assert 0 <= box["left"] and box["right"] <= width and box["bottom"] <= height, (key, box, width, height)
            shown = d.execute_script("return document.querySelector('.assay-item-id').textContent")
            d.save_screenshot(str(shots / "reviewer-label.png"))
            d.find_element(By.CSS_SELECTOR, ".st-key-rv_b_correct button").click()
            _wait_text(d, f"Saved pii-support/{shown} as correct")
            rows = rv.history(cat, RUN)
            assert rows[rows["reviewer"] == "rita"][["sample_id", "label"]].values.tolist() == [[shown, "correct"]]
        finally:
            d.quit()

        # the committee member: adjudicates the leak item with its evidence on screen, then takes the SFT file
        d = chromium(tmp_path / "cleo")
        try:
            d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path / "dl")})
            sign_in(d, base, f"review?run={RUN}", "cleo", USERS["cleo"][1])
            text = _wait_text(d, "Adjudicate disagreements")
            assert "What the reviewers said" in text and "ben: Incorrect — corrected output" in text
            card = d.find_element(By.CSS_SELECTOR, ".st-key-adj_item").find_element(
                By.XPATH, "following::div[contains(@class,'assay-card')][1]")
            leak = card.find_element(By.CSS_SELECTOR, ".assay-output mark.assay-leak")
            assert leak.text == "<PERSON_2>" and leak.value_of_css_property("outline-style") == "solid"
            d.execute_script("arguments[0].scrollIntoView({block: 'start'})", card)
            time.sleep(0.4)
            d.save_screenshot(str(shots / "committee-adjudicate.png"))
            radio = d.find_elements(By.CSS_SELECTOR, '.st-key-adj_label [role="radiogroup"] label')
            next(r for r in radio if r.text.strip() == "Incorrect").click()
            d.find_element(By.CSS_SELECTOR, ".st-key-adj_correction textarea").send_keys("Someone will call you.")
            next(b for b in d.find_elements(By.CSS_SELECTOR, "button") if b.text == "Adjudicate").click()
            _wait_text(d, "Adjudicated pii-support/pii-001 as incorrect")
            assert rv.disagreements(cat, RUN).empty
            assert rv.final_labels(cat, RUN).set_index("sample_id").loc["pii-001", "source"] == "adjudication"
            # the SFT file: built on the click, outside the session, for cleo (logged); the leak item never in it
            button = next(b for b in d.find_elements(By.CSS_SELECTOR, "button") if "SFT JSONL" in b.text)
            d.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
            button.click()
            deadline, got = time.monotonic() + 120, []
            while time.monotonic() < deadline and not got:
                got = [p for p in (tmp_path / "dl").glob("*.jsonl")] if (tmp_path / "dl").exists() else []
                time.sleep(0.5)
            assert got, "no file came from the SFT button"
            records = [json.loads(line) for line in got[0].read_text().splitlines()]
            assert [r["sample_id"] for r in records] == [shown] and records[0]["run_id"] == RUN
            with cat.connect() as con:
                log = audit_log.entries(con)
            taken = [(who, json.loads(x)["records"]) for a, x, who in zip(log["action"], log["details"], log["actor"])
                     if a == "export.retraining-sft"]
            assert taken == [("cleo", 1)]
            d.save_screenshot(str(shots / "committee-after-adjudication.png"))
        finally:
            d.quit()

        # the viewer: statistics, no label buttons, no adjudication, no retraining files
        d = chromium(tmp_path / "vera")
        try:
            sign_in(d, base, f"review?run={RUN}", "vera", USERS["vera"][1])
            text = settle(d)
            assert "cannot label" in text and "Adjudicate" not in text and "Retraining data" not in text
            assert not d.find_elements(By.CSS_SELECTOR, ".st-key-rv_b_correct button")
            assert not d.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
            d.save_screenshot(str(shots / "viewer.png"))
        finally:
            d.quit()
