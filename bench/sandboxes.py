"""Sandboxes under measurement (issue 16): how long one takes to make, what an idle one
costs in memory and what removing them gives back, and whether a reset inside one
sandbox shows in the latency of ten others serving traffic.

The in-process figures make sandboxes through the same registry and app builder as
``POST /__admin__/sandboxes``; the served figures drive a real ``secretmock serve``.
"""

from __future__ import annotations

import gc
import json
import statistics
import threading
import time
import tracemalloc
from typing import Any

import requests

from bench import servers
from bench.wrk import run_wrk

CREATED = 100
"""How many sandboxes the memory figures make and remove."""
PHASES = 3
"""Alternations of quiet and resetting phases the reset figure takes (each one wrk run
of BENCH_DURATION)."""
RESET_FIXTURE_SECRETS = 2000
"""The resetting sandbox's own fixtures: one Fireworks tenant with this many secrets,
so that its reset (rebuilding them) is real work."""


def in_process() -> dict[str, float]:
    """Creation p50 (ms) and an idle sandbox's traced memory (KiB), made as the admin
    route makes them (registry + the sandbox's app); what is left after removal."""
    from secretmock.engine.emulator import Emulator
    from secretmock.engine.sandboxes import Sandboxes, SandboxOptions
    from secretmock.resources import default_fixtures_path
    from secretmock.vendors import all_vendors
    from secretmock.web.app import build_app

    root = Emulator(all_vendors(), [default_fixtures_path()])
    registry = Sandboxes(root.blueprint, max_sandboxes=CREATED * 2)
    attach = build_app(root, sandboxes=registry).sandboxes.attach
    samples = []
    for _ in range(300):
        started = time.perf_counter()
        made = registry.create(SandboxOptions(), attach)
        samples.append(time.perf_counter() - started)
        registry.remove(made.id)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    ids = [registry.create(SandboxOptions(), attach).id for _ in range(CREATED)]
    gc.collect()
    held = tracemalloc.get_traced_memory()[0]
    for sandbox_id in ids:
        registry.remove(sandbox_id)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {
        "create_p50_ms": round(statistics.median(samples) * 1000, 3),
        "idle_kib": round((held - before) / CREATED / 1024, 1),
        "left_after_removal_kib": round((after - before) / 1024, 1),
        **_reset_cpu(registry),
    }


def _reset_cpu(registry: Any) -> dict[str, float]:
    """One reset of a sandbox of :data:`RESET_FIXTURE_SECRETS` fixture secrets: its CPU
    time (this thread's: what it holds the GIL for), p50 of 50; and how late a thread
    that wakes every 0.5 ms (as the event loop serving other sandboxes does) runs,
    alone and beside that sandbox resetting in a loop (the gaps' p50 and p99)."""
    from secretmock.engine.fixtures import tenant_fixtures
    from secretmock.engine.sandboxes import SandboxOptions

    own = tenant_fixtures(_big_fixtures(), registry.blueprint.known_vendors, "fixtures")
    sandbox = registry.create(SandboxOptions(fixtures=own))
    samples = []
    for _ in range(50):
        started = time.thread_time()
        sandbox.emulator.reset()
        samples.append(time.thread_time() - started)
    quiet = _tick_gaps()
    stop = threading.Event()

    def reset_loop() -> None:
        while not stop.is_set():
            sandbox.emulator.reset()

    thread = threading.Thread(target=reset_loop, daemon=True)
    thread.start()
    try:
        busy = _tick_gaps()
    finally:
        stop.set()
        thread.join()
    registry.remove(sandbox.id)
    return {
        f"reset_{RESET_FIXTURE_SECRETS}_cpu_p50_ms": _ms(statistics.median(samples)),
        "tick_gap_p50_ms": _ms(statistics.median(quiet)),
        "tick_gap_p99_ms": _ms(_p99(quiet)),
        "tick_gap_beside_resets_p50_ms": _ms(statistics.median(busy)),
        "tick_gap_beside_resets_p99_ms": _ms(_p99(busy)),
    }


def _tick_gaps(seconds: float = 2.0, every: float = 0.0005) -> list[float]:
    gaps = []
    last = time.perf_counter()
    end = last + seconds
    while last < end:
        time.sleep(every)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    return gaps


def _p99(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.99)]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _big_fixtures() -> list[dict[str, Any]]:
    """One Fireworks tenant with :data:`RESET_FIXTURE_SECRETS` secrets."""
    return [
        {
            "vendor": "fireworks",
            "id": "big",
            "credentials": [{"token": "fw-big", "role": "admin"}],
            "secrets": [
                {"name": f"s{i}", "keyName": f"K{i}", "value": "v"}
                for i in range(RESET_FIXTURE_SECRETS)
            ],
        }
    ]


