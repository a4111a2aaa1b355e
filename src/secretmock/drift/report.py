"""The drift report: the JSON document, its JUnit XML and its HTML page.

The document (``GET /__admin__/drift``, ``--drift-report``)::

    {"format": 1, "exchanges": N,
     "operations": [{"vendor", "operation", "exchanges", "findings", "breaking"}],
     "findings": [{"kind", "severity", "attribution", "vendor", "operation", "method",
                   "path", "location", "real", "emulated", "detail", "count"}]}

A finding seen again in later exchanges is listed once, with ``count``: how many
exchanges had it. An operation's ``findings`` and ``breaking`` count its distinct
findings. Nothing in it is a secret value or a string a client or vendor wrote, bar
request paths of requests that matched no operation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from secretmock.drift.findings import Finding, Where
from secretmock.report.html import STYLE, _e, _stat

FORMAT = 1
SCOPE_KEY = "secretmock.drift"
"""Where a proxy puts its live :class:`DriftReport` in the ASGI scope of the requests it
passes on (the admin API's ``GET /__admin__/drift`` reads it there)."""
MAX_FINDINGS = 10_000
"""Distinct findings kept at most; later new ones are only counted (``dropped``)."""
NO_ROUTE = "(no such route)"


@dataclass
class _Tally:
    vendor: str
    operation: str | None
    exchanges: int = 0
    findings: int = 0
    breaking: int = 0


class DriftReport:
    """The findings of every exchange so far, by operation (safe to share between
    threads: a proxy's requests add to it while the admin API reads it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.exchanges = 0
        self._operations: dict[tuple[str, str | None], _Tally] = {}
        self._findings: dict[tuple[Any, ...], list[Any]] = {}
        self.dropped = 0

    def add(self, where: Where, findings: Iterable[Finding]) -> None:
        """Counts one exchange of ``where``'s operation and its findings."""
        with self._lock:
            self.exchanges += 1
            tally = self._operations.setdefault(
                (where.vendor, where.operation), _Tally(where.vendor, where.operation)
            )
            tally.exchanges += 1
            for finding in findings:
                self._add(tally, finding)

    def _add(self, tally: _Tally, finding: Finding) -> None:
        key = finding.key()
        seen = self._findings.get(key)
        if seen is not None:
            seen[1] += 1
        elif len(self._findings) >= MAX_FINDINGS:
            self.dropped += 1
        else:
            self._findings[key] = [finding, 1]
            tally.findings += 1
            tally.breaking += finding.breaking

    def findings(self) -> list[Finding]:
        """The distinct findings, in the order first seen."""
        with self._lock:
            return [finding for finding, _ in self._findings.values()]

    def document(self) -> dict[str, Any]:
        """The drift document (see the module)."""
        with self._lock:
            operations = [
                {
                    "vendor": t.vendor,
                    "operation": t.operation,
                    "exchanges": t.exchanges,
                    "findings": t.findings,
                    "breaking": t.breaking,
                }
                for t in self._operations.values()
            ]
            findings = [
                {**finding.as_dict(), "count": count} for finding, count in self._findings.values()
            ]
            document: dict[str, Any] = {
                "format": FORMAT,
                "exchanges": self.exchanges,
                "operations": operations,
                "findings": findings,
            }
            if self.dropped:
                document["dropped"] = self.dropped
            return document


def breaking(document: dict[str, Any]) -> int:
    """How many distinct breaking findings a drift document holds (a replay's exit)."""
    return sum(1 for f in document["findings"] if f["severity"] == "breaking")


# -- JUnit --------------------------------------------------------------------------------


def junit_xml(document: dict[str, Any]) -> str:
    """One test case per operation seen; each breaking finding fails it, the others
    are listed in its ``system-out``."""
    suite = ElementTree.Element("testsuite", name="secretmock drift")
    by_operation: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for finding in document["findings"]:
        by_operation.setdefault((finding["vendor"], finding["operation"]), []).append(finding)
    failures = 0
    for operation in document["operations"]:
        key = (operation["vendor"], operation["operation"])
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=operation["vendor"],
            name=operation["operation"] or NO_ROUTE,
        )
        notes = []
        for finding in by_operation.get(key, []):
            if finding["severity"] == "breaking":
                failures += 1
                failure = ElementTree.SubElement(case, "failure", message=summary(finding))
                failure.text = describe(finding)
            else:
                notes.append(f"{finding['severity']}: {describe(finding)}")
        if notes:
            ElementTree.SubElement(case, "system-out").text = "\n".join(notes)
    suite.set("tests", str(len(document["operations"])))
    suite.set("failures", str(failures))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)


