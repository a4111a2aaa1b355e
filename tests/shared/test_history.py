"""``secretmock serve --store`` with real processes: two workers on SQLite, two
replicas (two servers) on one Redis; histories of 5,000 mixed operations from 8
clients (tests/shared/history.py), fault rules counted once across processes, the clock
and a reset seen by every worker, a worker killed mid-load, Redis killed mid-run.

The servers are shared by the tests of this module (a reset, or a cleared journal,
starts each test that needs it). A test that needs one particular worker to answer
stops the others meanwhile (SIGSTOP, :func:`tests.shared.processes.only`): a new
connection is then accepted by that worker alone.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.robustness.serve import Served
from tests.shared.history import BASE, HEADERS, run_history
from tests.shared.processes import GUARD_S, children, only, wait_until
from tests.shared.redis_server import RedisServer

CLOSE = {**HEADERS, "Connection": "close"}


def cpu_ticks(pid: int) -> int:
    """The process's user and system time so far, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def reset(url: str) -> None:
    assert requests.post(f"{url}/__admin__/reset", timeout=GUARD_S).status_code == 200
    assert requests.delete(f"{url}/__admin__/journal", timeout=GUARD_S).status_code == 200


def journal_count(url: str) -> int:
    reply = requests.post(f"{url}/__admin__/journal/count", json={}, timeout=GUARD_S)
    assert reply.status_code == 200, reply.text
    return int(reply.json()["count"])


def assert_whole_records(url: str) -> None:
    """Every Fireworks secret of the state is a whole record (no partial write)."""
    state = requests.get(f"{url}/__admin__/state", timeout=GUARD_S).json()
    tenants = state["vendors"]["fireworks"]["tenants"]
    assert "acme" in tenants
    for tenant in tenants.values():
        for secret_id, secret in tenant["secrets"].items():
            assert secret["secret_id"] == secret_id
            assert {"key_name", "value"} <= set(secret), secret


@pytest.fixture(scope="module")
def sqlite_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``serve --store sqlite:///... --workers 2``."""
    workdir = tmp_path_factory.mktemp("sqlite-workers")
    store = f"sqlite:///{workdir}/store.db"
    with Served(workdir, "--store", store, "--workers", "2", "--seed", "1") as served:
        wait_until(lambda: len(children(pid_of(served))) == 2, "two workers")
        yield served


@pytest.fixture(scope="module")
def redis_replicas(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, Served]]:
    """Two ``serve --store redis://.../5`` servers, one worker each."""
    client = redis_server.client()
    client.select(5)
    client.flushdb()
    client.close()
    store = redis_server.url.replace("/0", "/5")
    one = Served(tmp_path_factory.mktemp("replica-1"), "--store", store, "--seed", "1")
    two = Served(tmp_path_factory.mktemp("replica-2"), "--store", store, "--seed", "2")
    with one, two:
        yield one, two


def pid_of(served: Served) -> int:
    assert served.process is not None
    return served.process.pid


def workers_of(served: Served) -> list[int]:
    return children(pid_of(served))


# -- histories ---------------------------------------------------------------------------


def test_a_history_on_two_sqlite_workers_is_linearizable(sqlite_workers: Served) -> None:
    url = sqlite_workers.url
    reset(url)
    workers = workers_of(sqlite_workers)
    before = {pid: cpu_ticks(pid) for pid in workers}
    history = run_history([url], operations=5_000, clients=8)
    assert history.mismatches == []
    assert history.in_doubt == 0
    assert len(history.ops) == 5_000
    assert {op.status for op in history.acknowledged() if op.kind == "create"} <= {200, 409}
    assert all(cpu_ticks(pid) > before[pid] for pid in workers), "a worker served nothing"
    assert journal_count(url) == history.requests


