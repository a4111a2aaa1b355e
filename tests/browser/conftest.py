"""A real headless Chromium, from Debian's ``chromium`` package, driven by Playwright.

`make test` installs that package when it is missing (the ``browser-deps`` target);
Playwright's own browser download is never used: the machines this project is built on
reach package registries only. ``SECRETMOCK_CHROMIUM`` names another binary.

Screenshots go to a temporary directory; ``make screenshots`` (which sets
``SECRETMOCK_UPDATE_SCREENSHOTS=1``) writes the ones the README shows, in ``docs/img/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"
VIEWPORT: ViewportSize = {"width": 1360, "height": 1000}

# The page polls once a second; on a busy machine give it room (this is a wait, not a
# timed assertion: nothing asserts on how fast).
expect.set_options(timeout=20_000)


def chromium_path() -> str:
    path = os.environ.get("SECRETMOCK_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium is missing: `make test` installs Debian's chromium package "
            "(make browser-deps), or set SECRETMOCK_CHROMIUM to a Chromium binary"
        )
    return path


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # Package scope, not session: Playwright's sync API runs an event loop in this thread
    # while it is open, which would break later tests that call asyncio.run().
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: docs/img when regenerating them, else a temporary directory."""
    if os.environ.get("SECRETMOCK_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        return DOCS_IMAGES
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def dashboard(page: Page, server: BackgroundServer, emulator: Emulator) -> Page:
    """The dashboard, opened on an emptied journal, once it is live."""
    emulator.journal.clear()
    page.goto(server.url + "/__admin__/")
    expect(page.locator("#live-text")).to_have_text("live")
    expect(page.locator(".vendor")).to_have_count(5)
    # A mark that a reload would wipe out.
    page.evaluate("window.notReloaded = true")
    return page
