"""Starting a real dashboard server (and headless Chromium) for browser tests, command tests and
benchmarks/bench_review.py: a free port, a health wait, one Popen, one browser factory."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Iterator

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")


def have_chromium() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    """Return once ``base``/_stcore/health answers ok; kill ``proc`` and fail if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    out = proc.stdout.read().decode()[-2000:] if proc.stdout else ""
    raise AssertionError(f"the dashboard did not start at {base}: {out}")


@contextlib.contextmanager
def dashboard_server(catalog: Path, seconds: float = 90, env: dict[str, str] | None = None) -> Iterator[str]:
    """``streamlit run`` the dashboard on ``catalog`` at a free local port; yield its base URL.

    The server runs in its own process group and is stopped (then killed) with it on exit."""
    from dashboard import config_dir, streamlit_command

    port = free_port()
    env = {**os.environ, "ASSAY_CATALOG": str(catalog), **(env or {})}
    proc = subprocess.Popen(streamlit_command(port) + ["--server.address", "127.0.0.1"], cwd=config_dir(), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, seconds)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextlib.contextmanager
def one_user_server(folder: Path, name: str, role: str, password: str,
                    env: dict[str, str] | None = None) -> Iterator[str]:
    """A dashboard on a new catalog in ``folder`` whose one user (added through the logged path,
    with the folder's own key dir) is ``name``; yield its base URL."""
    import pytest

    from audits.store.catalog import Catalog
    from audits.store.queries import users as uq

    path = folder / "catalog.duckdb"
    keys = str(folder / "keys")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSAY_KEY_DIR", keys)
        uq.add_user(Catalog(path), name, role, password)
    with dashboard_server(path, env={**(env or {}), "ASSAY_KEY_DIR": keys}) as base:
        yield base

def chromium(profile: Path, size: str = "1280,800"):
    """A headless Chromium (selenium webdriver) with its own profile folder, at window ``size``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (*CHROMIUM_ARGS, f"--window-size={size}", "--force-device-scale-factor=1", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def settle(d, quiet: float = 1.2, timeout: float = 90, need_text: bool = True) -> str:
    """Wait until the script run is over and the main text is stable; return it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    last = {"text": None, "since": time.monotonic()}

    def done(drv) -> bool:
        if drv.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'):
            last["text"] = None
            return False
        mains = drv.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"]')
        text = mains[0].text if mains else ""
        if text != last["text"]:
            last.update(text=text, since=time.monotonic())
        return (bool(text) or not need_text) and time.monotonic() - last["since"] > quiet
    WebDriverWait(d, timeout, poll_frequency=0.2).until(done)
    return last["text"]


def sign_in(d, base: str, path: str, name: str, password: str) -> None:
    """Open ``base/path`` and sign in with the sidebar form; wait until the page has settled."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    d.get(f"{base}/{path}")
    WebDriverWait(d, 90, poll_frequency=0.2).until(
        lambda drv: drv.find_elements(By.CSS_SELECTOR, ".st-key-assay_sign_in_name input"))
    d.find_element(By.CSS_SELECTOR, ".st-key-assay_sign_in_name input").send_keys(name)
    d.find_element(By.CSS_SELECTOR, ".st-key-assay_sign_in_password input").send_keys(password)
    next(b for b in d.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebar"] button') if b.text == "Sign in").click()
    time.sleep(0.5)
    settle(d)
    assert f"Signed in as {name}" in d.find_element(By.CSS_SELECTOR, '[data-testid="stSidebar"]').text
