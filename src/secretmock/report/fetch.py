"""``secretmock report``: a running server's contract report, fetched and written out."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

FETCH_TIMEOUT_S = 30


def fetch_and_write(
    url: str,
    admin_token: str | None,
    *,
    junit: Path | None = None,
    json_file: Path | None = None,
    html: Path | None = None,
) -> int:
    """Fetches ``URL/__admin__/report``, writes the files asked for and prints a summary;
    the exit status: 0 without violations, 1 with, 2 when the report cannot be had."""
    from secretmock.report import junit_xml

    address = url.rstrip("/") + "/__admin__/report"
    try:
        report = _fetch(address, admin_token)
    except (OSError, ValueError) as exc:
        print(f"secretmock: cannot fetch {address}: {exc}", file=sys.stderr)
        return 2
    if json_file:
        json_file.write_text(json.dumps(report, indent=2))
    if junit:
        junit.write_text(junit_xml(report))
    if html:
        from secretmock.report.html import report_html

        html.write_text(report_html(report), encoding="utf-8")
    count = len(report["violations"])
    for name, vendor in report["vendors"].items():
        print(f"{name}: {vendor['exercised']}/{vendor['total']} operations exercised")
    print(f"{count} contract violation(s)")
    return 1 if count else 0


def _fetch(address: str, admin_token: str | None) -> Any:
    asked = urllib.request.Request(address)
    if admin_token:
        asked.add_header("Authorization", f"Bearer {admin_token}")
    with urllib.request.urlopen(asked, timeout=FETCH_TIMEOUT_S) as response:
        return json.loads(response.read())
