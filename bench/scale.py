"""`make bench-scale` (``python -m bench.scale``): one Fireworks tenant of 1,000,000
secrets in this process, what a secret takes in memory, and Fireworks' get, update and
list latency from 10 secrets to a million (target: flat).

Memory is the process's resident set over the empty emulator's, divided by the secrets,
once they are all made. They are made as Fireworks' create makes them
(``models.create``), one after another, outside a transaction: what each request's
parsing leaves is freed before the next, as in a server that was sent them one by one,
so the figure is what the stored secrets hold (record, id and keyName strings, the
tenant's dict and Fireworks' indexes), not what building a million-entry fixtures list
at once costs on the way. A second figure, ``traced``, counts the bytes Python's
allocator holds for them (``tracemalloc``, at 100,000 secrets); a third loads the same
tenant from a million-entry fixtures list at once (:func:`loaded_per_secret`).
"""

from __future__ import annotations

import gc
import json
import re
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.inprocess import scaling_at

SIZES = (10, 10_000, 100_000, 1_000_000)
MILLION = 1_000_000
TARGET_KB = 0.4
RESULTS = Path(__file__).resolve().parent.parent / "bench-scale-results.json"


def rss_bytes() -> int:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) * 1024 if match else 0


def filled_tenant(count: int) -> Any:
    """An emulator whose Fireworks tenant ``acme`` holds ``count`` secrets, made by
    Fireworks' own create (ids ``k0000000``..., keyNames ``K0000000``...)."""
    from secretmock.engine.emulator import Emulator
    from secretmock.vendors import all_vendors
    from secretmock.vendors.fireworks import models

    emulator = Emulator(all_vendors())
    emulator.put_tenant("fireworks", "acme", {"credentials": [{"token": "t"}], "secrets": []})
    tenant = emulator.pipelines["fireworks"].store.get("acme")
    assert tenant is not None
    for i in range(count):
        models.create(tenant, {"name": f"k{i:07d}", "keyName": f"K{i:07d}", "value": "v"})
    return emulator


def memory_per_secret(count: int = MILLION) -> dict[str, float]:
    """KB a secret takes: resident set over the empty emulator's, at ``count``."""
    gc.collect()
    from secretmock.engine.emulator import Emulator
    from secretmock.vendors import all_vendors

    Emulator(all_vendors())  # everything imported and built once before the baseline
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    emulator = filled_tenant(count)
    made_s = time.perf_counter() - started
    gc.collect()
    grown = rss_bytes() - before
    del emulator
    gc.collect()
    return {
        "secrets": count,
        "rss_mb": round(grown / 2**20, 1),
        "kb_per_secret": round(grown / count / 1000, 3),
        "made_s": round(made_s, 1),
    }


def loaded_per_secret(count: int = MILLION) -> float:
    """KB a secret takes when the tenant is loaded at once from a fixtures list of
    ``count`` entries (``Emulator.put_tenant``): the resident set over the empty
    emulator's once the list is dropped. Higher than :func:`memory_per_secret`: the
    allocator keeps the memory the list's dicts took, interleaved with the strings the
    store shares with them, for the process to reuse."""
    from secretmock.engine.emulator import Emulator
    from secretmock.vendors import all_vendors

    emulator = Emulator(all_vendors())
    gc.collect()
    before = rss_bytes()
    secrets = [{"name": f"k{i:07d}", "keyName": f"K{i:07d}", "value": "v"} for i in range(count)]
    emulator.put_tenant("fireworks", "acme", {"credentials": [{"token": "t"}], "secrets": secrets})
    del secrets
    gc.collect()
    grown = rss_bytes() - before
    del emulator
    gc.collect()
    return round(grown / count / 1000, 3)


def traced_per_secret(count: int = 100_000) -> float:
    """KB a secret takes as Python's allocator counts it (tracemalloc), at ``count``."""
    gc.collect()
    tracemalloc.start()
    try:
        emulator = filled_tenant(count)
        gc.collect()
        traced, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del emulator
    return round(traced / count / 1000, 3)


def main() -> int:
    memory = memory_per_secret()
    memory["traced_kb_per_secret_at_100k"] = traced_per_secret()
    memory["loaded_from_a_list_kb_per_secret"] = loaded_per_secret()
    latency = {str(size): scaling_at(size) for size in SIZES}
    results = {"memory": memory, "latency": latency}
    RESULTS.write_text(json.dumps(results, indent=2))
    print_scale(results)
    return 0


def print_memory(memory: dict[str, Any]) -> None:
    print(
        f"\none Fireworks tenant of {memory['secrets']:,} secrets: {memory['rss_mb']} MB over "
        f"the empty emulator, {memory['kb_per_secret']:.3f} KB a secret (target <= "
        f"{TARGET_KB}); made in {memory['made_s']} s"
    )
    if "traced_kb_per_secret_at_100k" in memory:
        print(
            f"  {memory['traced_kb_per_secret_at_100k']:.3f} KB a secret as tracemalloc counts "
            f"it; loaded at once from a {memory['secrets']:,}-entry fixtures list instead: "
            f"{memory['loaded_from_a_list_kb_per_secret']:.3f} KB (the list's dicts leave "
            "their memory to the allocator)"
        )


def print_scale(results: dict[str, Any]) -> None:
    print_memory(results["memory"])
    print("Fireworks p50 (ms) by secrets in the tenant:")
    print(f"{'secrets':>9}{'get':>9}{'update':>9}{'list p1':>9}{'list late':>10}")
    for size, s in results["latency"].items():
        print(
            f"{size:>9}{s['get_ms']:>9.3f}{s['update_ms']:>9.3f}"
            f"{s['list_first_page_ms']:>9.3f}{s['list_late_page_ms']:>10.3f}"
        )


if __name__ == "__main__":
    sys.exit(main())
