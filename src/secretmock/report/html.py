"""The contract report as one static HTML file, for a CI job's artifacts.

:func:`report_html` turns the report of :func:`secretmock.report.build_report`
(or the JSON of ``GET /__admin__/report``) into a page with no script and nothing to
fetch: the coverage matrix of every vendor, then every violation. Every string from the
report (request paths above all: a client chooses them) is HTML-escaped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from typing import Any

STYLE = """
body { margin: 0; background: #f6f7f9; color: #1d2330;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 10px; }
h3 { font-size: 14px; margin: 18px 0 8px; }
.muted { color: #667085; }
code, .mono { font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 12.5px; }
.summary { display: flex; gap: 14px; margin: 16px 0; }
.stat { background: #fff; border: 1px solid #e4e7ec; border-radius: 10px; padding: 10px 16px;
  min-width: 160px; color: inherit; text-decoration: none; }
a.stat:hover { border-color: #98a2b3; }
.stat .label { color: #667085; font-size: 12px; text-transform: uppercase; letter-spacing: .5px; }
.stat .value { font-size: 22px; font-weight: 650; }
.stat.bad .value { color: #b42318; } .stat.good .value { color: #1f7a3f; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #e4e7ec; }
th { text-align: left; color: #667085; font-size: 12px; text-transform: uppercase;
  letter-spacing: .4px; padding: 7px 10px; border-bottom: 1px solid #e4e7ec; background: #fafbfc; }
td { padding: 6px 10px; border-bottom: 1px solid #f0f2f5; vertical-align: top; }
td.count { text-align: center; width: 72px; font-variant-numeric: tabular-nums; }
td.hit { font-weight: 650; }
.s2xx { color: #1f7a3f; background: #e3f6e9; } .s3xx { color: #1d4ed8; background: #e0eaff; }
.s4xx { color: #9a5b00; background: #fff3d6; } .s5xx { color: #b42318; background: #fde8e6; }
.status { display: inline-block; min-width: 38px; text-align: center; border-radius: 5px;
  font-weight: 650; padding: 0 6px; }
tr.unreached td { color: #98a2b3; }
.never { font-size: 11.5px; color: #b42318; background: #fde8e6; border-radius: 10px;
  padding: 0 7px; margin-left: 6px; }
.violation { background: #fff; border: 1px solid #e4e7ec; border-left: 3px solid #b42318;
  border-radius: 0 8px 8px 0; padding: 10px 14px; margin-bottom: 10px; }
.violation .title { font-weight: 600; color: #b42318; }
.violation dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px;
  margin: 6px 0 0; }
.violation dt { color: #667085; } .violation dd { margin: 0; overflow-wrap: anywhere; }
.none { background: #e3f6e9; color: #1f7a3f; border-radius: 8px; padding: 10px 14px; }
"""


def report_html(report: dict[str, Any]) -> str:
    """The whole page for ``report``: the summary, every violation (why CI failed, so
    first, and linked from the summary's count), then the coverage per vendor."""
    vendors: dict[str, Any] = report["vendors"]
    violations: list[dict[str, Any]] = report["violations"]
    reached = sum(v["exercised"] for v in vendors.values())
    total = sum(v["total"] for v in vendors.values())
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>secretmock contract report</title>",
        f"<style>{STYLE}</style></head><body><main>",
        "<h1>secretmock contract report</h1>",
        f'<div class="muted">secretmock {_e(report.get("secretmock", ""))}</div>',
        '<div class="summary">',
        _stat("Violations", len(violations), "bad" if violations else "good", "#violations"),
        _stat("Operations reached", f"{reached} / {total}", "", "#coverage"),
        "</div>",
        f'<h2 id="violations">Violations ({len(violations)})</h2>',
        *(_violations(violations)),
        '<h2 id="coverage">Coverage</h2>',
        '<p class="muted">Every operation of every spec, against the statuses it answered.</p>',
        *(_coverage(name, vendor) for name, vendor in vendors.items()),
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _stat(label: str, value: Any, kind: str, target: str) -> str:
    """One summary box, a link to the section (``target``) that details it."""
    return (
        f'<a class="stat {kind}" href="{_e(target)}"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div></a>'
    )


def _status_class(status: Any) -> str:
    return f"s{str(status)[:1]}xx"


def _coverage(name: str, vendor: dict[str, Any]) -> str:
    operations: list[dict[str, Any]] = vendor["operations"]
    statuses = sorted({s for op in operations for s in op["statuses"]}, key=int)
    head = "".join(
        f'<th class="count"><span class="status {_status_class(s)}">{_e(s)}</span></th>'
        for s in statuses
    )
    rows = []
    for op in operations:
        reached = bool(op["statuses"])
        mark = "" if reached else '<span class="never">never reached</span>'
        cells = "".join(_count_cell(s, op["statuses"].get(s)) for s in statuses)
        rows.append(
            f'<tr class="{"reached" if reached else "unreached"}" '
            f'data-operation="{_e(op["operationId"])}">'
            f'<td><span class="mono">{_e(op["operationId"])}</span>{mark}</td>'
            f'<td class="mono">{_e(op["method"])} {_e(op["path"])}</td>{cells}</tr>'
        )
    unrouted = vendor.get("unrouted", 0)
    note = f" · {_e(unrouted)} request(s) matched no route" if unrouted else ""
    return (
        f'<section class="vendor" data-vendor="{_e(name)}"><h3>{_e(name)} '
        f'<span class="muted">{_e(vendor["exercised"])} of {_e(vendor["total"])} operations '
        f"reached{note}</span></h3>"
        f"<table><thead><tr><th>operation</th><th>request</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _count_cell(status: str, count: int | None) -> str:
    if not count:
        return f'<td class="count" data-status="{_e(status)}">·</td>'
    return f'<td class="count hit {_status_class(status)}" data-status="{_e(status)}">{count}</td>'


def _violations(violations: Iterable[dict[str, Any]]) -> list[str]:
    blocks = [_violation(v) for v in violations]
    return blocks or ['<p class="none">No request broke a spec.</p>']


def expected_text(expected: Any) -> str:
    """The spec's value for the rule, as JSON unless it is a plain string."""
    if expected is None:
        return "-"
    return expected if isinstance(expected, str) else json.dumps(expected)


def found_text(actual: str | None, size: int | None) -> str:
    """What was there, by JSON type and size (as ``Violation.found`` says it)."""
    if actual is None:
        return "nothing"
    if actual == "":
        return "(none)"
    if size is None:
        return actual
    unit = {"string": "of length {}", "array": "of {} items", "object": "with {} properties"}
    return f"{actual} {unit.get(actual, 'of size {}').format(size)}"


def _violation(v: dict[str, Any]) -> str:
    fields = [
        ("request", f"{v['method']} {v['path']} → {v['status']}"),
        ("vendor", v["vendor"]),
        ("operation", v["operationId"] or "(no such route)"),
        ("location", f"{v['part']} {v['location'] or '/'}"),
        ("rule", v["rule"]),
        ("expected", expected_text(v.get("expected"))),
        ("actual", found_text(v.get("actual"), v.get("size"))),
    ]
    details = "".join(
        f'<dt>{_e(label)}</dt><dd class="mono v-{label}">{_e(value)}</dd>'
        for label, value in fields
    )
    return (
        f'<div class="violation" data-seq="{_e(v["seq"])}">'
        f'<div class="title">{_e(v["message"])}</div><dl>{details}</dl></div>'
    )