def summary(finding: dict[str, Any]) -> str:
    """``kind at location``: one line for a finding."""
    detail = f" ({finding['detail']})" if finding.get("detail") else ""
    return f"{finding['kind']}{detail} at {finding['location'] or '/'}"


def describe(finding: dict[str, Any]) -> str:
    """A finding for a person: the request, the difference, whose it is."""
    return (
        f"{finding['method']} {finding['path']}: {summary(finding)}: real {_side(finding['real'])}"
        f", emulated {_side(finding['emulated'])}; {finding['attribution']}"
        f" (seen {finding.get('count', 1)} time(s))"
    )


def _side(value: Any) -> str:
    return "-" if value is None else str(value)


# -- HTML ---------------------------------------------------------------------------------

DRIFT_STYLE = """
.sev { display: inline-block; border-radius: 5px; padding: 0 6px; font-weight: 650; }
.sev-breaking { color: #b42318; background: #fde8e6; }
.sev-warning { color: #9a5b00; background: #fff3d6; }
.sev-info { color: #1d4ed8; background: #e0eaff; }
"""


def report_html(document: dict[str, Any]) -> str:
    """The drift document as one static page (no script, nothing fetched; every string
    escaped)."""
    findings: list[dict[str, Any]] = document["findings"]
    broken = breaking(document)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>secretmock drift report</title>",
        f"<style>{STYLE}{DRIFT_STYLE}</style></head><body><main>",
        "<h1>secretmock drift report</h1>",
        '<div class="muted">the real vendors compared with the emulator</div>',
        '<div class="summary">',
        _stat("Exchanges", document["exchanges"], "", "#operations"),
        _stat("Breaking", broken, "bad" if broken else "good", "#findings"),
        _stat("Findings", len(findings), "", "#findings"),
        "</div>",
        '<h2 id="operations">Operations</h2>',
        _operations(document["operations"]),
        f'<h2 id="findings">Findings ({len(findings)})</h2>',
        *(_finding(f) for f in findings),
        *([] if findings else ['<p class="none">The real answers and the emulator agree.</p>']),
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _operations(operations: list[dict[str, Any]]) -> str:
    rows = "".join(
        f'<tr data-vendor="{_e(op["vendor"])}" data-operation="{_e(op["operation"] or "")}">'
        f'<td>{_e(op["vendor"])}</td><td class="mono">{_e(op["operation"] or NO_ROUTE)}</td>'
        f'<td class="count">{_e(op["exchanges"])}</td><td class="count">{_e(op["findings"])}</td>'
        f'<td class="count">{_e(op["breaking"])}</td></tr>'
        for op in operations
    )
    return (
        "<table><thead><tr><th>vendor</th><th>operation</th><th>exchanges</th>"
        f"<th>findings</th><th>breaking</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _finding(finding: dict[str, Any]) -> str:
    fields = [
        ("request", f"{finding['method']} {finding['path']}"),
        ("vendor", finding["vendor"]),
        ("operation", finding["operation"] or NO_ROUTE),
        ("location", finding["location"] or "/"),
        ("real", _side(finding["real"])),
        ("emulated", _side(finding["emulated"])),
        ("attribution", finding["attribution"]),
        ("seen", finding.get("count", 1)),
    ]
    details = "".join(
        f'<dt>{_e(label)}</dt><dd class="mono v-{label}">{_e(value)}</dd>'
        for label, value in fields
    )
    severity = _e(finding["severity"])
    return (
        f'<div class="violation" data-kind="{_e(finding["kind"])}" data-severity="{severity}">'
        f'<div class="title"><span class="sev sev-{severity}">{severity}</span> '
        f"{_e(summary(finding))}</div><dl>{details}</dl></div>"
    )