def test_a_history_on_two_redis_replicas_is_linearizable(
    redis_replicas: tuple[Served, Served],
) -> None:
    urls = [replica.url for replica in redis_replicas]
    reset(urls[0])
    history = run_history(urls, operations=5_000, clients=8, seed=2)
    assert history.mismatches == []
    assert history.in_doubt == 0
    assert len(history.ops) == 5_000
    counts = [journal_count(url) for url in urls]
    assert counts[0] == counts[1] == history.requests


# -- fault rules, the clock and resets, on every worker -----------------------------------


def add_fault(url: str, **rule: object) -> dict[str, object]:
    reply = requests.post(f"{url}/__admin__/faults", json=rule, timeout=GUARD_S)
    assert reply.status_code == 201, reply.text
    return reply.json()  # type: ignore[no-any-return]


def test_a_fault_of_times_1_hits_once_across_workers(sqlite_workers: Served) -> None:
    url = sqlite_workers.url
    reset(url)
    rule = add_fault(
        url, vendor="fireworks", operation="Gateway_GetSecret", status=429, times=1, after=3
    )
    statuses = [
        requests.get(f"{url}{BASE}/s1", headers=CLOSE, timeout=GUARD_S).status_code
        for _ in range(24)
    ]
    assert statuses.count(429) == 1
    assert statuses.index(429) == 3  # after 3, wherever they landed
    assert set(statuses) == {200, 429}
    workers = workers_of(sqlite_workers)
    for worker in workers:
        with only(worker, workers):
            listed = requests.get(f"{url}/__admin__/faults", timeout=GUARD_S).json()["faults"]
        assert [(f["id"], f["hits"], f["remaining"]) for f in listed] == [(rule["id"], 1, 0)]


def test_a_fault_of_times_1_hits_once_across_replicas(
    redis_replicas: tuple[Served, Served],
) -> None:
    urls = [replica.url for replica in redis_replicas]
    reset(urls[0])
    add_fault(urls[1], vendor="fireworks", operation="Gateway_GetSecret", status=429, times=1)
    statuses = [
        requests.get(f"{urls[n % 2]}{BASE}/s1", headers=HEADERS, timeout=GUARD_S).status_code
        for n in range(10)
    ]
    assert statuses == [429] + [200] * 9


def test_the_clock_and_a_reset_are_seen_by_the_next_request_on_every_worker(
    sqlite_workers: Served,
) -> None:
    url = sqlite_workers.url
    reset(url)
    workers = workers_of(sqlite_workers)
    with only(workers[0], workers):
        moved = requests.put(
            f"{url}/__admin__/clock", json={"now": "2031-05-06T07:08:09Z"}, timeout=GUARD_S
        )
        assert moved.status_code == 200
        made = {"name": "made-before-reset", "keyName": "MADE_BEFORE", "value": "v"}
        assert requests.post(f"{url}{BASE}", json=made, headers=CLOSE, timeout=30).ok
    for worker in workers:
        with only(worker, workers):
            clock = requests.get(f"{url}/__admin__/clock", timeout=GUARD_S).json()
            assert clock["now"].startswith("2031-05-06T07:08:09")
            seen = requests.get(f"{url}{BASE}/made-before-reset", headers=CLOSE, timeout=30)
            assert seen.status_code == 200
    with only(workers[1], workers):
        assert requests.post(f"{url}/__admin__/reset", timeout=GUARD_S).status_code == 200
    for worker in workers:
        with only(worker, workers):
            gone = requests.get(f"{url}{BASE}/made-before-reset", headers=CLOSE, timeout=30)
            assert gone.status_code == 404
            clock = requests.get(f"{url}/__admin__/clock", timeout=GUARD_S).json()
            assert not clock["now"].startswith("2031")  # back to the real time


def test_a_clock_change_on_one_replica_is_the_others(
    redis_replicas: tuple[Served, Served],
) -> None:
    one, two = (replica.url for replica in redis_replicas)
    reset(one)
    moved = requests.put(
        f"{one}/__admin__/clock", json={"now": "2031-05-06T07:08:09Z"}, timeout=GUARD_S
    )
    assert moved.status_code == 200
    assert requests.get(f"{two}/__admin__/clock", timeout=30).json()["frozen"] is True
    assert requests.get(f"{two}/__admin__/clock", timeout=30).json()["now"].startswith("2031")
    assert requests.post(f"{two}/__admin__/reset", timeout=GUARD_S).status_code == 200
    assert requests.get(f"{one}/__admin__/clock", timeout=30).json()["frozen"] is False


