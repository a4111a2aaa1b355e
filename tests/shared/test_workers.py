"""Two emulators ("workers") attached to one SQLite store, in one process: what one
acknowledges, the other serves at its next request; writes to one tenant through both
are serialised; fault counts, the clock, resets and the journal are shared; a store
that cannot be reached gets each vendor's 503 and a degraded health, then recovers."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.workloads import SEED_UPDATES
from secretmock.engine.emulator import Emulator
from secretmock.engine.shared.backend import Backend, StoreUnavailable
from secretmock.engine.shared.sqlite import SQLiteBackend
from secretmock.resources import default_fixtures_path
from secretmock.vendors import all_vendors
from secretmock.web.app import build_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SECRETS = "/fireworks/v1/accounts/acme/secrets"
FW = {"Authorization": "Bearer fw-test-acme"}


class Switchable:
    """A backend that can be made unreachable: every call raises
    :class:`StoreUnavailable` while ``down`` (as a store that went away would)."""

    def __init__(self, inner: Backend) -> None:
        self._inner = inner
        self.down = False
        self.url = inner.url

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreUnavailable(f"{self.url}: unreachable (test)")
            return attribute(*args, **kwargs)

        return call


class Worker:
    """One emulator on the store, with a client of its app."""

    def __init__(self, path: Path) -> None:
        self.backend = Switchable(SQLiteBackend(path))
        self.backend.open()
        self.emulator = Emulator(all_vendors(), [default_fixtures_path()])
        self.emulator.attach(self.backend)
        self.client = TestClient(build_app(self.emulator), base_url="http://127.0.0.1")

    def secret(self, secret_id: str) -> Any:
        """The stored record (value included), as the admin API shows it."""
        tenant = self.client.get("/__admin__/tenants/fireworks/acme").json()
        found = [s for s in tenant["secrets"] if s["name"] == secret_id]
        return found[0] if found else None

    def close(self) -> None:
        self.client.close()
        self.backend.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[Worker, Worker]]:
    path = tmp_path / "store.db"
    one, two = Worker(path), Worker(path)
    yield one, two
    one.close()
    two.close()


def create(worker: Worker, secret_id: str, value: str = "v") -> Any:
    body = {"name": secret_id, "keyName": secret_id.upper().replace("-", "_"), "value": value}
    return worker.client.post(SECRETS, json=body, headers=FW)


def update(worker: Worker, value: str) -> Any:
    body = {"keyName": "WOLFRAM_ALPHA_API_KEY", "value": value}
    return worker.client.patch(f"{SECRETS}/s1", json=body, headers=FW)


def test_the_second_worker_serves_the_state_the_first_seeded(
    workers: tuple[Worker, Worker],
) -> None:
    one, two = workers
    assert one.secret("s1") == two.secret("s1") is not None


def test_a_write_on_one_worker_is_seen_by_the_next_request_on_the_other(
    workers: tuple[Worker, Worker],
) -> None:
    one, two = workers
    assert create(one, "made-on-one", "v1").status_code == 200
    assert two.client.get(f"{SECRETS}/made-on-one", headers=FW).status_code == 200
    assert update(two, "rotated-on-two").status_code == 200
    assert one.secret("s1")["value"] == "rotated-on-two"
    assert one.client.delete(f"{SECRETS}/made-on-one", headers=FW).status_code == 200
    assert two.client.get(f"{SECRETS}/made-on-one", headers=FW).status_code == 404


def run_threads(count: int, target: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_concurrent_writes_to_one_tenant_through_both_lose_no_update(
    workers: tuple[Worker, Worker],
) -> None:
    """Each thread creates its own secrets in the one tenant (one document) and rotates
    the one shared key: every acknowledged create is there at the end, and the key holds
    one of the acknowledged values (the last acknowledged write of some thread)."""
    acknowledged: list[str] = []
    last_values: list[str] = []

    def write(n: int) -> None:
        worker = workers[n % 2]
        value = ""
        for i in range(6):
            if create(worker, f"t{n}-s{i}").status_code == 200:
                acknowledged.append(f"t{n}-s{i}")
            if update(worker, f"t{n}-v{i}").status_code == 200:
                value = f"t{n}-v{i}"
        last_values.append(value)

    run_threads(4, write)
    assert len(acknowledged) == 24  # none refused: a conflict is retried, not answered
    listed = workers[1].client.get(SECRETS, params={"pageSize": 200}, headers=FW).json()
    names = {s["name"].rsplit("/", 1)[1] for s in listed["secrets"]}
    assert set(acknowledged) <= names
    final = workers[0].secret("s1")["value"]
    assert final in last_values


def test_concurrent_creates_of_one_secret_make_it_once(workers: tuple[Worker, Worker]) -> None:
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def race(n: int) -> None:
        barrier.wait()
        statuses.append(create(workers[n % 2], "contested", f"from-{n}").status_code)

    run_threads(4, race)
    assert sorted(statuses) == [200, 409, 409, 409]
    assert workers[0].secret("contested") == workers[1].secret("contested") is not None


def test_a_fault_for_one_request_hits_once_across_both_workers(
    workers: tuple[Worker, Worker],
) -> None:
    rule = {"vendor": "fireworks", "operation": "Gateway_GetSecret", "status": 503, "after": 1}
    added = workers[0].client.post("/__admin__/faults", json={**rule, "times": 1})
    assert added.status_code == 201
    get = f"{SECRETS}/s1"
    statuses = [workers[n % 2].client.get(get, headers=FW).status_code for n in range(6)]
    assert statuses == [200, 503, 200, 200, 200, 200]
    for worker in workers:
        [listed] = worker.client.get("/__admin__/faults").json()["faults"]
        assert (listed["hits"], listed["remaining"]) == (1, 0)


def test_rules_added_removed_and_cleared_on_one_apply_on_the_other(
    workers: tuple[Worker, Worker],
) -> None:
    one, two = workers
    first = one.client.post("/__admin__/faults", json={"vendor": "fireworks", "status": 500})
    second = two.client.post("/__admin__/faults", json={"vendor": "langwatch", "status": 500})
    assert first.json()["id"] != second.json()["id"]  # ids are the store's, never reused
    assert len(one.client.get("/__admin__/faults").json()["faults"]) == 2
    assert two.client.get(f"{SECRETS}/s1", headers=FW).status_code == 500
    removed = two.client.delete(f"/__admin__/faults/{first.json()['id']}")
    assert removed.status_code == 200
    assert one.client.get(f"{SECRETS}/s1", headers=FW).status_code == 200
    assert one.client.delete("/__admin__/faults").status_code == 200
    assert two.client.get("/__admin__/faults").json() == {"faults": []}


def test_a_clock_change_on_one_is_seen_by_the_next_request_on_the_other(
    workers: tuple[Worker, Worker],
) -> None:
    one, two = workers
    frozen = one.client.put("/__admin__/clock", json={"now": "2031-05-06T07:08:09Z"})
    assert frozen.status_code == 200
    assert two.client.get("/__admin__/clock").json() == frozen.json()
    assert two.emulator.clock.frozen  # applied by a vendor request's worker too
    one.client.put("/__admin__/clock", json={"advance": 60})
    assert two.client.get("/__admin__/clock").json()["now"].startswith("2031-05-06T07:09:09")


def test_a_reset_on_one_is_a_reset_on_the_other(workers: tuple[Worker, Worker]) -> None:
    one, two = workers
    create(one, "gone-at-reset")
    update(one, "changed")
    one.client.put("/__admin__/clock", json={"now": "2031-05-06T07:08:09Z"})
    one.client.post("/__admin__/faults", json={"vendor": "langwatch", "status": 500})
    assert two.client.post("/__admin__/reset").status_code == 200
    assert one.client.get(f"{SECRETS}/gone-at-reset", headers=FW).status_code == 404
    assert one.secret("s1")["value"] != "changed"
    assert not one.emulator.clock.frozen
    assert one.client.get("/__admin__/faults").json() == {"faults": []}


def test_a_state_document_put_on_one_is_served_by_the_other(
    workers: tuple[Worker, Worker],
) -> None:
    one, two = workers
    create(one, "kept-in-document")
    document = one.client.get("/__admin__/state").json()
    one.client.post("/__admin__/reset")
    assert two.client.get(f"{SECRETS}/kept-in-document", headers=FW).status_code == 404
    assert one.client.put("/__admin__/state", json=document).status_code == 200
    assert two.client.get(f"{SECRETS}/kept-in-document", headers=FW).status_code == 200


def test_the_journal_coverage_and_report_are_the_same_from_both(
    workers: tuple[Worker, Worker],
) -> None:
    one, two = workers
    one.client.get(f"{SECRETS}/s1", headers=FW)
    two.client.get(f"{SECRETS}/nope", headers=FW)
    two.client.post(SECRETS, json={"name": "bad id!", "keyName": "X"}, headers=FW)
    filters = {"vendor": "fireworks"}
    counts = [w.client.post("/__admin__/journal/count", json=filters).json() for w in workers]
    assert counts == [{"count": 3}, {"count": 3}]
    journals = [w.client.get("/__admin__/journal").json()["entries"] for w in workers]
    assert journals[0] == journals[1]
    assert [e["seq"] for e in journals[0]] == [1, 2, 3]
    assert [e["status"] for e in journals[0]] == [200, 404, 400]
    found = one.client.post("/__admin__/journal/find", json={"status": 404}).json()
    assert [e["seq"] for e in found["entries"]] == [2]
    reports = [w.client.get("/__admin__/report").json() for w in workers]
    assert reports[0] == reports[1]
    violations = [w.client.get("/__admin__/violations").json() for w in workers]
    assert violations[0] == violations[1]
    assert two.client.delete("/__admin__/journal").status_code == 200
    assert one.client.get("/__admin__/journal").json() == {"entries": []}


def test_a_tenant_put_by_the_admin_api_on_one_is_served_by_the_other(
    workers: tuple[Worker, Worker],
) -> None:
    one, two = workers
    tenant = {"credentials": [{"token": "fw-new-tenant"}], "secrets": []}
    assert one.client.put("/__admin__/tenants/fireworks/newco", json=tenant).status_code == 200
    listed = two.client.get(
        "/fireworks/v1/accounts/newco/secrets", headers={"Authorization": "Bearer fw-new-tenant"}
    )
    assert listed.status_code == 200


def request_of(vendor: str) -> dict[str, Any]:
    seed = SEED_UPDATES[vendor]
    return {
        "method": seed["method"],
        "url": seed["path"],
        "headers": seed["headers"],
        "json": seed["body"],
    }


@pytest.mark.parametrize("vendor", sorted(SEED_UPDATES))
def test_an_unreachable_store_gets_each_vendors_503_then_service_resumes(
    workers: tuple[Worker, Worker], vendor: str
) -> None:
    one, two = workers
    one.backend.down = True
    refused = one.client.request(**request_of(vendor))
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json()  # the vendor's own envelope, not a bare text
    health = one.client.get("/__admin__/health")
    assert health.status_code == 503
    assert health.json()["status"] == "degraded"
    assert health.json()["store"].startswith("sqlite:///")
    assert one.client.get("/__admin__/journal").status_code == 503
    assert two.client.request(**request_of(vendor)).status_code == 200  # the store is up
    one.backend.down = False
    assert one.client.get("/__admin__/health").json()["status"] == "ok"
    assert one.client.request(**request_of(vendor)).status_code == 200
    journal = two.client.get("/__admin__/journal").json()["entries"]
    assert [e["status"] for e in journal] == [200, 200]  # the refused one is not journaled


def test_a_store_lost_midway_leaves_the_worker_as_the_store_is(
    workers: tuple[Worker, Worker],
) -> None:
    """A write whose commit fails is undone in the worker: it serves what the store
    holds, not the lost change."""
    one, two = workers
    commit = one.backend._inner.commit
    calls = {"n": 0}

    def failing_commit(*args: Any) -> Any:
        calls["n"] += 1
        raise StoreUnavailable("lost (test)")

    one.backend._inner.commit = failing_commit  # type: ignore[method-assign,assignment]
    assert update(one, "lost").status_code == 503
    one.backend._inner.commit = commit  # type: ignore[method-assign]
    assert calls["n"] == 1
    assert one.emulator.tenant_snapshot("fireworks", "acme") is not None
    assert one.secret("s1")["value"] != "lost"
    assert two.secret("s1")["value"] != "lost"


def test_a_worker_started_on_a_store_with_state_serves_it(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first = Worker(path)
    create(first, "kept")
    first.close()
    again = Worker(path)
    assert again.client.get(f"{SECRETS}/kept", headers=FW).status_code == 200
    again.client.post("/__admin__/reset")
    assert again.client.get(f"{SECRETS}/kept", headers=FW).status_code == 404
    again.close()


def test_a_reset_the_store_does_not_take_leaves_the_worker_serving_the_store(
    workers: tuple[Worker, Worker],
) -> None:
    one, _ = workers
    assert create(one, "kept-through-a-failed-reset").status_code == 200
    replace = one.backend._inner.replace

    def failing_replace(*args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("lost (test)")

    one.backend._inner.replace = failing_replace  # type: ignore[method-assign]
    assert one.client.post("/__admin__/reset").status_code == 503
    one.backend._inner.replace = replace  # type: ignore[method-assign]
    for worker in workers:
        got = worker.client.get(f"{SECRETS}/kept-through-a-failed-reset", headers=FW)
        assert got.status_code == 200


def test_a_clock_change_the_store_does_not_take_is_not_served(
    workers: tuple[Worker, Worker],
) -> None:
    one, _ = workers
    set_config = one.backend._inner.set_config

    def failing_set_config(*args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("lost (test)")

    one.backend._inner.set_config = failing_set_config  # type: ignore[method-assign]
    answer = one.client.put("/__admin__/clock", json={"now": "2031-05-06T07:08:09Z"})
    one.backend._inner.set_config = set_config  # type: ignore[method-assign]
    assert answer.status_code == 503
    assert one.client.get("/__admin__/clock").json()["frozen"] is False
