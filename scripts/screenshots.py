"""Screenshots of the demo for each role, in a real browser (headless Chromium, 1280x800).

    .venv/bin/python scripts/screenshots.py --catalog demo.duckdb --keys KEYDIR   # an existing demo catalog
    .venv/bin/python scripts/screenshots.py --limit 40                             # runs `assay demo` first

The catalog (its ``.runs`` folder and key dir beside it) is copied to a temporary folder, one user per
role is created there with a fresh password (never printed; the demo's names when it has none), and each of committee, compliance,
reviewer and admin signs in and visits Overview, Policies, Fairness, Review and Privacy & Safety on
the newest run. The committee signs the run off once through the form, and the Policies page is
shot again after it (one sign-off, the form cleared). The reviewer skips to a BBQ item. Pictures go
to ``out/screenshots/<role>-<page>.png``; a summary of what each page said goes to
``out/screenshots/pages.json``. Needs /usr/bin/chromium and chromedriver (as the browser tests).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = {"overview": "Overview", "policies": "Policies", "fairness": "Fairness", "review": "Review",
         "privacy": "Privacy & Safety"}
ROLES = ("committee", "compliance", "reviewer", "admin")
FORBIDDEN = [(re.compile(r"(?<![\w.])nan(?![\w.])"), "nan"), (re.compile(r"(?<![\w.])None(?![\w.])"), "None"),
             (re.compile(r"Traceback"), "Traceback"), (re.compile(r'\{\s*"[A-Za-z_]+"\s*:'), "raw JSON")]


def run_demo(folder: Path, limit: int | None) -> tuple[Path, Path]:
    """`assay demo --no-dashboard --no-users` into ``folder``; returns (catalog, key dir)."""
    catalog, keys = folder / "demo.duckdb", folder / "keys"
    cmd = [str(ROOT / ".venv" / "bin" / "assay"), "--catalog", str(catalog), "demo", "--no-dashboard", "--no-users"]
    if limit:
        cmd += ["--limit", str(limit)]
    subprocess.run(cmd, check=True, env={**os.environ, "ASSAY_KEY_DIR": str(keys)})
    return catalog, keys


def copy_catalog(catalog: Path, keys: Path, folder: Path) -> tuple[Path, Path]:
    """The catalog, its run bundles and its key dir, copied under ``folder`` (the original is left as it is)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / catalog.name
    shutil.copy2(catalog, target)
    runs = catalog.with_name(catalog.stem + ".runs")
    if runs.exists():
        shutil.copytree(runs, target.with_name(target.stem + ".runs"))
    shutil.copytree(keys, folder / "keys")
    return target, folder / "keys"


def slug(title: str) -> str:
    return re.sub(r"[^a-z]+", "-", title.lower()).strip("-")


