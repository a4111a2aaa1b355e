"""What every backend of the shared store guarantees (engine/shared/backend.py), run on
each backend of ``conftest.BACKENDS``."""

from __future__ import annotations

import threading
from collections.abc import Callable

from secretmock.engine.shared.backend import Backend, JournalRecord, Versions

Opener = Callable[..., Backend]


def entry(n: int, status: int = 200, violating: bool = False, vendor: str = "fw") -> JournalRecord:
    return JournalRecord(f'{{"n": {n}}}'.encode(), vendor, "op", status, violating)


def test_an_empty_store_has_no_tenants_and_no_config(backend: Backend) -> None:
    assert backend.snapshot("", "fw") == Versions(0, {})
    assert backend.config("") == (0, None)
    assert backend.load("", "fw", ["acme"]) == {"acme": (0, None)}
    assert backend.journal("") == []
    assert backend.last_seq("") == 0
    assert backend.hits("") == {}
    backend.ping()


def test_a_commit_creates_then_updates_only_from_the_expected_version(backend: Backend) -> None:
    first = backend.commit("", "fw", "acme", 0, b'{"a": 1}', None)
    assert first is not None and first > 0
    assert backend.commit("", "fw", "acme", 0, b'{"a": 2}', None) is None  # exists already
    assert backend.snapshot("", "fw").tenants == {"acme": first}
    second = backend.commit("", "fw", "acme", first, b'{"a": 3}', None)
    assert second is not None and second > first
    assert backend.commit("", "fw", "acme", first, b'{"a": 4}', None) is None  # stale
    assert backend.load("", "fw", ["acme"]) == {"acme": (second, b'{"a": 3}')}


def test_a_removed_tenant_made_again_gets_a_version_never_given_before(backend: Backend) -> None:
    first = backend.commit("", "fw", "acme", 0, b"1", None)
    assert first is not None
    assert backend.commit("", "fw", "acme", first, None, None) == 0
    assert backend.snapshot("", "fw").tenants == {}
    assert backend.load("", "fw", ["acme"]) == {"acme": (0, None)}
    again = backend.commit("", "fw", "acme", 0, b"2", None)
    assert again is not None and again > first


def test_a_conflicting_commit_writes_neither_document_nor_journal_entry(backend: Backend) -> None:
    version = backend.commit("", "fw", "acme", 0, b"1", entry(1))
    assert version is not None
    assert backend.commit("", "fw", "acme", 0, b"2", entry(2)) is None
    assert [data for _, data in backend.journal("")] == [b'{"n": 1}']
    assert backend.load("", "fw", ["acme"])["acme"] == (version, b"1")


def test_scopes_and_vendors_are_apart(backend: Backend) -> None:
    backend.commit("", "fw", "acme", 0, b"root", entry(1))
    backend.commit("sb1", "fw", "acme", 0, b"sandbox", entry(2))
    backend.commit("", "lw", "acme", 0, b"other vendor", None)
    backend.set_config("sb1", b"{}")
    backend.hit("sb1", "f1")
    assert backend.load("", "fw", ["acme"])["acme"][1] == b"root"
    assert backend.load("sb1", "fw", ["acme"])["acme"][1] == b"sandbox"
    assert set(backend.snapshot("", "lw").tenants) == {"acme"}
    assert backend.config("")[0] == 0
    assert backend.hits("") == {}
    assert [seq for seq, _ in backend.journal("")] == [1]
    assert [seq for seq, _ in backend.journal("sb1")] == [1]


def test_snapshot_gives_the_config_version_and_every_tenant_version(backend: Backend) -> None:
    config = backend.set_config("", b'{"faults": []}')
    a = backend.commit("", "fw", "a", 0, b"a", None)
    b = backend.commit("", "fw", "b", 0, b"b", None)
    assert backend.snapshot("", "fw") == Versions(config or 0, {"a": a or 0, "b": b or 0})


def test_set_config_bumps_the_version_and_compares_when_asked(backend: Backend) -> None:
    first = backend.set_config("", b"1")
    assert first is not None and first > 0
    assert backend.set_config("", b"2", expected_version=first - 1) is None
    assert backend.config("") == (first, b"1")
    second = backend.set_config("", b"3", expected_version=first)
    assert second is not None and second > first
    assert backend.config("") == (second, b"3")


