"""Each user in a real browser (headless Chromium, 1280x800): every page screenshotted per role with
no nan/None/Traceback/raw JSON; the four answers on the Overview; the committee's sign-off needs a
note and a confirmation on a failing run; an attestation updates the page at once; the reviewer
labels with single keys, the buttons above the fold, and the time from a key to the next item on
screen is measured (written to out/browser/review-timing.json).

Screenshots go to out/browser/ (gitignored; CI keeps them as artifacts).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

import pytest

from tests.dashboard._server import chromium, dashboard_server, have_chromium, settle
from tests.dashboard._server import sign_in as _sign_in

OUT = Path(__file__).resolve().parents[2] / "out" / "browser"
PAGES = ["Overview", "Quality", "Fairness", "Privacy & Safety", "Explanations", "Policies", "Review",
         "Reports & exports", "Audit log"]
USERS = {"committee": ("cleo-committee", "committee-pass-1"), "compliance": ("carl-compliance", "compliance-pass-1"),
         "reviewer": ("rita-reviewer", "reviewer-pass-1"), "admin": ("demo-admin", "admin-pass-01")}
FORBIDDEN = [(re.compile(r"(?<![\w.])nan(?![\w.])"), "nan"), (re.compile(r"(?<![\w.])None(?![\w.])"), "None"),
             (re.compile(r"Traceback"), "Traceback"), (re.compile(r'\{\s*"[A-Za-z_]+"\s*:'), "raw JSON")]

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_chromium(), reason="chromium/chromedriver not installed")]


@pytest.fixture(scope="module")
def role_catalog(tmp_path_factory) -> Path:
    from audits.review.synthetic import make_review_run
    from audits.store.queries import users as uq
    from tests.dashboard._synth import build_catalog

    path = tmp_path_factory.mktemp("roles") / "roles.duckdb"
    cat = build_catalog(path, n_per_task=40)
    make_review_run(cat, "run-review", n=60, reviewers_per_item=2, rate=0.5)
    for role, (name, password) in USERS.items():
        uq.add_user(cat, name, role, password)
    uq.add_user(cat, "remy-reviewer", "reviewer", "reviewer-pass-2")
    return path


@pytest.fixture(scope="module")
def server(role_catalog):
    with dashboard_server(role_catalog) as base:
        yield base


@pytest.fixture
def browser(tmp_path):
    driver = chromium(tmp_path / "profile")
    OUT.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def sign_in(d, base: str, role: str, path: str = "", who: tuple[str, str] | None = None) -> None:
    _sign_in(d, base, path, *(who or USERS[role]))


def goto(d, title: str) -> str:
    from selenium.webdriver.common.by import By

    links = d.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"] a')
    match = [a for a in links if a.text.strip().splitlines()[-1:] == [title]]
    assert match, f"no sidebar link {title!r} in {[a.text for a in links]}"
    match[0].click()   # in-session navigation: no reload, no sign-out
    time.sleep(0.4)
    return settle(d)


def wait_for(d, *phrases: str, timeout: float = 90) -> str:
    """Wait until the main area shows one of ``phrases`` and the run is over; return its text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(d, timeout, poll_frequency=0.2).until(
        lambda drv: any(p in drv.find_element(By.CSS_SELECTOR, '[data-testid="stMain"]').text for p in phrases))
    return settle(d, quiet=0.8)