def problems(driver, text: str) -> list[str]:
    from selenium.webdriver.common.by import By

    found = [label for rx, label in FORBIDDEN if rx.search(text)]
    return found + [e.text[:300] for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')]


def goto(driver, title: str) -> str:
    from selenium.webdriver.common.by import By

    from tests.dashboard._server import settle

    links = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"] a')
    match = [a for a in links if a.text.strip().splitlines()[-1:] == [title]]
    if not match:
        raise SystemExit(f"no sidebar link {title!r} in {[a.text for a in links]}")
    match[0].click()
    time.sleep(0.4)
    return settle(driver)


def click(driver, label: str) -> None:
    from selenium.webdriver.common.by import By

    next(b for b in driver.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == label).click()
    time.sleep(0.5)


def wait_for(driver, *phrases: str, timeout: float = 90) -> str:
    """Wait until the main area shows one of ``phrases`` and the script run is over; its text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.dashboard._server import settle

    WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        lambda d: any(p in d.find_element(By.CSS_SELECTOR, '[data-testid="stMain"]').text for p in phrases))
    return settle(driver, quiet=0.8)


def sign_off(driver) -> str:
    """The committee approves the run once through the form (decision, note, confirmation when asked)."""
    from selenium.webdriver.common.by import By

    labels = driver.find_elements(By.CSS_SELECTOR, '.st-key-pol_signoff_decision [role="radiogroup"] label')
    if not labels:
        return "no sign-off form"
    labels[0].click()
    driver.find_element(By.CSS_SELECTOR, ".st-key-pol_signoff_note textarea").send_keys(
        "Screenshot run: accepted with the failing controls' remediation plan.")
    confirm = driver.find_elements(By.CSS_SELECTOR, ".st-key-pol_signoff_confirm label")
    if confirm:
        confirm[0].click()
    time.sleep(0.3)
    click(driver, "Sign off this run")
    return wait_for(driver, "Sign-off recorded", "Fix:")


def sign_again(driver) -> str:
    """Press 'Sign off this run' once more on the cleared form: nothing is recorded twice."""
    from tests.dashboard._server import settle

    buttons = [b for b in driver.find_elements("css selector", "button") if b.text.strip() == "Sign off this run"]
    if not buttons:
        return settle(driver)
    buttons[0].click()
    time.sleep(1.0)
    return settle(driver)


def top(driver) -> None:
    """Scroll the main area back to the top (what a reader sees first)."""
    driver.execute_script("const m = document.querySelector('[data-testid=\"stMain\"]'); if (m) m.scrollTo(0, 0);"
                          "window.scrollTo(0, 0);")
    time.sleep(0.3)


def open_expander(driver, words: str) -> bool:
    """Open the expander whose label holds ``words`` and scroll it to the top of the window."""
    from selenium.webdriver.common.by import By

    from tests.dashboard._server import settle

    for summary in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stExpander"] summary'):
        if words in summary.text:
            driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", summary)
            summary.click()
            time.sleep(0.5)
            settle(driver, quiet=0.6)
            return True
    return False


def to_bbq_item(driver, tries: int = 40) -> bool:
    """Skip review items (the Skip button) until a bbq-gender item is on screen."""
    from selenium.webdriver.common.by import By

    from tests.dashboard._server import settle

    read = "const e = document.querySelector('.assay-item-id'); return e ? e.parentElement.textContent : ''"
    for _ in range(tries):
        if "bbq-gender" in (driver.execute_script(read) or ""):
            return True
        buttons = driver.find_elements(By.CSS_SELECTOR, ".st-key-rv_b_skip button")
        if not buttons:
            return False
        buttons[0].click()
        time.sleep(0.5)
        settle(driver, quiet=0.6)
    return False


def make_users(cat) -> dict[str, tuple[str, str]]:
    """One user per role with a fresh password (on the copy): the demo's users when the catalog has
    none, else 'shots-<role>' beside the existing ones. Passwords stay in memory."""
    import secrets

    from audits.commands.demo import create_demo_users
    from audits.store.queries import users as users_q

    made = create_demo_users(cat)
    if made:
        return {role: (name, password) for name, role, password in made if name != "remy-reviewer"}
    out = {}
    for role in ROLES:
        name, password = f"shots-{role}", secrets.token_urlsafe(12)
        users_q.add_user(cat, name, role, password, actor="screenshots")
        out[role] = (name, password)
    return out


def shoot(catalog: Path, keys: Path, out: Path, run_id: str | None) -> dict[str, dict]:
    """Sign in as each role and save one screenshot per page; returns what each page said."""
    from audits.store.catalog import Catalog
    from audits.store.queries import policies as policies_q
    from audits.store.queries import runs as runs_q
    from tests.dashboard._server import chromium, dashboard_server, settle, sign_in

    os.environ["ASSAY_KEY_DIR"] = str(keys)
    cat = Catalog(catalog, create=False)
    users = make_users(cat)
    done = runs_q.list_runs(cat, "complete")
    if done.empty:
        raise SystemExit(f"{catalog} has no complete run; run `assay demo --no-dashboard` first")
    run_id = run_id or str(done.iloc[-1]["run_id"])
    out.mkdir(parents=True, exist_ok=True)
    seen: dict[str, dict] = {}
    with dashboard_server(catalog, env={"ASSAY_KEY_DIR": str(keys)}) as base, \
            tempfile.TemporaryDirectory() as profiles:
        for role in ROLES:
            driver = chromium(Path(profiles) / role)
            try:
                sign_in(driver, base, f"?run={run_id}", *users[role])
                for key, title in PAGES.items():
                    text = goto(driver, title)
                    if key == "review" and role == "reviewer":
                        to_bbq_item(driver)
                        text = settle(driver)
                    driver.save_screenshot(str(out / f"{role}-{key}.png"))
                    seen[f"{role}-{key}"] = {"problems": problems(driver, text), "first_lines": text.splitlines()[:12]}
                    if key == "policies" and role == "committee":
                        text = sign_off(driver)
                        driver.save_screenshot(str(out / f"{role}-{key}-after-signoff-form.png"))
                        text = sign_again(driver)   # the cleared form records nothing a second time
                        driver.save_screenshot(str(out / f"{role}-{key}-signoff-repeat.png"))
                        text = goto(driver, title)
                        top(driver)
                        driver.save_screenshot(str(out / f"{role}-{key}-after-signoff.png"))
                        seen[f"{role}-{key}-after-signoff"] = {"problems": problems(driver, text),
                                                               "first_lines": text.splitlines()[:12]}
                    if key == "privacy" and role == "committee" and open_expander(driver, "detector"):
                        driver.save_screenshot(str(out / f"{role}-{key}-detector.png"))
            finally:
                driver.quit()
    seen["_run"] = {"run_id": run_id, "signoffs": int(len(policies_q.list_signoffs(cat, run_id)))}
    return seen


def shrink(out: Path) -> None:
    """Re-save the PNGs with a 64-colour palette (a few tens of kB each) when Pillow is installed."""
    try:
        from PIL import Image
    except ImportError:
        return
    for path in out.glob("*.png"):
        with Image.open(path) as img:
            small = img.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--catalog", type=Path, help="an existing demo catalog (made with --no-users); default: run the demo")
    p.add_argument("--keys", type=Path, help="its key dir (default: $ASSAY_KEY_DIR, else 'keys' beside the catalog)")
    p.add_argument("--limit", type=int, default=None, help="samples per task when this script runs the demo")
    p.add_argument("--run", default=None, help="run id to show (default: the newest)")
    p.add_argument("--out", type=Path, default=ROOT / "out" / "screenshots")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="assay-shots-") as tmp:
        folder = Path(tmp)
        if args.catalog is None:
            catalog, keys = run_demo(folder / "demo", args.limit)
        else:
            keys = args.keys or Path(os.environ.get("ASSAY_KEY_DIR") or args.catalog.with_name("keys"))
            catalog, keys = copy_catalog(args.catalog.resolve(), keys.resolve(), folder / "copy")
        seen = shoot(catalog, keys, args.out, args.run)
    shrink(args.out)
    (args.out / "pages.json").write_text(json.dumps(seen, indent=1), encoding="utf-8")
    bad = {k: v["problems"] for k, v in seen.items() if v.get("problems")}
    print(f"{len(list(args.out.glob('*.png')))} screenshots in {args.out}; pages with problems: {bad or 'none'}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
