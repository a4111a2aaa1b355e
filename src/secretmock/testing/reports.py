"""The contract report's files, and one report made of several (pytest-xdist's workers
each run an emulator of their own; the controller writes their merged report)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from secretmock.report import junit_xml


def write_report_files(
    report: dict[str, Any],
    *,
    json_path: str | Path | None = None,
    junit_path: str | Path | None = None,
    html_path: str | Path | None = None,
) -> None:
    """Writes ``report`` (:func:`secretmock.report.build_report`'s form) as each file
    named: JSON, JUnit XML, one static HTML page."""
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=2), encoding="utf-8")
    if junit_path:
        Path(junit_path).write_text(junit_xml(report), encoding="utf-8")
    if html_path:
        from secretmock.report.html import report_html

        Path(html_path).write_text(report_html(report), encoding="utf-8")


def merge_reports(reports: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One report of several emulators' (same vendors and specs): every status count
    summed per operation, ``exercised`` counted again, ``unrouted`` summed, and every
    violation kept, in the order of ``reports`` (each ``seq`` is its emulator's own)."""
    reports = list(reports)
    if not reports:
        raise ValueError("no report to merge")
    merged: dict[str, Any] = {
        "secretmock": reports[0]["secretmock"],
        "vendors": {},
        "violations": [v for report in reports for v in report["violations"]],
    }
    for report in reports:
        for name, vendor in report["vendors"].items():
            into = merged["vendors"].setdefault(name, _empty_like(vendor))
            into["unrouted"] += vendor["unrouted"]
            for target, source in zip(into["operations"], vendor["operations"], strict=True):
                for status, count in source["statuses"].items():
                    target["statuses"][status] = target["statuses"].get(status, 0) + count
    for vendor in merged["vendors"].values():
        for operation in vendor["operations"]:
            operation["statuses"] = dict(sorted(operation["statuses"].items()))
        vendor["exercised"] = sum(1 for op in vendor["operations"] if op["statuses"])
    return merged


def _empty_like(vendor: dict[str, Any]) -> dict[str, Any]:
    return {
        "operations": [{**op, "statuses": {}} for op in vendor["operations"]],
        "exercised": 0,
        "total": vendor["total"],
        "unrouted": 0,
    }
