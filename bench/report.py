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
    print(
        f"\nwrk -t1 -c{results['connections']} -d{results['duration']}, "
        "one uvicorn worker (uvloop, httptools); each workload right after a floor run"
    )
    print(
        f"{'workload':<22}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'x floor':>9}"
        f"{'cpu x floor':>12}{'non-2xx':>8}"
    )
    floor = results["floor"]
    print(
        f"{'floor (bare Starlette)':<22}{floor['rps']:>9.0f}{floor['p50_ms']:>8.2f}"
        f"{floor['p99_ms']:>8.2f}{1:>9.2f}{1:>12.2f}{floor['non_2xx']:>8}"
    )
    rows = [(f"{name} seed update", r) for name, r in results["vendors"].items()]
    rows += [("fireworks mixed CRUD", results["mixed"])]
    for label, r in rows:
        print(
            f"{label:<22}{r['rps']:>9.0f}{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}"
            f"{ratio(r, 'rps'):>9.2f}{cpu_ratio(r):>12.2f}{r['non_2xx']:>8}"
        )
    if "mixed_state" in results:
        state = results["mixed_state"]
        print(
            f"{'  mixed, --state':<22}{state['rps']:>9.0f}{state['p50_ms']:>8.2f}"
            f"{state['p99_ms']:>8.2f}"
        )
        share = state["rps"] / results["mixed"]["rps"]
        print(f"mixed CRUD with --state: {share:.2f} of its req/s without (target >= 0.90)")
    print("targets: every seed update >= 0.70 x floor")
    print(f"\nstart-up to first 200 (five specs): {results['startup_s']:.3f} s")
    print(f"RSS after load: {results['rss_mb']} MB")
    print_in_process(results["in_process"])
    if "memory" in results:
        from bench.scale import print_memory

        print_memory(results["memory"])
    print("Fireworks p50 (ms) by secrets in the tenant:")
    print(f"{'secrets':>9}{'get':>9}{'update':>9}{'list p1':>9}{'list late':>10}")
    for size, s in results["scaling"].items():
        print(
            f"{size:>9}{s['get_ms']:>9.3f}{s['update_ms']:>9.3f}"
            f"{s['list_first_page_ms']:>9.3f}{s['list_late_page_ms']:>10.3f}"
        )
    if "sandboxes" in results:
        print_sandboxes(results["sandboxes"])
    if "drift" in results:
        from bench.drift import print_drift

        print_drift(results["drift"])
    if "stores" in results:
        from bench.stores import print_stores

        print_stores(results["stores"])
    print(f"\nwritten to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def ratio(run: dict[str, Any], figure: str) -> float:
    """``run``'s req/s over its floor run's."""
    return float(run[figure] / run["floor"][figure]) if run["floor"][figure] else 0.0


def cpu_ratio(run: dict[str, Any]) -> float:
    """The floor's CPU time a request over ``run``'s: the req/s ratio of an idle machine."""
    return float(run["floor"]["cpu_us"] / run["cpu_us"]) if run["cpu_us"] else 0.0


def print_in_process(costs: dict[str, float]) -> None:
    """The in-process figures, beside the static stub libraries on the same call."""
    print(
        f"\nin-process, Fireworks' seed update (median ms): pipeline {costs['pipeline_ms']:.3f}; "
        f"reset {costs['reset_ms']:.3f}"
    )
    print(
        f"  requests: intercepted {costs['intercepted_requests_ms']:.3f}, "
        f"responses (static stub) {costs['responses_ms']:.3f}"
    )
    print(
        f"  httpx:    intercepted {costs['intercepted_httpx_ms']:.3f}, "
        f"respx (static stub) {costs['respx_ms']:.3f}"
    )


def print_sandboxes(s: dict[str, Any]) -> None:
    """Creation, memory, and ten sandboxes' latency beside another's resets."""
    print(
        f"\nsandboxes: creation p50 {s['create_p50_ms']:.3f} ms in-process "
        f"(target < 5), {s['http_create_p50_ms']:.3f} ms over HTTP; idle "
        f"{s['idle_kib']:.1f} KiB each (target < 1024), {s['left_after_removal_kib']:.1f} KiB "
        "left after making and removing 100"
    )
    with_100 = next(v for k, v in s.items() if k.startswith("rss_mb_with_"))
    print(
        f"server RSS: {s['rss_mb_before']} MB, with 100 sandboxes {with_100} MB, "
        f"after removing them {s['rss_mb_after_removal']} MB"
    )
    quiet, busy = s["ten_sandboxes"], s["ten_sandboxes_beside_resets"]
    print(
        f"ten sandboxes' traffic: p99 {quiet['p99_ms']:.2f} ms ({quiet['rps']:.0f} req/s); "
        f"beside {s['resets_done']} resets of an 11th: p99 {busy['p99_ms']:.2f} ms "
        f"({busy['rps']:.0f} req/s)"
    )