def test_hit_counts_atomically_and_unhit_gives_back(open_store: Opener) -> None:
    one, two = open_store(), open_store()
    counts: list[int] = []

    def hammer(backend: Backend) -> None:
        for _ in range(50):
            counts.append(backend.hit("", "f1"))

    threads = [threading.Thread(target=hammer, args=(b,)) for b in (one, two, one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == list(range(1, 201))  # each count given to exactly one caller
    assert one.unhit("", "f1") == 199
    assert two.hits("") == {"f1": 199}


def test_concurrent_commits_to_one_tenant_lose_no_update(open_store: Opener) -> None:
    """Each writer reads, adds one, and commits from the version it read, retrying on a
    conflict: the final count is the number of acknowledged commits."""
    workers = [open_store(), open_store()]
    workers[0].commit("", "fw", "acme", 0, b"0", None)
    acknowledged: list[int] = []

    def add(backend: Backend) -> None:
        for _ in range(25):
            while True:
                [(version, document)] = backend.load("", "fw", ["acme"]).values()
                assert document is not None
                value = int(document) + 1
                if backend.commit("", "fw", "acme", version, str(value).encode(), None):
                    acknowledged.append(value)
                    break

    threads = [threading.Thread(target=add, args=(workers[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(acknowledged) == list(range(1, 101))
    assert workers[1].load("", "fw", ["acme"])["acme"][1] == b"100"


def test_concurrent_creates_make_one_tenant(open_store: Opener) -> None:
    workers = [open_store() for _ in range(4)]
    won: list[int] = []
    barrier = threading.Barrier(4)

    def create(backend: Backend) -> None:
        barrier.wait()
        version = backend.commit("", "fw", "new", 0, b"x", entry(1))
        if version is not None:
            won.append(version)

    threads = [threading.Thread(target=create, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert len(workers[0].journal("")) == 1


def test_the_journal_numbers_entries_and_lists_violations(backend: Backend) -> None:
    assert backend.append("", entry(1)) == 1
    backend.commit("", "fw", "acme", 0, b"x", entry(2, violating=True))
    assert backend.append("", entry(3, status=0)) == 3
    assert backend.last_seq("") == 3
    assert [seq for seq, _ in backend.journal("")] == [1, 2, 3]
    assert [seq for seq, _ in backend.journal("", after_seq=1)] == [2, 3]
    assert backend.journal("", violating=True) == [(2, b'{"n": 2}')]
    assert backend.coverage("") == {("fw", "op", 200): 2}  # a status 0 is not counted


def test_clearing_the_journal_keeps_the_numbering(backend: Backend) -> None:
    backend.append("", entry(1))
    backend.append("", entry(2))
    backend.clear_journal("")
    assert backend.journal("") == []
    assert backend.coverage("") == {}
    assert backend.append("", entry(3)) == 3
    assert backend.last_seq("") == 3


def test_the_journal_is_bounded_by_entries_and_by_bytes(open_store: Opener) -> None:
    small = open_store(journal_capacity=10, journal_max_bytes=10_000)
    for n in range(300):
        small.append("", entry(n, violating=n % 50 == 0))
    kept = small.journal("")
    assert len(kept) <= 10 + 64 and kept[-1][0] == 300
    assert [seq for seq, _ in small.journal("", violating=True)] == [
        1 + n for n in range(0, 300, 50)
    ]
    assert small.coverage("") == {("fw", "op", 200): 300}  # counted over every entry
    big = JournalRecord(b"x" * 4000, "fw", "op", 200)
    for _ in range(5):
        small.append("big", big)
    assert 1 <= len(small.journal("big")) <= 3  # within 10,000 bytes, the newest kept
    assert small.journal("big")[-1][0] == 5


def test_replace_swaps_tenants_and_config_and_empties_counters(backend: Backend) -> None:
    old = backend.commit("", "fw", "gone", 0, b"x", entry(1))
    backend.set_config("", b"old")
    backend.hit("", "f1")
    assert backend.replace("", {"fw": {"acme": b"a"}, "lw": {"beta": b"b"}}, b"new")
    versions = backend.snapshot("", "fw")
    assert set(versions.tenants) == {"acme"}
    assert versions.tenants["acme"] > (old or 0)
    assert backend.config("")[1] == b"new"
    assert versions.config == backend.config("")[0]
    assert backend.hits("") == {}
    assert backend.load("", "lw", ["beta"])["beta"][1] == b"b"
    assert backend.last_seq("") == 1  # the journal stays


def test_replace_only_if_empty_seeds_once(open_store: Opener) -> None:
    one, two = open_store(), open_store()
    assert one.replace("", {"fw": {"acme": b"first"}}, b"c1", only_if_empty=True)
    assert not two.replace("", {"fw": {"acme": b"second"}}, b"c2", only_if_empty=True)
    assert two.load("", "fw", ["acme"])["acme"][1] == b"first"
    assert two.config("")[1] == b"c1"


def test_a_write_on_one_connection_is_read_at_once_on_another(open_store: Opener) -> None:
    one, two = open_store(), open_store()
    version = one.commit("", "fw", "acme", 0, b"x", None)
    assert two.snapshot("", "fw").tenants == {"acme": version}
    config = one.set_config("", b"c")
    assert two.snapshot("", "fw").config == config


def test_a_reopened_store_keeps_what_was_acknowledged(open_store: Opener) -> None:
    one = open_store()
    version = one.commit("", "fw", "acme", 0, b"kept", entry(1))
    one.set_config("", b"conf")
    one.close()
    again = open_store()
    assert again.load("", "fw", ["acme"]) == {"acme": (version, b"kept")}
    assert again.config("")[1] == b"conf"
    assert again.last_seq("") == 1
