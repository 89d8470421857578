"""Debian's Chromium driven by Playwright for Python (no browser download: `playwright install` can't run here)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testing.services import REPO_ROOT, service_missing

CHROMIUM_PATH = Path("/usr/bin/chromium")
ARTIFACTS_DIR = REPO_ROOT / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FAKE_CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@contextmanager
def chromium(*, extra_args: tuple[str, ...] = ()) -> Iterator[object]:
    """A headless Chromium (a Playwright Browser); skips, or fails under REQUIRE_SERVICES=1, when there is none."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("playwright for Python is not installed (pip install -r requirements-test.txt)")
    if not CHROMIUM_PATH.exists() or shutil.which(str(CHROMIUM_PATH)) is None:
        service_missing(f"no Chromium at {CHROMIUM_PATH} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), headless=True, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            browser.close()


def screenshot_path(name: str) -> Path:
    """Where a screenshot for a person to look at goes (artifacts/ is git-ignored)."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR / f"{name}.png"