def test_workers_make_no_sandboxes_each_would_hold_its_own(sqlite_workers: Served) -> None:
    made = requests.post(f"{sqlite_workers.url}/__admin__/sandboxes", timeout=GUARD_S)
    assert made.status_code == 429
    assert "sandboxes: off" in sqlite_workers.stdout()


# -- a worker killed, the store killed -----------------------------------------------------


def test_a_worker_killed_mid_load_loses_nothing_acknowledged(sqlite_workers: Served) -> None:
    url = sqlite_workers.url
    reset(url)
    workers = workers_of(sqlite_workers)
    killed: list[int] = []

    def kill_one() -> None:
        killed.append(workers[0])
        os.kill(workers[0], signal.SIGKILL)

    history = run_history([url], operations=3_000, clients=8, seed=3, meanwhile=kill_one)
    assert history.mismatches == []  # in-doubt requests were read back, none lost

    def replaced() -> bool:
        now = workers_of(sqlite_workers)
        return len(now) == 2 and killed[0] not in now

    wait_until(replaced, "the killed worker replaced")
    assert_whole_records(url)
    for worker in workers_of(sqlite_workers):  # the replacement serves, and the survivor
        with only(worker, workers_of(sqlite_workers)):
            assert requests.get(f"{url}{BASE}/s1", headers=CLOSE, timeout=30).status_code == 200
    assert f"worker {killed[0]} was killed by SIGKILL" in sqlite_workers.stderr()


def test_redis_killed_mid_run_gets_503s_and_a_degraded_health_then_recovers(
    tmp_path: Path,
) -> None:
    redis = RedisServer(tmp_path, durable=True).start()
    try:
        with Served(tmp_path, "--store", redis.url, "--workers", "2") as served:
            url = served.url
            made = {"name": "kept", "keyName": "KEPT", "value": "v"}
            assert requests.post(f"{url}{BASE}", json=made, headers=HEADERS, timeout=30).ok
            redis.kill()
            down = requests.get(f"{url}{BASE}/kept", headers=HEADERS, timeout=30)
            assert down.status_code == 503
            assert down.headers["Retry-After"] == "1"
            assert down.json()["code"] == 14  # Fireworks' own UNAVAILABLE envelope
            health = requests.get(f"{url}/__admin__/health", timeout=30)
            assert health.status_code == 503
            assert health.json()["status"] == "degraded"
            assert redis.url in health.json()["store"]
            redis.start()
            wait_until(
                lambda: requests.get(f"{url}/__admin__/health", timeout=30).status_code == 200,
                "health back to ok",
            )
            for _ in range(4):  # every worker serves again, the secret kept
                back = requests.get(f"{url}{BASE}/kept", headers=CLOSE, timeout=30)
                assert back.status_code == 200, back.text
    finally:
        redis.stop()


def test_sigterm_stops_every_worker_and_writes_one_report_of_all(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    store = f"sqlite:///{tmp_path}/store.db"
    served = Served(tmp_path, "--store", store, "--workers", "2", "--report", str(report))
    with served:
        workers = workers_of(served)
        for worker in workers:
            with only(worker, workers):
                got = requests.get(f"{served.url}{BASE}/s1", headers=CLOSE, timeout=30)
                assert got.status_code == 200
        assert served.stop() == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    written = json.loads(report.read_text())  # one writer: the server, from the store
    operations = written["vendors"]["fireworks"]["operations"]
    get = next(op for op in operations if op["operationId"] == "Gateway_GetSecret")
    assert get["statuses"] == {"200": len(workers)}  # every worker's answer counted
