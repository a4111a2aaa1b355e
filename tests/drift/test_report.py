"""The drift report: the JSON document, the JUnit XML (a test case per operation seen,
breaking findings fail) and the HTML page (everything escaped)."""

from __future__ import annotations

from xml.etree import ElementTree

from secretmock.drift.findings import Attribution, Finding, Kind, Severity, Where
from secretmock.drift.report import DriftReport, breaking, junit_xml, report_html

GET = Where(
    "fireworks", "Gateway_GetSecret", "GET", "/v1/accounts/{account_id}/secrets/{secret_id}"
)
LIST = Where("fireworks", "Gateway_ListSecrets", "GET", "/v1/accounts/{account_id}/secrets")
NOWHERE = Where("fireworks", None, "GET", "/v1/<script>alert(1)</script>")


def finding(where: Where, kind: Kind, severity: Severity, location: str = "/code") -> Finding:
    return Finding(kind, severity, Attribution.EMULATOR_GAP, where, location, 7, 5, "code")


def sample() -> DriftReport:
    report = DriftReport()
    code = finding(GET, Kind.VALUE, Severity.BREAKING)
    report.add(GET, [code, finding(GET, Kind.ADDED, Severity.INFO, "/extra")])
    report.add(GET, [code])
    report.add(LIST, [])
    report.add(NOWHERE, [finding(NOWHERE, Kind.VALUE, Severity.WARNING, "/<b>")])
    return report


def test_the_document() -> None:
    document = sample().document()
    assert set(document) == {"format", "exchanges", "operations", "findings"}
    assert document["format"] == 1 and document["exchanges"] == 4
    assert document["operations"] == [
        {
            "vendor": "fireworks",
            "operation": "Gateway_GetSecret",
            "exchanges": 2,
            "findings": 2,
            "breaking": 1,
        },
        {
            "vendor": "fireworks",
            "operation": "Gateway_ListSecrets",
            "exchanges": 1,
            "findings": 0,
            "breaking": 0,
        },
        {"vendor": "fireworks", "operation": None, "exchanges": 1, "findings": 1, "breaking": 0},
    ]
    first = document["findings"][0]
    assert first == {
        "kind": "value",
        "severity": "breaking",
        "attribution": "emulator_gap",
        "vendor": "fireworks",
        "operation": "Gateway_GetSecret",
        "method": "GET",
        "path": "/v1/accounts/{account_id}/secrets/{secret_id}",
        "location": "/code",
        "real": 7,
        "emulated": 5,
        "detail": "code",
        "count": 2,
    }
    assert breaking(document) == 1


def test_junit_has_a_case_per_operation_seen_and_breaking_findings_fail() -> None:
    suite = ElementTree.fromstring(junit_xml(sample().document()))
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"Gateway_GetSecret", "Gateway_ListSecrets", "(no such route)"}
    [failure] = cases["Gateway_GetSecret"].findall("failure")
    assert failure.get("message") == "value (code) at /code"
    assert "real 7, emulated 5; emulator_gap (seen 2 time(s))" in (failure.text or "")
    out = cases["Gateway_GetSecret"].find("system-out")
    assert out is not None and (out.text or "").startswith("info: GET ")
    assert cases["Gateway_ListSecrets"].findall("failure") == []


def test_the_html_page_escapes_everything() -> None:
    page = report_html(sample().document())
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "/&lt;b&gt;" in page
    assert page.count('data-severity="breaking"') == 1
    assert 'data-operation="Gateway_ListSecrets"' in page


def test_an_empty_report() -> None:
    document = DriftReport().document()
    assert document == {"format": 1, "exchanges": 0, "operations": [], "findings": []}
    assert "agree" in report_html(document)
    assert ElementTree.fromstring(junit_xml(document)).get("tests") == "0"
