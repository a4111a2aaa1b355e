"""The contract report as a static HTML page: complete, self-contained, escaped."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from secretmock.report import build_report
from secretmock.report.html import expected_text, found_text, report_html
from tests.conftest import Api

FW = {"Authorization": "Bearer fw-test-acme"}
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _loads(name: str, value: str | None) -> bool:
    """Whether an attribute could load or run something: any ``src``, an ``on*`` handler,
    an ``href`` that leaves the page."""
    if name == "href":
        return not (value or "").startswith("#")
    return name == "src" or name.startswith("on")


class Page(HTMLParser):
    """Collects the tags, the attributes that could load or run something, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.loading: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.fragments: list[str] = []
        """Links within the page (``#id``): they load nothing."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.loading += [(n, v) for n, v in attrs if _loads(n, v)]
        self.fragments += [v for n, v in attrs if n == "href" and v and v.startswith("#")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def violation(**overrides: Any) -> dict[str, Any]:
    base = {
        "seq": 1,
        "vendor": "fireworks",
        "operationId": "Gateway_UpdateSecret",
        "method": "PATCH",
        "path": "/v1/accounts/acme/secrets/s1",
        "status": 400,
        "part": "body",
        "location": "/keyName",
        "rule": "required",
        "message": "'keyName' is a required property",
        "expected": ["keyName"],
        "actual": None,
        "size": None,
    }
    return {**base, **overrides}


def test_coverage_and_violations_of_a_real_report(api: Api, emulator: Any) -> None:
    emulator.journal.clear()
    api.request("GET", "/fireworks/v1/accounts/acme/secrets", headers=FW)
    api.request("PATCH", "/fireworks/v1/accounts/acme/secrets/s1", headers=FW, json={"value": "v"})
    html = report_html(build_report(emulator))
    page = parsed(html)
    assert "script" not in page.tags and page.loading == []
    text = " ".join(" ".join(page.text).split())
    assert "Gateway_ListSecrets GET /v1/accounts/{account_id}/secrets 1" in text
    assert "Gateway_CreateSecret never reached" in text
    assert "2 of 5 operations reached" in text
    assert 'location body /keyName rule required expected ["keyName"] actual nothing' in text
    assert "Violations (1)" in text
    assert page.fragments == ["#violations", "#coverage"]  # the summary's boxes
    assert text.index("Violations (1)") < text.index("Coverage")  # why CI failed, first
    for vendor in ("prismeai", "langwatch", "instabase", "insforge", "fireworks"):
        assert f'data-vendor="{vendor}"' in html


def test_no_violation_says_so() -> None:
    report = {"secretmock": "0", "vendors": {}, "violations": []}
    assert "No request broke a spec." in report_html(report)


def test_every_string_from_the_report_is_escaped() -> None:
    report = {
        "secretmock": HOSTILE,
        "vendors": {
            HOSTILE: {
                "operations": [
                    {
                        "operationId": HOSTILE,
                        "method": "GET",
                        "path": HOSTILE,
                        "statuses": {"200": 1},
                    }
                ],
                "exercised": 1,
                "total": 1,
                "unrouted": 0,
            }
        },
        "violations": [
            violation(
                vendor=HOSTILE,
                operationId=HOSTILE,
                path="/v1/accounts/" + HOSTILE,
                location="/" + HOSTILE,
                rule=HOSTILE,
                message=HOSTILE,
                expected=[HOSTILE],
                actual=HOSTILE,
            )
        ],
    }
    html = report_html(report)
    page = parsed(html)
    assert "script" not in page.tags and "img" not in page.tags and page.loading == []
    assert HOSTILE not in html
    assert sum(HOSTILE in chunk for chunk in page.text) >= 8, "shown as text, not lost"


@pytest.mark.parametrize(
    "expected, text",
    [
        pytest.param(None, "-", id="nothing-declared"),
        pytest.param("integer", "integer", id="a-type-name"),
        pytest.param(10000, "10000", id="a-number"),
        pytest.param(["keyName"], '["keyName"]', id="required-names"),
        pytest.param(True, "true", id="a-required-parameter"),
    ],
)
def test_expected_text(expected: Any, text: str) -> None:
    assert expected_text(expected) == text


@pytest.mark.parametrize(
    "actual, size, text",
    [
        pytest.param(None, None, "nothing", id="nothing-there"),
        pytest.param("", None, "(none)", id="no-content-type"),
        pytest.param("number", None, "number", id="a-number"),
        pytest.param("string", 5, "string of length 5", id="a-string"),
        pytest.param("array", 2, "array of 2 items", id="an-array"),
        pytest.param("object", 3, "object with 3 properties", id="an-object"),
    ],
)
def test_found_text(actual: str | None, size: int | None, text: str) -> None:
    assert found_text(actual, size) == text
