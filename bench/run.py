"""`make bench` (``python -m bench.run``): secretmock's speed against a bare Starlette
floor, in one run.

Starts `secretmock serve` (one uvicorn worker; uvloop and httptools are installed with
secretmock, so uvicorn picks them) and `bench/floor.py` on 127.0.0.1, side by side, and
drives each workload with wrk (-t1 -c16; BENCH_DURATION, default 10s), right after a
run of the floor: each ratio is to the floor measured just before it, so a machine
whose load changes during the run skews the ratios less. Each run also reads the
server's CPU time: ``cpu x floor`` is the floor's CPU time a request over secretmock's,
the ratio req/s would show on an idle machine, and steadier than req/s on a shared one.
Then in-process costs in this process (beside the same call stubbed by ``responses`` and
``respx``), the scale point (bench/scale.py: one tenant of 1,000,000 Fireworks secrets,
memory and latency from 10 to 1,000,000), sandboxes, and the drift check's costs
(bench/drift.py), then the shared stores' (bench/stores.py: memory, SQLite, Redis, two
workers; BENCH_STORES=0 leaves it out). Prints a table and writes the same figures to
bench-results.json.
Nothing here is part of `make test`; wrk comes from `make bench-deps`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import drift, inprocess, report, sandboxes, scale, servers, stores
from bench.workloads import SEED_UPDATES
from bench.wrk import CONNECTIONS, DURATION, MIXED_LUA, find_wrk, run_wrk


def main() -> int:
    wrk = find_wrk()
    results: dict[str, Any] = {"duration": DURATION, "connections": int(CONNECTIONS)}
    results["startup_s"] = servers.startup_time(SEED_UPDATES["fireworks"])
    results.update(against_the_floor(wrk))
    port = servers.free_port()
    results["mixed_state"] = mixed_with_state_file(wrk, port)
    results["in_process"] = inprocess.in_process_costs()
    results["memory"] = scale.memory_per_secret()
    results["scaling"] = {str(size): inprocess.scaling_at(size) for size in scale.SIZES}
    results["sandboxes"] = {**sandboxes.in_process(), **sandboxes.served(wrk, port)}
    results["drift"] = drift.drift_costs()
    if stores.ENABLED:  # BENCH_STORES=0 leaves the store comparison out
        results["stores"] = stores.store_costs(wrk, port)
    report.write_results(results)
    report.print_table(results)
    return 0


def against_the_floor(wrk: str) -> dict[str, Any]:
    """Every workload on secretmock, each right after a run of the floor (both servers
    up side by side); the floor's runs are kept with each (``floor``: the first)."""
    floor_port, port = servers.free_port(), servers.free_port()
    floor = servers.serve(servers.floor_command(floor_port), floor_port)
    server = servers.serve(servers.secretmock_command(port), port)
    servers.wait_until_warm(port)
    workloads: list[tuple[str, dict[str, Any] | None]] = [*SEED_UPDATES.items(), ("mixed", None)]
    measured: dict[str, Any] = {}
    try:
        for name, request in workloads:
            floor_run = timed_run(wrk, floor, floor_port, SEED_UPDATES["fireworks"])
            run = timed_run(wrk, server, port, request, "" if request else MIXED_LUA)
            measured[name] = {**run, "floor": floor_run}
        rss = servers.rss_mb(server.pid)
    finally:
        servers.stop(server)
        servers.stop(floor)
    mixed = measured.pop("mixed")
    first = next(iter(measured.values()))
    return {"floor": first["floor"], "vendors": measured, "mixed": mixed, "rss_mb": rss}


def timed_run(
    wrk: str, process: Any, port: int, request: dict[str, Any] | None, lua: str = ""
) -> dict[str, Any]:
    """``run_wrk``'s figures and the server's CPU time a request, in µs (``cpu_us``)."""
    before = cpu_seconds(process.pid)
    run = run_wrk(wrk, port, request, lua)
    spent = cpu_seconds(process.pid) - before
    run["cpu_us"] = round(spent / max(run["requests"], 1) * 1e6, 1)
    return run


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time process ``pid`` has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