def problems(d, text: str) -> list[str]:
    from selenium.webdriver.common.by import By

    found = [label for rx, label in FORBIDDEN if rx.search(text)]
    found += [e.text[:300] for e in d.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')]
    return found


@pytest.mark.parametrize("role", list(USERS))
def test_every_page_for_each_role(server, browser, role):
    sign_in(browser, server, role, "?run=2026-Q4-01-synthetic")
    seen = {}
    for title in PAGES:
        text = goto(browser, title)
        slug = re.sub(r"[^a-z]+", "-", title.lower()).strip("-")
        browser.save_screenshot(str(OUT / f"{role}-{slug}.png"))
        seen[title] = problems(browser, text)
        if title == "Overview":
            for area in ("Accuracy:", "Fairness:", "Privacy:", "Safety:"):
                line = next((ln for ln in text.splitlines() if ln.startswith(area)), "")
                assert re.search(r": (pass|fail|inconclusive|no data|not checked) — ", line), (area, line)
            assert "Policy status" in text and "Review progress" in text and "Sign-off" in text
    assert {t: p for t, p in seen.items() if p} == {}


def test_committee_sign_off_of_a_failing_run_needs_a_note_and_a_confirmation(server, browser, role_catalog):
    from selenium.webdriver.common.by import By

    from audits.store.catalog import Catalog
    from audits.store.queries import policies as policies_q

    cat = Catalog(role_catalog, create=False)
    run_id = "2026-Q4-01-synthetic"
    sign_in(browser, server, "committee", f"policies?run={run_id}")
    text = goto(browser, "Policies")
    counts = re.search(r"attested (\d+)", text)
    before = int(counts.group(1)) if counts else 0
    # attest the release control: the page counts it at once and stops offering it
    browser.find_element(By.CSS_SELECTOR, ".st-key-pol_att_note textarea").send_keys("Risks reviewed on 12 Nov")
    next(b for b in browser.find_elements(By.CSS_SELECTOR, "button") if b.text == "Record attestation").click()
    text = wait_for(browser, "Recorded:", "Fix:")
    assert "Recorded: attested INT-REL-1" in text and f"attested {before + 1}" in text, text[-1500:]
    assert "Every manual control for the committee role is attested" in text

    def sign(expect: str):
        next(b for b in browser.find_elements(By.CSS_SELECTOR, "button") if b.text == "Sign off this run").click()
        return wait_for(browser, expect)
    radios = browser.find_elements(By.CSS_SELECTOR, ".st-key-pol_signoff_decision input[type=radio]")
    assert radios and not any(r.is_selected() for r in radios)              # nothing pre-selected
    browser.find_elements(By.CSS_SELECTOR, '.st-key-pol_signoff_decision [role="radiogroup"] label')[0].click()  # approve
    text = sign("Write the committee's reasoning")
    assert "Write the committee's reasoning" in text and policies_q.list_signoffs(cat, run_id).empty
    browser.find_element(By.CSS_SELECTOR, ".st-key-pol_signoff_note textarea").send_keys("Accepted with a plan")
    text = sign("Tick the confirmation")
    assert "Tick the confirmation" in text and policies_q.list_signoffs(cat, run_id).empty
    browser.find_element(By.CSS_SELECTOR, ".st-key-pol_signoff_confirm label").click()
    text = sign("Sign-off recorded")
    browser.save_screenshot(str(OUT / "committee-signed-off.png"))
    assert "Sign-off recorded: approve by cleo-committee" in text
    rows = policies_q.list_signoffs(cat, run_id)
    assert rows[["username", "decision", "note"]].values.tolist() == [["cleo-committee", "approve",
                                                                      "Accepted with a plan"]]


def test_reviewer_labels_with_single_keys_and_the_next_item_comes_quickly(server, browser, role_catalog):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from audits.store.catalog import Catalog
    from audits.store.queries import reviews as rv

    cat = Catalog(role_catalog, create=False)
    sign_in(browser, server, "reviewer", "review?run=run-review")
    settle(browser)
    height = browser.execute_script("return window.innerHeight")
    for key in ("rv_b_correct", "rv_b_incorrect", "rv_b_needs_rephrasing", "rv_b_skip"):
        bottom = browser.execute_script(
            f"return document.querySelector('.st-key-{key} button').getBoundingClientRect().bottom")
        assert bottom <= height, f"{key} is below the fold ({bottom:.0f} > {height})"
    browser.save_screenshot(str(OUT / "reviewer-review-card.png"))

    def shown() -> str:
        return browser.execute_script("const e = document.querySelector('.assay-item-id'); return e ? e.textContent : ''")

    body = browser.find_element(By.TAG_NAME, "body")
    times = []
    for _ in range(6):
        before = shown()
        start = time.perf_counter()
        body.send_keys("1")
        while shown() in (before, "") and time.perf_counter() - start < 30:
            time.sleep(0.01)
        times.append(time.perf_counter() - start)
        assert shown() != before
        settle(browser, quiet=1.0)   # a key pressed while the fragment still reruns is ignored, never misapplied
    mine = rv.history(cat, "run-review")
    mine = mine[mine["reviewer"] == "rita-reviewer"]
    assert len(mine) == 6 and mine["sample_id"].nunique() == 6 and set(mine["label"]) == {"correct"}
    # 2 with an empty corrected output: the cursor goes there; Ctrl+Enter saves "incorrect" with it
    before = shown()
    body.send_keys("2")
    time.sleep(0.3)
    active = browser.switch_to.active_element
    assert active.tag_name == "textarea"
    active.send_keys("The corrected answer.")
    active.send_keys(Keys.CONTROL, Keys.ENTER)
    deadline = time.monotonic() + 30
    while shown() in (before, "") and time.monotonic() < deadline:
        time.sleep(0.05)
    settle(browser, quiet=0.3)
    last = rv.history(cat, "run-review").sort_values("created_at").iloc[-1]
    assert (last["sample_id"], last["label"], last["correction"]) == (before, "incorrect", "The corrected answer.")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "review-timing.json").write_text(json.dumps(
        {"key_to_next_item_s": times, "median_s": statistics.median(times)}, indent=2))
    print(f"label -> next item on screen: median {statistics.median(times):.3f} s, all {[round(t, 3) for t in times]}")
    assert statistics.median(times) < 5.0


def test_two_reviewers_at_once_see_different_items(server, browser, role_catalog, tmp_path):
    second = chromium(tmp_path / "profile-2")
    try:
        sign_in(browser, server, "reviewer", "review?run=run-review")
        sign_in(second, server, "reviewer", "review?run=run-review", who=("remy-reviewer", "reviewer-pass-2"))
        read = "const e = document.querySelector('.assay-item-id'); return e ? e.textContent : ''"
        first_id, second_id = browser.execute_script(read), second.execute_script(read)
        assert first_id and second_id and first_id != second_id
        second.save_screenshot(str(OUT / "reviewer-2-review-card.png"))
    finally:
        second.quit()
