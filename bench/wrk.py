"""The load generator: wrk (-t1 -c16) with a Lua script per workload, and its output read.

wrk is found on the PATH, never installed here: ``make bench-deps`` installs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any

DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = "16"

MIXED_LUA = """
-- Fireworks create / list / get / update / delete, in turn.
local n = 0
local auth = "Bearer fw-test-acme"
request = function()
  n = n + 1
  local step = n % 5
  local base = "/fireworks/v1/accounts/acme/secrets"
  local headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
  if step == 0 then
    local id = "m" .. n
    return wrk.format("POST", base, headers,
      '{"name": "' .. id .. '", "keyName": "K' .. n .. '", "value": "v"}')
  elseif step == 1 then
    return wrk.format("GET", base .. "?pageSize=50", headers)
  elseif step == 2 then
    return wrk.format("GET", base .. "/s1", headers)
  elseif step == 3 then
    return wrk.format("PATCH", base .. "/s1", headers,
      '{"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "v' .. n .. '"}')
  elseif n > 54 then
    -- delete what was created ten rounds ago: long since answered
    return wrk.format("DELETE", base .. "/m" .. (n - 54), headers)
  else
    return wrk.format("GET", base .. "/openai-key", headers)
  end
end
"""


def find_wrk() -> str:
    """wrk's path; exits with what to do when it is not installed."""
    found = shutil.which("wrk")
    if not found:
        sys.exit(
            "make bench needs wrk, which is not installed: run `make bench-deps` "
            "(Debian/Ubuntu: apt-get install wrk)"
        )
    return found


def request_lua(request: dict[str, Any]) -> str:
    """A wrk script sending ``request`` (see bench.workloads) over and over."""
    lines = [
        f'wrk.method = "{request["method"]}"',
        f"wrk.body = {json.dumps(json.dumps(request['body']))}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in request["headers"].items()]
    return "\n".join(lines) + "\n"


def run_wrk(wrk: str, port: int, request: dict[str, Any] | None, lua: str = "") -> dict[str, Any]:
    """Loads 127.0.0.1:``port`` with ``request`` (or the script ``lua``) for DURATION;
    the figures of ``parse_wrk``."""
    script = lua or request_lua(request or {})
    path = request["path"] if request else "/"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{CONNECTIONS}",
                f"-d{DURATION}",
                "--latency",
                "-s",
                handle.name,
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    return parse_wrk(output)


def parse_wrk(output: str) -> dict[str, Any]:
    """req/s, p50 and p99 in ms, request count and non-2xx count from wrk --latency's
    output; a missing figure reads 0 (NaN for a latency)."""

    def latency(percentile: str) -> float:
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
        return round(float(match.group(1)) * scale, 3)

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    total = re.search(r"(\d+) requests in", output)
    return {
        "rps": round(float(rps.group(1)), 1) if rps else 0.0,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }
