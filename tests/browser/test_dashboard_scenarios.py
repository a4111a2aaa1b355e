"""The dashboard's scenario panels in a real browser: fault rules added, counted and
removed; journal rows marked with the rule that hit them; the clock moved."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer
from tests.helpers import fireworks_status


def test_a_rule_added_in_the_page_hits_and_is_counted(
    dashboard: Page, server: BackgroundServer, emulator: Emulator
) -> None:
    panel = dashboard.locator("#faults-panel")
    expect(panel.locator("#faults-empty")).to_be_visible()
    panel.locator("#fault-vendor").select_option("fireworks")
    expect(panel.locator("#fault-operation option")).to_have_count(6)  # any + 5 operations
    panel.locator("#fault-operation").select_option("Gateway_ListSecrets")
    panel.locator("#fault-status").fill("503")
    panel.locator("#fault-retry-after").fill("2")
    panel.locator("#fault-times").fill("1")
    panel.get_by_role("button", name="Add rule").click()
    row = panel.locator("#faults tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".effect")).to_have_text("answers 503, Retry-After 2 s")
    [rule] = emulator.faults.active
    assert (rule.vendor, rule.operation, rule.status, rule.times) == (
        "fireworks",
        "Gateway_ListSecrets",
        503,
        1,
    )
    assert fireworks_status(server, "GET", "") == 503
    expect(row.locator(".hits")).to_have_text("1")
    expect(row.locator(".remaining")).to_have_text("0")
    journal_row = dashboard.locator("#journal tr.entry").first
    expect(journal_row.locator(".fault-badge")).to_have_text(f"fault {rule.id}")
    row.get_by_role("button", name="remove").click()
    expect(panel.locator("#faults-empty")).to_be_visible()
    assert emulator.faults.active == ()


def test_a_bad_rule_shows_the_apis_message(dashboard: Page, emulator: Emulator) -> None:
    panel = dashboard.locator("#faults-panel")
    panel.locator("#fault-vendor").select_option("langwatch")
    panel.get_by_role("button", name="Add rule").click()  # no status, delay or disconnect
    expect(panel.locator("#fault-error")).to_contain_text("at least one of")
    assert emulator.faults.active == ()
    # The browser's own check blocks the next submit (status 700): the old message goes.
    panel.locator("#fault-status").fill("700")
    panel.get_by_role("button", name="Add rule").click()
    expect(panel.locator("#fault-error")).to_have_text("")
    assert emulator.faults.active == ()


def test_rules_added_elsewhere_show_and_a_dropped_request_says_so(
    dashboard: Page, server: BackgroundServer
) -> None:
    added = requests.post(
        server.url + "/__admin__/faults",
        json={"vendor": "fireworks", "disconnect": True, "times": 1},
        timeout=10,
    )
    assert added.status_code == 201
    row = dashboard.locator(f'#faults tr[data-fault="{added.json()["id"]}"]')
    expect(row.locator(".effect")).to_have_text("drops the connection")
    with pytest.raises(requests.ConnectionError):
        fireworks_status(server, "GET", "")
    expect(dashboard.locator("#journal tr.entry").first.locator(".status")).to_have_text("drop")


def test_the_clock_panel_freezes_advances_and_runs_on(dashboard: Page, emulator: Emulator) -> None:
    panel = dashboard.locator("#clock-panel")
    expect(panel.locator("#clock-mode")).to_have_text("running")
    panel.locator("#clock-at").fill("2031-05-06T07:08:09Z")
    panel.get_by_role("button", name="Freeze at").click()
    expect(panel.locator("#clock-now")).to_have_text("2031-05-06T07:08:09.000000Z")
    expect(panel.locator("#clock-mode")).to_have_text("frozen")
    panel.get_by_role("button", name="+1 day").click()
    expect(panel.locator("#clock-now")).to_have_text("2031-05-07T07:08:09.000000Z")
    panel.locator("#clock-at").fill("tomorrow")
    panel.get_by_role("button", name="Freeze at").click()
    expect(panel.locator("#clock-error")).to_contain_text("not an ISO-8601 time")
    panel.get_by_role("button", name="Run on").click()
    expect(panel.locator("#clock-mode")).to_have_text("running")
    assert not emulator.clock.frozen
    expect(panel.locator("#clock-now")).to_have_text(re.compile(r"^2031-05-07T07:"))
