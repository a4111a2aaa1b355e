"""The HTML contract report, opened from disk in a real browser, as a CI artifact is."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from playwright.sync_api import Page, expect

from secretmock.engine.emulator import Emulator
from secretmock.report import build_report
from secretmock.report.html import report_html
from secretmock.serve.background import BackgroundServer

FW = {"Authorization": "Bearer fw-test-acme"}
HOSTILE = '<img src=x onerror="window.pwned=1">'


def test_the_report_shows_coverage_and_each_violation(
    page: Page, server: BackgroundServer, emulator: Emulator, tmp_path: Path, screenshots: Path
) -> None:
    emulator.journal.clear()
    base = f"{server.url}/fireworks/v1/accounts/acme/secrets"
    for _ in range(3):
        requests.get(base, headers=FW, timeout=10)
    requests.patch(base + "/s1", headers=FW, json={"value": "no key name"}, timeout=10)
    requests.get(base, headers=FW, params={"pageSize": "x"}, timeout=10)
    requests.get(
        f"{server.url}/instabase/api/v2/aihub/secrets",
        headers={"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"},
        timeout=10,
    )
    report = tmp_path / "report.html"
    report.write_text(report_html(build_report(emulator)), encoding="utf-8")
    page.goto(report.as_uri())
    listing = page.locator('[data-vendor="fireworks"] tr[data-operation="Gateway_ListSecrets"]')
    expect(listing.locator('td[data-status="200"]')).to_have_text("3")
    expect(listing.locator('td[data-status="400"]')).to_have_text("1")
    expect(page.locator('[data-vendor="fireworks"] h3')).to_contain_text("2 of 5 operations")
    expect(page.locator('tr[data-operation="Gateway_CreateSecret"] .never')).to_be_visible()
    expect(page.locator("tr.unreached")).to_have_count(25 - 3)
    expect(page.locator(".violation")).to_have_count(2)
    located = page.locator(".violation .v-location").all_inner_texts()
    assert sorted(located) == ["body /keyName", "query /pageSize"]
    page_size = page.locator(".violation", has_text="query /pageSize")
    expect(page_size.locator(".v-expected")).to_have_text("integer")
    expect(page_size.locator(".v-actual")).to_have_text("string of length 1")
    expect(page.locator("h2#violations")).to_have_text("Violations (2)")
    # Why CI failed comes first: the violations before any coverage row, and the
    # summary's count a link to them.
    first_violation = page.locator(".violation").first.bounding_box()
    first_coverage = page.locator("section.vendor").first.bounding_box()
    assert first_violation is not None and first_coverage is not None
    assert first_violation["y"] < first_coverage["y"]
    page.locator(".stat", has_text="Violations").click()
    assert page.evaluate("location.hash") == "#violations"
    assert "no key name" not in page.locator("body").inner_text()
    path = screenshots / "report.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_a_hostile_request_path_is_shown_as_text(page: Page, tmp_path: Path) -> None:
    violation = {
        "seq": 1,
        "vendor": "fireworks",
        "operationId": None,
        "method": "GET",
        "path": "/v1/" + HOSTILE,
        "status": 404,
        "part": "path",
        "location": "",
        "rule": "route",
        "message": HOSTILE,
        "expected": None,
        "actual": None,
        "size": None,
    }
    report = tmp_path / "report.html"
    report.write_text(report_html({"secretmock": "x", "vendors": {}, "violations": [violation]}))
    page.goto(report.as_uri())
    expect(page.locator(".violation .title")).to_have_text(HOSTILE)
    expect(page.locator(".violation .v-request")).to_have_text(re.compile(re.escape(HOSTILE)))
    assert page.evaluate("window.pwned") is None
    assert page.locator("img").count() == 0
