"""`make bench` (``python -m bench.run``): secretmock's speed against a bare Starlette
floor, in one run.

Starts `secretmock serve` (one uvicorn worker; uvloop and httptools are installed with
secretmock, so uvicorn picks them) and `bench/floor.py` on 127.0.0.1, drives both with
wrk (-t1 -c16; BENCH_DURATION, default 10s, per workload), and measures in-process costs
in this process, then the drift check's costs (bench/drift.py: the latency
`secretmock proxy` adds, `drift replay` of 1,000 exchanges), then the shared stores'
(bench/stores.py: memory, SQLite, Redis, two workers; BENCH_STORES=0 leaves it out).
Prints a table and writes
the same figures to bench-results.json.
Nothing here is part of `make test`; wrk comes from `make bench-deps`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import drift, inprocess, report, sandboxes, servers, stores
from bench.workloads import SEED_UPDATES
from bench.wrk import CONNECTIONS, DURATION, MIXED_LUA, find_wrk, run_wrk


def main() -> int:
    wrk = find_wrk()
    results: dict[str, Any] = {"duration": DURATION, "connections": int(CONNECTIONS)}
    port = servers.free_port()
    results["startup_s"] = servers.startup_time(SEED_UPDATES["fireworks"])
    floor = servers.serve(servers.floor_command(port), port)
    try:
        results["floor"] = run_wrk(wrk, port, SEED_UPDATES["fireworks"])
    finally:
        servers.stop(floor)
    server = servers.serve(servers.secretmock_command(port), port)
    servers.wait_until_warm(port)
    try:
        results["vendors"] = {
            name: run_wrk(wrk, port, request) for name, request in SEED_UPDATES.items()
        }
        results["mixed"] = run_wrk(wrk, port, None, MIXED_LUA)
        results["rss_mb"] = servers.rss_mb(server.pid)
    finally:
        servers.stop(server)
    results["mixed_state"] = mixed_with_state_file(wrk, port)
    results["in_process"] = inprocess.in_process_costs()
    results["scaling"] = inprocess.scaling()
    results["sandboxes"] = {**sandboxes.in_process(), **sandboxes.served(wrk, port)}
    results["drift"] = drift.drift_costs()
    if stores.ENABLED:  # BENCH_STORES=0 leaves the store comparison out
        results["stores"] = stores.store_costs(wrk, port)
    report.write_results(results)
    report.print_table(results)
    return 0


def mixed_with_state_file(wrk: str, port: int) -> dict[str, Any]:
    """The mixed workload again, with ``--state`` on: the state file's writer must stay
    off the request path (one write a second at most, however many changes)."""
    with tempfile.TemporaryDirectory() as directory:
        state_file = Path(directory) / "state.json"
        server = servers.serve(servers.secretmock_command(port, "--state", str(state_file)), port)
        servers.wait_until_warm(port)
        try:
            return run_wrk(wrk, port, None, MIXED_LUA)
        finally:
            servers.stop(server)


if __name__ == "__main__":
    sys.exit(main())
