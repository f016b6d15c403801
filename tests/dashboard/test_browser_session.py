"""Sessions in a real browser (headless Chromium, issue 19): the token lives in a cookie, not the URL; a
refresh keeps the user; Sign out ends the session in every tab and a copied cookie is refused."""

from __future__ import annotations

import time

import pytest

from tests.dashboard._server import chromium, have_chromium, one_user_server, settle, sign_in

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_chromium(), reason="chromium/chromedriver not installed")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with one_user_server(tmp_path_factory.mktemp("session"), "cleo", "committee", "cleo-password-1") as base:
        yield base


def sidebar(d) -> str:
    from selenium.webdriver.common.by import By

    return d.find_element(By.CSS_SELECTOR, '[data-testid="stSidebar"]').text


def reload(d) -> str:
    d.refresh()
    time.sleep(0.5)
    return settled(d)


def settled(d) -> str:
    """The sidebar once the run is over (a signed-out page has nothing in its main area)."""
    time.sleep(0.5)
    settle(d, need_text=False)
    return sidebar(d)


def test_sign_in_survives_a_refresh_by_cookie_and_sign_out_ends_it_everywhere(server, tmp_path):
    from selenium.webdriver.common.by import By

    a = chromium(tmp_path / "a")
    b = chromium(tmp_path / "b")
    c = chromium(tmp_path / "c")
    try:
        sign_in(a, server, "", "cleo", "cleo-password-1")
        assert "session=" not in a.current_url
        cookie = a.get_cookie("assay_session")
        assert cookie and cookie["value"].startswith("v2.") and cookie["sameSite"] == "Strict"
        assert "Signed in as cleo" in reload(a) and "session=" not in a.current_url   # a refresh keeps the user

        b.get(server)                                      # another browser given the cookie: same session
        settled(b)
        b.add_cookie({"name": "assay_session", "value": cookie["value"], "path": "/"})
        assert "Signed in as cleo" in reload(b)

        next(x for x in a.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebar"] button')
             if "Sign out" in x.text).click()
        assert "You signed out." in settled(a) and "Signed in as" not in sidebar(a)
        assert a.get_cookie("assay_session") is None       # the browser forgot it
        assert "Signed in as" not in reload(a)

        assert "this session was signed out" in reload(b) and "Signed in as" not in sidebar(b)
        c.get(server)                                      # a copy taken before sign-out
        settled(c)
        c.add_cookie({"name": "assay_session", "value": cookie["value"], "path": "/"})
        text = reload(c)
        assert "this session was signed out" in text and "Signed in as" not in text
    finally:
        for d in (a, b, c):
            d.quit()
