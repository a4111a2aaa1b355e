"""The benchmark's wrk harness without running wrk: its scripts and the reading of its
output (``make bench`` itself is never part of ``make test``)."""

from __future__ import annotations

import json
import math
import shutil

import pytest

from bench import wrk
from bench.workloads import SEED_UPDATES

OUTPUT = """\
Running 1s test @ http://127.0.0.1:8000/fireworks/v1/accounts/acme/secrets/s1
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.37ms  412.00us   9.87ms   88.12%
    Req/Sec    10.45k   512.33    11.20k    70.00%
  Latency Distribution
     50%  {p50}
     75%    1.52ms
     90%    1.80ms
     99%  {p99}
  10446 requests in 1.00s, 2.10MB read
{non_2xx}Requests/sec:  10446.12
Transfer/sec:      2.10MB
"""


@pytest.mark.parametrize(
    ("p50", "p99", "expected_p50", "expected_p99"),
    [
        pytest.param("  1.37ms", "  3.34ms", 1.37, 3.34, id="milliseconds"),
        pytest.param("930.00us", "  1.97ms", 0.93, 1.97, id="microseconds"),
        pytest.param("  1.20s ", "  2.50s ", 1200.0, 2500.0, id="seconds"),
    ],
)
def test_parse_wrk_reads_rate_latencies_and_counts(
    p50: str, p99: str, expected_p50: float, expected_p99: float
) -> None:
    non_2xx = "  Non-2xx or 3xx responses: 3\n"
    figures = wrk.parse_wrk(OUTPUT.format(p50=p50, p99=p99, non_2xx=non_2xx))
    assert figures == {
        "rps": 10446.1,
        "p50_ms": expected_p50,
        "p99_ms": expected_p99,
        "requests": 10446,
        "non_2xx": 3,
    }


def test_parse_wrk_without_errors_or_figures() -> None:
    clean = wrk.parse_wrk(OUTPUT.format(p50="  1.37ms", p99="  3.34ms", non_2xx=""))
    assert clean["non_2xx"] == 0
    empty = wrk.parse_wrk("")
    assert (empty["rps"], empty["requests"], empty["non_2xx"]) == (0.0, 0, 0)
    assert math.isnan(empty["p50_ms"]) and math.isnan(empty["p99_ms"])


def test_request_lua_sends_the_seed_request() -> None:
    seed = SEED_UPDATES["instabase"]
    script = wrk.request_lua(seed).splitlines()
    assert script[0] == 'wrk.method = "PATCH"'
    body = script[1].removeprefix("wrk.body = ")
    assert json.loads(json.loads(body)) == seed["body"]  # a Lua string holding the JSON
    assert 'wrk.headers["Content-Type"] = "application/json"' in script
    assert 'wrk.headers["IB-Context"] = "acme-org"' in script


def test_missing_wrk_is_a_clear_exit_not_an_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SystemExit) as stopped:
        wrk.find_wrk()
    assert "make bench-deps" in str(stopped.value.code)
