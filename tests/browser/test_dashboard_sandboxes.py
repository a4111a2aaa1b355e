"""The dashboard and sandboxes, in a real browser: the server's page picks a sandbox and
then shows that sandbox's journal; each sandbox's own page at ``{url}/__admin__/``
drives that sandbox (the page's URLs are relative to where it is served)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from secretmock.engine.emulator import Emulator
from secretmock.resources import default_fixtures_path
from secretmock.serve.background import BackgroundServer
from secretmock.vendors import all_vendors
from secretmock.web.app import build_app

FW = {"Authorization": "Bearer fw-test-acme"}


@pytest.fixture(scope="module")
def shared() -> Iterator[BackgroundServer]:
    root = Emulator(all_vendors(), [default_fixtures_path()])
    with BackgroundServer(build_app(root, admin_token="root-token")) as server:
        yield server


def _sandbox(server: BackgroundServer) -> dict[str, Any]:
    made = requests.post(
        f"{server.url}/__admin__/sandboxes",
        headers={"Authorization": "Bearer root-token"},
        timeout=10,
    )
    assert made.status_code == 201
    return dict(made.json())


def _unlock(page: Page, url: str, token: str) -> None:
    page.goto(url)
    expect(page.locator("#auth")).to_be_visible()
    page.fill("#admin-token", token)
    page.locator("#auth button[type=submit]").click()
    expect(page.locator("#live-text")).to_have_text("live")


def test_the_server_page_picks_a_sandbox_and_shows_its_journal(
    page: Page, shared: BackgroundServer
) -> None:
    box = _sandbox(shared)
    requests.get(box["base_urls"]["fireworks"] + "/v1/accounts/acme/secrets/only-here", headers=FW)
    _unlock(page, shared.url + "/__admin__/", "root-token")
    picker = page.locator("#sandbox-picker")
    expect(picker).to_be_visible()
    expect(page.locator("#sandbox-select option")).to_have_count(2)
    expect(page.locator("#journal tr.entry")).to_have_count(0)
    page.select_option("#sandbox-select", box["id"])
    rows = page.locator("#journal tr.entry")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("/v1/accounts/acme/secrets/only-here")
    page.select_option("#sandbox-select", "")
    expect(rows).to_have_count(0)


def test_a_sandbox_serves_its_own_dashboard_opened_by_its_token(
    page: Page, shared: BackgroundServer
) -> None:
    box = _sandbox(shared)
    requests.get(box["base_urls"]["fireworks"] + "/v1/accounts/acme/secrets", headers=FW)
    _unlock(page, box["url"] + "/__admin__/", box["token"])
    expect(page.locator("#sandbox-picker")).to_be_hidden()
    expect(page.locator(".vendor")).to_have_count(5)
    rows = page.locator("#journal tr.entry")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Gateway_ListSecrets")
