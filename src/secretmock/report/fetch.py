"""``secretmock report``: a running server's contract report, fetched and summed up."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

FETCH_TIMEOUT_S = 30
SHOWN_VIOLATIONS = 50
"""Violations listed one per line in the summary; the files written hold every one."""


class ReportUnavailable(Exception):
    """The report cannot be had; the message says why and, where it can, what to do."""


def fetch_report(url: str, admin_token: str | None) -> Any:
    """The report at ``URL/__admin__/report`` (sent with the admin token if given)."""
    address = url.rstrip("/") + "/__admin__/report"
    asked = urllib.request.Request(address)
    if admin_token:
        asked.add_header("Authorization", f"Bearer {admin_token}")
    try:
        with urllib.request.urlopen(asked, timeout=FETCH_TIMEOUT_S) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise ReportUnavailable(_refused(address, exc, admin_token)) from None
    except (OSError, ValueError) as exc:
        raise ReportUnavailable(f"cannot fetch {address}: {exc}") from None


def _refused(address: str, exc: urllib.error.HTTPError, admin_token: str | None) -> str:
    """What the server said, and what to do about a missing or wrong token."""
    said = f"cannot fetch {address}: HTTP {exc.code} {exc.reason}"
    try:
        message = json.loads(exc.read()).get("message")
    except (OSError, ValueError, AttributeError):
        message = None
    if isinstance(message, str):
        said += f": {message}"
    if exc.code == 401:
        said += (
            ". The token given was refused: pass the server's own --admin-token."
            if admin_token
            else ". The server has an admin token: pass it with --admin-token TOKEN "
            "(or set SECRETMOCK_ADMIN_TOKEN)."
        )
    return said


def summary_lines(report: Any) -> list[str]:
    """Coverage per vendor, then each violation (vendor, operation, where in the request
    or response, rule; the request it came from), then the count."""
    lines = [
        f"{name}: {vendor['exercised']}/{vendor['total']} operations exercised"
        for name, vendor in report["vendors"].items()
    ]
    violations = report["violations"]
    lines += [violation_line(v) for v in violations[:SHOWN_VIOLATIONS]]
    if len(violations) > SHOWN_VIOLATIONS:
        lines.append(
            f"  ... and {len(violations) - SHOWN_VIOLATIONS} more (every one is in the "
            "--json, --junit and --html files)"
        )
    lines.append(f"{len(violations)} contract violation(s)")
    return lines


def violation_line(violation: dict[str, Any]) -> str:
    """``  fireworks Gateway_UpdateSecret (PATCH /v1/... -> 400): body /keyName:
    required: 'keyName' is a required property``. What came from the client (path,
    location, message) is shown escaped: no control character reaches the log."""
    operation = violation.get("operationId") or "(no such route)"
    request = f"{violation['method']} {_shown(violation['path'])} -> {violation['status']}"
    where = f"{violation['part']} {_shown(violation.get('location') or '/')}"
    message = violation.get("message")
    said = f"{violation['rule']}: {_shown(message)}" if message else violation["rule"]
    return f"  {violation['vendor']} {operation} ({request}): {where}: {said}"


def _shown(text: str) -> str:
    """``text`` with control and other non-ASCII characters escaped as in JSON."""
    return json.dumps(text)[1:-1]