def served(wrk: str, port: int) -> dict[str, Any]:
    """Against ``secretmock serve``: creation p50 over HTTP, RSS before, with and after
    :data:`CREATED` sandboxes, and ten sandboxes' traffic without and with resets."""
    server = servers.serve(servers.secretmock_command(port, "--max-sandboxes", "500"), port)
    servers.wait_until_warm(port)
    root = f"http://127.0.0.1:{port}"
    session = requests.Session()
    try:
        samples, made = [], []
        rss_before = servers.rss_mb(server.pid)
        for _ in range(CREATED):
            started = time.perf_counter()
            answer = session.post(f"{root}/__admin__/sandboxes")
            samples.append(time.perf_counter() - started)
            made.append(answer.json())
        rss_with = servers.rss_mb(server.pid)
        for box in made:
            session.delete(f"{root}/__admin__/sandboxes/{box['id']}")
        gc.collect()
        rss_after = servers.rss_mb(server.pid)
        result: dict[str, Any] = {
            "http_create_p50_ms": round(statistics.median(samples) * 1000, 3),
            "rss_mb_before": rss_before,
            f"rss_mb_with_{CREATED}": rss_with,
            "rss_mb_after_removal": rss_after,
        }
        result.update(_reset_beside_traffic(wrk, port, session, root))
        return result
    finally:
        servers.stop(server)


def _reset_beside_traffic(
    wrk: str, port: int, session: requests.Session, root: str
) -> dict[str, Any]:
    """Ten sandboxes' traffic without, then with an 11th resetting in a loop, in
    :data:`PHASES` alternations (the machine is shared: a neighbour's burst falls in one
    phase, not in all); each figure is the phase of median p99, and every phase's p99
    is listed."""
    boxes = [session.post(f"{root}/__admin__/sandboxes").json() for _ in range(10)]
    resetting = session.post(
        f"{root}/__admin__/sandboxes", json={"fixtures": _big_fixtures()}
    ).json()
    lua = _ten_sandboxes_lua([box["id"] for box in boxes])
    quiet: list[dict[str, Any]] = []
    busy: list[dict[str, Any]] = []
    took: list[float] = []
    for _ in range(PHASES):
        quiet.append(run_wrk(wrk, port, None, lua))
        busy.append(_beside_resets(wrk, port, lua, resetting, took))
    return {
        "ten_sandboxes": _median_phase(quiet),
        "ten_sandboxes_beside_resets": _median_phase(busy),
        "p99_ms_phases": {
            "quiet": [phase["p99_ms"] for phase in quiet],
            "beside_resets": [phase["p99_ms"] for phase in busy],
        },
        "resets_done": len(took),
        "reset_http_p50_ms": round(statistics.median(took) * 1000, 3) if took else float("nan"),
    }


def _beside_resets(
    wrk: str, port: int, lua: str, resetting: dict[str, Any], took: list[float]
) -> dict[str, Any]:
    """wrk's figures while another thread resets ``resetting`` over and over (each
    reset's latency appended to ``took``)."""
    stop = threading.Event()

    def reset_loop() -> None:
        with requests.Session() as own:
            auth = {"Authorization": f"Bearer {resetting['token']}"}
            while not stop.is_set():
                started = time.perf_counter()
                own.post(f"{resetting['url']}/__admin__/reset", headers=auth)
                took.append(time.perf_counter() - started)

    thread = threading.Thread(target=reset_loop, daemon=True)
    thread.start()
    try:
        return run_wrk(wrk, port, None, lua)
    finally:
        stop.set()
        thread.join()


def _median_phase(phases: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(phases, key=lambda phase: phase["p99_ms"])[len(phases) // 2]


def _ten_sandboxes_lua(ids: list[str]) -> str:
    """A wrk script: Fireworks get / update / list, in turn, over the sandboxes ``ids``."""
    return f"""
local ids = {json.dumps(ids).replace("[", "{").replace("]", "}")}
local n = 0
local headers = {{["Authorization"] = "Bearer fw-test-acme", ["Content-Type"] = "application/json"}}
request = function()
  n = n + 1
  local base = "/sandboxes/" .. ids[(n % #ids) + 1] .. "/fireworks/v1/accounts/acme/secrets"
  local step = n % 3
  if step == 0 then
    return wrk.format("GET", base .. "/s1", headers)
  elseif step == 1 then
    return wrk.format("PATCH", base .. "/s1", headers,
      '{{"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "v' .. n .. '"}}')
  else
    return wrk.format("GET", base .. "?pageSize=50", headers)
  end
end
"""
