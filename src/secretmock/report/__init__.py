"""Contract reports: operation coverage and violations, as JSON and as JUnit XML."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from xml.etree import ElementTree

from secretmock import __version__
from secretmock.engine.emulator import Emulator
from secretmock.engine.journal import JournalEntry


def violation_records(entries: Iterable[JournalEntry]) -> list[dict[str, Any]]:
    """Each violation of ``entries``, with the request it belongs to (no values)."""
    return [
        {
            "seq": entry.seq,
            "vendor": entry.vendor,
            "operationId": entry.operation_id,
            "method": entry.method,
            "path": entry.path,
            "status": entry.status,
            **violation.as_dict(),
        }
        for entry in entries
        for violation in entry.violations
    ]


def build_report(emulator: Emulator) -> dict[str, Any]:
    """Per vendor, every spec operation with the statuses it answered; every violation."""
    coverage = emulator.journal.coverage()
    vendors = {}
    for name, pipeline in emulator.pipelines.items():
        operations = [
            {
                "operationId": op.operation_id,
                "method": op.method.upper(),
                "path": op.path_template,
                "statuses": {
                    str(status): count
                    for status, count in sorted(coverage.get((name, op.operation_id), {}).items())
                },
            }
            for op in pipeline.spec.operations
        ]
        exercised = sum(1 for op in operations if op["statuses"])
        vendors[name] = {
            "operations": operations,
            "exercised": exercised,
            "total": len(operations),
            "unrouted": sum(coverage.get((name, None), {}).values()),
        }
    violations = violation_records(emulator.journal.violating())
    return {"secretmock": __version__, "vendors": vendors, "violations": violations}


def junit_xml(report: dict[str, Any]) -> str:
    """One test case per spec operation, failed by each violation it caused."""
    suite = ElementTree.Element("testsuite", name="secretmock contract")
    failures = 0
    by_operation: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for violation in report["violations"]:
        by_operation.setdefault((violation["vendor"], violation["operationId"]), []).append(
            violation
        )
    cases = [
        (vendor, op["operationId"])
        for vendor, v in report["vendors"].items()
        for op in v["operations"]
    ]
    cases += [key for key in by_operation if key not in cases]
    for vendor, operation_id in cases:
        case = ElementTree.SubElement(
            suite, "testcase", classname=vendor, name=operation_id or "(no such route)"
        )
        for violation in by_operation.get((vendor, operation_id), []):
            failures += 1
            failure = ElementTree.SubElement(
                case,
                "failure",
                message=f"{violation['part']} {violation['location'] or '/'}: {violation['rule']}",
            )
            failure.text = (
                f"{violation['method']} {violation['path']} -> {violation['status']}: "
                f"{violation['message']} ({_expected_and_found(violation)})"
            )
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)


def _expected_and_found(violation: dict[str, Any]) -> str:
    """``expected <the spec's value>, got <JSON type and size>`` of a violation record."""
    expected = json.dumps(violation.get("expected"))
    found = violation.get("actual") or "nothing"
    if violation.get("size") is not None:
        found += f" (size {violation['size']})"
    return f"expected {expected}, got {found}"
