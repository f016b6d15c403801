"""Browser smoke test: the real `streamlit run` server, every page in headless Chromium.

Fails on any exception Streamlit shows (``data-testid="stException"``) or on a blank page.
"""

from __future__ import annotations

import time

import pytest

from tests.dashboard._server import chromium, dashboard_server, have_chromium

URL_PATHS = ["", "home", "overview", "quality", "fairness", "privacy", "explanations", "policies", "review", "reports", "audit-log"]

pytestmark = pytest.mark.skipif(not have_chromium(),
                                reason="chromium/chromedriver not installed: apt-get install -y chromium chromium-driver")


@pytest.fixture(scope="module")
def server(synthetic_catalog):
    with dashboard_server(synthetic_catalog, 60) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium(tmp_path_factory.mktemp("chromium-profile"), size="1400,1000")
    yield driver
    driver.quit()


@pytest.mark.slow
@pytest.mark.parametrize("url_path", URL_PATHS)
def test_page_loads_in_chromium(server, browser, url_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/{url_path}")
    wait = WebDriverWait(browser, 60, poll_frequency=0.25)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "h1"))
    # the script run is over when Streamlit's status widget is gone and the page text is stable
    last = {"text": None, "since": time.monotonic()}

    def settled(d) -> bool:
        if d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'):
            last["text"] = None
            return False
        text = d.find_element(By.CSS_SELECTOR, '[data-testid="stMain"]').text
        if text != last["text"]:
            last.update(text=text, since=time.monotonic())
        return time.monotonic() - last["since"] > 1.5
    wait.until(settled)
    errors = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    assert not errors, f"/{url_path}: {errors[0].text[:2000]}"
    lost = [d.text for d in browser.find_elements(By.CSS_SELECTOR, '[role="dialog"]') if "not found" in d.text]
    assert not lost, f"/{url_path}: {lost[0]}"
    main = browser.find_element(By.CSS_SELECTOR, '[data-testid="stMain"]').text.strip()
    if len(main) <= 20:
        browser.save_screenshot(f"/tmp/assay-blank-{url_path or 'overview'}.png")
    assert len(main) > 20, f"/{url_path} rendered a blank page: {main!r}"
    assert "Run" in browser.find_element(By.CSS_SELECTOR, '[data-testid="stSidebar"]').text
