"""The dashboard in a real browser, used as a person would: requests made elsewhere show
up without a reload, masked values open on a click, violations say where."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import requests
from playwright.sync_api import Page, Route, expect

from secretmock.serve.background import BackgroundServer
from tests.helpers import fireworks_status

FW = {"Authorization": "Bearer fw-test-acme"}

HOSTILE = '<img src=x onerror="window.pwned=1">'


def test_requests_appear_in_the_journal_newest_first_without_a_reload(
    dashboard: Page, server: BackgroundServer
) -> None:
    expect(dashboard.locator("#journal-empty")).to_be_visible()
    assert fireworks_status(server, "GET", "") == 200
    assert fireworks_status(server, "GET", "/missing") == 404
    rows = dashboard.locator("#journal tr.entry")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("GET /v1/accounts/acme/secrets/missing")
    expect(rows.nth(0).locator(".status")).to_have_class(re.compile(r"\bs4xx\b"))
    expect(rows.nth(1)).to_contain_text("Gateway_ListSecrets")
    expect(rows.nth(1).locator(".status")).to_have_class(re.compile(r"\bs2xx\b"))
    expect(dashboard.locator("#stat-requests")).to_have_text("2")
    assert dashboard.evaluate("window.notReloaded") is True


def test_a_row_folds_the_request_body_the_journal_keeps_its_value_redacted(
    dashboard: Page, server: BackgroundServer
) -> None:
    sent = {"name": "body-shown", "keyName": "BODY_SHOWN", "value": "v-not-shown"}
    assert fireworks_status(server, "POST", "", json=sent) == 200
    row = dashboard.locator("#journal tr.entry").first
    body = row.locator("details.req-body")
    expect(body.locator("pre")).not_to_be_visible()
    body.locator("summary").click()
    expect(body.locator("pre")).to_contain_text('"keyName": "BODY_SHOWN"')
    expect(body.locator("pre")).to_contain_text("<redacted>")
    expect(row).not_to_contain_text("v-not-shown")


def test_a_click_reveals_a_masked_token_and_a_masked_value(dashboard: Page) -> None:
    card = dashboard.locator('.vendor[data-vendor="fireworks"]')
    expect(card.locator(".base-url-value")).to_have_text(
        re.compile(r"^http://127\.0\.0\.1:\d+/fireworks$")
    )
    token = card.locator('.credential .masked[data-kind="token"]')
    expect(token).not_to_contain_text("fw-test-acme")
    token.click()
    expect(token).to_contain_text("fw-test-acme")
    value = card.locator('.secret[data-secret="WOLFRAM_ALPHA_API_KEY"] .masked')
    expect(value).not_to_contain_text("wolfram-test-1")
    value.click()
    expect(value).to_contain_text("wolfram-test-1")
    value.click()
    expect(value).not_to_contain_text("wolfram-test-1")
    # The page's text, before any click, holds no token and no value.
    dashboard.reload()
    expect(dashboard.locator(".vendor")).to_have_count(5)
    text = dashboard.locator("body").inner_text()
    assert "fw-test-acme" not in text and "wolfram-test-1" not in text


def test_a_violation_shows_vendor_operation_location_rule_expected_actual(
    dashboard: Page, server: BackgroundServer
) -> None:
    assert fireworks_status(server, "PATCH", "/s1", json={"value": "no key name"}) == 400
    row = dashboard.locator("#journal tr.entry").first
    expect(row).to_contain_text("1 violation(s)")
    expect(row.locator(".status")).to_have_class(re.compile(r"\bs4xx\b"))
    violation = dashboard.locator("#journal tr.violations .violation").first
    expect(violation.locator(".v-vendor")).to_have_text("fireworks")
    expect(violation.locator(".v-operation")).to_have_text("Gateway_UpdateSecret")
    expect(violation.locator(".v-location")).to_have_text("body /keyName")
    expect(violation.locator(".v-rule")).to_have_text("required")
    expect(violation.locator(".v-expected")).to_have_text('["keyName"]')
    expect(violation.locator(".v-actual")).to_have_text("nothing")
    expect(dashboard.locator("#stat-violations")).to_have_text("1")
    dashboard.check("#journal-violations-only")
    assert fireworks_status(server, "GET", "") == 200
    expect(dashboard.locator("#journal tr.entry")).to_have_count(2)
    expect(dashboard.locator("#journal tr.entry:visible")).to_have_count(1)
    assert "no key name" not in dashboard.locator("body").inner_text()


def test_coverage_counts_change_as_requests_come(dashboard: Page, server: BackgroundServer) -> None:
    listing = dashboard.locator(
        '#coverage [data-vendor="fireworks"] tr[data-operation="Gateway_ListSecrets"]'
    )
    expect(listing).to_have_class(re.compile(r"\bunreached\b"))
    expect(listing.locator(".never")).to_have_text("never reached")
    assert fireworks_status(server, "GET", "") == 200
    expect(listing.locator('td[data-status="200"]')).to_have_text("1")
    assert fireworks_status(server, "GET", "") == 200
    assert fireworks_status(server, "GET", "?pageSize=-1") == 400
    expect(listing.locator('td[data-status="200"]')).to_have_text("2")
    expect(listing.locator('td[data-status="400"]')).to_have_text("1")
    expect(listing).to_have_class(re.compile(r"\breached\b"))
    expect(listing.locator(".never")).to_have_count(0)
    creating = dashboard.locator('#coverage tr[data-operation="Gateway_CreateSecret"]')
    expect(creating.locator(".never")).to_have_text("never reached")


def test_tenants_put_elsewhere_appear_and_hostile_names_stay_text(
    dashboard: Page, server: BackgroundServer
) -> None:
    tenant = {
        "credentials": [{"token": "fw-globex", "role": "admin"}],
        "secrets": [{"name": "g1", "keyName": "GLOBEX_KEY", "value": "v-globex"}],
    }
    put = requests.put(
        f"{server.url}/__admin__/tenants/fireworks/{quote(HOSTILE, safe='')}",
        json=tenant,
        timeout=10,
    )
    assert put.status_code == 200
    card = dashboard.locator('.vendor[data-vendor="fireworks"]')
    expect(card.locator(".tenant")).to_have_count(2)
    expect(card.locator(".tenant").nth(1).locator(".tenant-head")).to_contain_text(HOSTILE)
    expect(card.locator(".secret").last).to_contain_text("GLOBEX_KEY")
    expect(dashboard.locator("#stat-tenants")).to_have_text("6")
    assert dashboard.evaluate("window.pwned") is None
    assert dashboard.locator(".vendor img").count() == 0


def test_with_an_admin_token_the_page_asks_for_it_and_sends_it_in_a_header(
    page: Page, server: BackgroundServer
) -> None:
    """The admin API's token check is emulated here by the browser's request routing:
    without ``Authorization: Bearer s3cret`` an admin call is answered 401."""
    seen: list[tuple[str, str | None]] = []

    def guard(route: Route) -> None:
        request = route.request
        if request.url.rstrip("/").endswith("/__admin__"):
            route.continue_()  # the page itself holds no data
            return
        header = request.headers.get("authorization")
        seen.append((request.url, header))
        if header != "Bearer s3cret":
            body = json.dumps({"error": "unauthorized", "message": "admin token required"})
            route.fulfill(status=401, content_type="application/json", body=body)
        else:
            route.continue_()

    page.route(re.compile(r".*/__admin__/.*"), guard)
    page.goto(server.url + "/__admin__/")
    expect(page.locator("#auth")).to_be_visible()
    page.fill("#admin-token", "wrong")
    page.click("#auth button[type=submit]")
    expect(page.locator("#auth-error")).to_have_text("That token was refused.")
    page.fill("#admin-token", "s3cret")
    page.click("#auth button[type=submit]")
    expect(page.locator("#auth")).to_be_hidden()
    expect(page.locator(".vendor")).to_have_count(5)
    expect(page.locator("#live-text")).to_have_text("live")
    assert page.evaluate("sessionStorage.getItem('secretmock.adminToken')") == "s3cret"
    assert any(header == "Bearer s3cret" for _, header in seen)
    assert all("s3cret" not in url for url, _ in seen), "the token never goes in a URL"
    assert "s3cret" not in page.url


def test_screenshot_of_a_busy_dashboard(
    dashboard: Page, server: BackgroundServer, screenshots: Path
) -> None:
    assert fireworks_status(server, "GET", "") == 200
    assert (
        fireworks_status(server, "PATCH", "/s1", json={"keyName": "WOLFRAM_ALPHA_API_KEY"}) == 200
    )
    assert fireworks_status(server, "PATCH", "/s1", json={"value": "no key name"}) == 400
    # A fault rule (the Instabase list below gets its 503) and a frozen clock, for the
    # scenario panels.
    rule = {"vendor": "instabase", "operation": "list_secrets", "status": 503, "times": 2}
    requests.post(f"{server.url}/__admin__/faults", json=rule, timeout=10)
    requests.put(f"{server.url}/__admin__/clock", json={"now": "2031-05-06T07:08:09Z"}, timeout=10)
    requests.get(
        f"{server.url}/instabase/api/v2/aihub/secrets",
        headers={"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"},
        timeout=10,
    )
    requests.get(
        f"{server.url}/langwatch/api/secrets", headers={"X-Auth-Token": "wrong"}, timeout=10
    )
    expect(dashboard.locator("#journal tr.entry")).to_have_count(5)
    expect(dashboard.locator("#faults .hits")).to_have_text("1")
    expect(dashboard.locator("#clock-mode")).to_have_text("frozen")
    dashboard.locator('.vendor[data-vendor="fireworks"] .credential .masked').click()
    expect(dashboard.locator("#stat-coverage")).to_have_text("4 / 25")
    path = screenshots / "dashboard.png"
    dashboard.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_the_drift_panel_of_a_proxy_shows_its_findings_as_text(
    page: Page, dashboard: Page, screenshots: Path
) -> None:
    """A proxy whose upstream adds a field named like markup to a listing, and answers
    a create with 201: the panel counts the exchanges and findings by severity and shows
    each finding's location and attribution, the markup as text. A plain server (the
    ``dashboard`` fixture's) has no drift panel."""
    from tests.drift.expected import mutated_body
    from tests.drift.sockets import socket_rig

    expect(dashboard.locator("#drift-panel")).to_be_hidden()
    rig = socket_rig()
    try:
        listing = "/fireworks/v1/accounts/acme/secrets"
        rig.stub.mutations[("GET", listing)] = mutated_body(lambda b: b.update({HOSTILE: 1}))
        rig.stub.mutations[("POST", listing)] = lambda a: replace(a, status=201)
        url = rig.proxy_server.url + listing
        assert requests.get(url, headers=FW, timeout=10).status_code == 200
        created = {"name": "new-key", "keyName": "NEW_KEY", "value": "v"}
        assert requests.post(url, headers=FW, json=created, timeout=10).status_code == 201
        page.goto(rig.proxy_server.url + "/__admin__/")
        panel = page.locator("#drift-panel")
        expect(panel).to_be_visible()
        expect(page.locator("#drift-summary")).to_have_text(
            "2 exchange(s) checked: 1 breaking, 1 warning, 1 info"
        )
        listed = panel.locator('#drift-operations tr[data-operation="Gateway_ListSecrets"]')
        expect(listed.locator(".d-exchanges")).to_have_text("1")
        expect(listed.locator(".d-info")).to_have_text("1")
        expect(listed.locator(".d-breaking")).to_have_text("0")
        made = panel.locator('#drift-operations tr[data-operation="Gateway_CreateSecret"]')
        expect(made.locator(".d-breaking")).to_have_text("1")
        added = panel.locator('#drift-findings tr.finding[data-kind="added"]')
        expect(added.locator(".f-location")).to_have_text("/" + HOSTILE)
        expect(added.locator(".f-attribution")).to_have_text("spec_gap")
        status = panel.locator('#drift-findings tr.finding[data-kind="status"]')
        expect(status.locator(".f-sides")).to_have_text("201 → 200")
        expect(status.locator(".f-severity")).to_have_text("breaking")
        assert page.evaluate("window.pwned") is None
        assert panel.locator("img").count() == 0
        shot = screenshots / "drift-panel.png"
        panel.screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000
    finally:
        rig.stop()
