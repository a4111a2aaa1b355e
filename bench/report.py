"""The benchmark's output: bench-results.json and the table printed from the same figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results.json"


def write_results(results: dict[str, Any], path: Path = RESULTS) -> None:
    path.write_text(json.dumps(results, indent=2))


def print_table(results: dict[str, Any], path: Path = RESULTS) -> None:
    floor = results["floor"]["rps"]
    print(
        f"\nwrk -t1 -c{results['connections']} -d{results['duration']}, "
        "one uvicorn worker (uvloop, httptools)"
    )
    print(f"{'workload':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'x floor':>10}{'non-2xx':>9}")
    rows = [("floor (bare Starlette)", results["floor"])]
    rows += [(f"{name} seed update", r) for name, r in results["vendors"].items()]
    rows += [("fireworks mixed CRUD", results["mixed"])]
    if "mixed_state" in results:
        rows += [("  the same, --state", results["mixed_state"])]
    for label, r in rows:
        print(
            f"{label:<22}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}"
            f"{r['rps'] / floor:>10.2f}{r['non_2xx']:>9}"
        )
    if "mixed_state" in results:
        ratio = results["mixed_state"]["rps"] / results["mixed"]["rps"]
        print(f"mixed CRUD with --state: {ratio:.2f} of its req/s without (target >= 0.90)")
    print(f"\nstart-up to first 200 (five specs): {results['startup_s']:.3f} s")
    print(f"RSS after load: {results['rss_mb']} MB")
    costs = results["in_process"]
    print(
        f"in-process: pipeline {costs['pipeline_ms']:.3f} ms, via requests interception "
        f"{costs['intercepted_requests_ms']:.3f} ms, via httpx interception "
        f"{costs['intercepted_httpx_ms']:.3f} ms; reset {costs['reset_ms']:.3f} ms"
    )
    print("\nFireworks p50 (ms) by secrets in the tenant:")
    print(f"{'secrets':>9}{'get':>9}{'update':>9}{'list p1':>9}{'list late':>10}")
    for size, s in results["scaling"].items():
        print(
            f"{size:>9}{s['get_ms']:>9.3f}{s['update_ms']:>9.3f}"
            f"{s['list_first_page_ms']:>9.3f}{s['list_late_page_ms']:>10.3f}"
        )
    if "drift" in results:
        from bench.drift import print_drift

        print_drift(results["drift"])
    print(f"\nwritten to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
