"""Driving Debian's Chromium with Playwright for the browser tests: launching it, checking a page with
axe-core (vendored under tests/vendor, injected into the page, never served), and keeping screenshots of the
key pages as test artifacts under `var/test-artifacts/` (or FRONTLINE_TEST_ARTIFACTS)."""

import os
import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(
    os.environ.get("FRONTLINE_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "var/test-artifacts")
)
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 800}


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2 A and AA rules)."""
    page.add_script_tag(path=str(AXE))
    rules = "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}}"
    result = page.evaluate(f"async () => await axe.run(document, {rules})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def keep(page, story: str, name: str) -> Path:
    """A screenshot of the whole page, kept for people to look at after the run."""
    path = ARTIFACTS / story / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def fits_the_screen(page) -> bool:
    """Nothing forces a sideways scroll at the current width."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
