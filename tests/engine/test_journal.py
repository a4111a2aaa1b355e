"""The journal: bounded, ordered, redacting; and the query over it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from secretmock.engine.journal import (
    BODY_BYTES,
    DEFAULT_MAX_BYTES,
    ENTRY_BYTES,
    REDACTED,
    SHAPE_KEY_CHARS,
    VIOLATION_BYTES,
    Journal,
    Query,
    QueryError,
    QueryFilters,
    query_filters,
    redact,
    shape,
    size,
)
from secretmock.engine.violations import Violation


def fields(**overrides: Any) -> dict[str, Any]:
    base = dict(
        time=0.0,
        vendor="v",
        operation_id="op",
        tenant="t1",
        method="GET",
        path="/",
        query="",
        status=200,
        duration_ms=0.1,
        body=None,
    )
    return {**base, **overrides}


def test_bounded_keeps_the_newest() -> None:
    journal = Journal(capacity=3)
    for status in range(200, 205):
        journal.record(**fields(status=status))
    assert [e.status for e in journal.entries()] == [202, 203, 204]
    assert [e.seq for e in journal.entries(since=3)] == [4, 5]
    assert journal.last_seq() == 5


def test_clear_keeps_numbering() -> None:
    journal = Journal()
    journal.record(**fields())
    journal.clear()
    assert journal.entries() == []
    assert journal.record(**fields()).seq == 2


def test_an_undelivered_answer_is_kept_as_status_0_and_not_covered() -> None:
    """A delayed answer cut at shutdown: nobody received its 200."""
    journal = Journal()
    kept = journal.record(**fields())
    cut = journal.record(**fields(violations=(Violation("response", "body", "bad"),)))
    journal.undelivered(cut)
    assert [e.status for e in journal.entries()] == [200, 0]
    assert [e.status for e in journal.violating()] == [0]
    assert journal.coverage() == {("v", "op"): {200: 1}}
    journal.undelivered(kept)
    assert journal.coverage() == {}
    after_clear = journal.record(**fields())
    journal.clear()
    journal.record(**fields())
    journal.undelivered(after_clear)  # counted before the clear: nothing left to take
    assert journal.coverage() == {("v", "op"): {200: 1}}


def test_redact_at_any_depth() -> None:
    document = {"a": {"value": "s1"}, "b": [{"value": ["x"]}, {"keyName": "K"}], "value": 3}
    assert redact(document, {"value"}) == {
        "a": {"value": REDACTED},
        "b": [{"value": REDACTED}, {"keyName": "K"}],
        "value": REDACTED,
    }
    assert redact(None, {"value"}) is None


# -- bounded by bytes (newcomer review C1) --------------------------------------------


def a_violation() -> Violation:
    return Violation("body", "/value", "required", True)


def test_a_body_past_the_entry_size_is_kept_as_its_shape() -> None:
    journal = Journal()
    small = {"keyName": "K", "value": REDACTED}
    big = {"openaiApiKey": {"value": REDACTED, "description": "d" * (2 * BODY_BYTES)}}
    assert journal.record(**fields(body=small)).body == small
    entry = journal.record(**fields(body=big))
    assert entry.body == {
        "openaiApiKey": {"value": "<string: 10 chars>", "description": "<string: 131072 chars>"}
    }


def test_a_shape_lists_keys_until_its_budget_then_counts_them() -> None:
    document = {f"key-{index:05d}": "v" * 1000 for index in range(60_000)}
    shaped = shape(document)
    assert size(shaped, 10 * BODY_BYTES) <= BODY_BYTES
    listed = [key for key in shaped if key != "<more>"]
    assert listed == list(document)[: len(listed)] and 100 < len(listed) < 1000
    assert shaped["<more>"] == f"<{60_000 - len(listed)} more keys>"
    assert shaped["key-00000"] == "<string: 1000 chars>"


def test_a_shape_cuts_long_keys() -> None:
    shaped = shape({"k" * 10_000: 1, "short": [1, "x"]})
    assert shaped == {
        "k" * SHAPE_KEY_CHARS + "...": "<number>",
        "short": ["<number>", "<string: 1 chars>"],
    }


def test_size_stops_counting_past_its_limit() -> None:
    assert size(None, 100) > 0
    assert size({"a": "xyz"}, 10_000) < size({"a": "xyz" * 100}, 10_000)
    huge = [{"k": "v"}] * 1_000_000
    assert 1000 < size(huge, 1000) < 1000 + 8 * 1_000_001 + 100


def test_the_journal_drops_its_oldest_entries_to_stay_within_bytes() -> None:
    journal = Journal(max_bytes=20 * BODY_BYTES)
    body = {"value": REDACTED, "description": "d" * (BODY_BYTES - 1000)}
    for _ in range(100):
        journal.record(**fields(body=body))
    kept = journal.entries()
    assert 10 <= len(kept) <= 20
    assert [e.seq for e in kept] == list(range(101 - len(kept), 101)), "the newest, in order"
    assert journal.bytes <= 20 * BODY_BYTES


def test_bytes_count_every_entry_once_whichever_list_holds_it() -> None:
    """Entries with violations are kept in two lists; an entry dropped from one and
    still held by the other still counts, once."""
    journal = Journal(capacity=4, max_bytes=10**9)
    for index in range(12):
        violations = (a_violation(),) if index % 3 == 0 else ()
        journal.record(**fields(violations=violations, path=f"/{index}"))
    held = {e.seq: e for e in [*journal.entries(), *journal.violating()]}
    assert [e.seq for e in journal.entries()] == [9, 10, 11, 12]
    assert [e.seq for e in journal.violating()] == [1, 4, 7, 10]
    expected = sum(
        ENTRY_BYTES + size(None, BODY_BYTES) + len(e.path) + VIOLATION_BYTES * len(e.violations)
        for e in held.values()
    )
    assert journal.bytes == expected
    journal.clear()
    assert journal.bytes == 0 and journal.record(**fields()).seq == 13


def test_within_bytes_the_oldest_go_first_from_either_list() -> None:
    journal = Journal(max_bytes=6 * (ENTRY_BYTES + 200))
    for index in range(30):
        violations = (a_violation(),) if index == 0 else ()
        journal.record(**fields(violations=violations))
    assert journal.violating() == [], "the oldest entry went, from both lists"
    assert journal.bytes <= 6 * (ENTRY_BYTES + 200)
    assert journal.entries()[-1].seq == 30


def test_the_newest_entry_stays_even_alone_past_the_bytes() -> None:
    journal = Journal(max_bytes=1)
    journal.record(**fields())
    journal.record(**fields(violations=(a_violation(),)))
    assert [e.seq for e in journal.entries()] == [2] and [e.seq for e in journal.violating()] == [2]


def test_the_emulator_takes_the_journals_byte_bound() -> None:
    from secretmock.engine.emulator import Emulator
    from secretmock.vendors import all_vendors

    emulator = Emulator(all_vendors(), journal_max_bytes=12345)
    assert emulator.journal._max_bytes == 12345
    assert Emulator(all_vendors()).journal._max_bytes == DEFAULT_MAX_BYTES == 64 * 1024 * 1024


# -- the query ------------------------------------------------------------------------------


def _journal_of_three() -> Journal:
    journal = Journal()
    journal.record(**fields(operation_id="get", status=200))
    journal.record(**fields(operation_id="get", status=404, tenant="t2"))
    journal.record(**fields(operation_id="put", status=200, body={"keyName": "K"}))
    return journal


def test_query_matches_every_criterion_and_names_what_others_miss() -> None:
    entries = _journal_of_three().entries()
    query = Query(QueryFilters(vendor="v", operation_id="get", status=200))
    assert [e.seq for e in query.matching(entries)] == [1]
    assert query.described() == "vendor='v', operation_id='get', status=200"
    assert [e.seq for e in query.closest(entries)] == [2, 3]
    assert query.differences(entries[1]) == {"status": 404}
    assert query.differences(entries[2]) == {"operation_id": "put"}


def test_query_none_means_any_and_body_matches_top_level_fields() -> None:
    entries = _journal_of_three().entries()
    assert len(Query(QueryFilters(tenant=None, status=None)).matching(entries)) == 3
    by_body = Query(QueryFilters(body={"keyName": "K"}))
    assert [e.seq for e in by_body.matching(entries)] == [3]
    assert by_body.differences(entries[0]) == {"body.keyName": None}
    assert Query(QueryFilters(method="GET", path="/")).closest(entries) == []


def test_closest_keeps_the_fewest_misses_first_and_at_most_count() -> None:
    entries = _journal_of_three().entries()
    query = Query(QueryFilters(operation_id="put", status=404))
    assert [e.seq for e in query.closest(entries)] == [2, 3, 1]  # 2 and 3 miss one, 1 two
    assert [e.seq for e in query.closest(entries, 1)] == [2]  # the earlier of 2 and 3


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], "must be a JSON object"),
        ({"operationId": "x"}, "unknown filter(s) 'operationId'; known: vendor, operation_id"),
        ({"status": "200"}, "'status' must be a whole number"),
        ({"status": True}, "'status' must be a whole number"),
        ({"body": ["x"]}, "'body' must be a JSON object"),
        ({"tenant": 3}, "'tenant' must be a string"),
    ],
)
def test_query_filters_name_the_first_problem(document: Any, problem: str) -> None:
    with pytest.raises(QueryError, match=re.escape(problem)):
        query_filters(document)


def test_query_filters_take_every_filter() -> None:
    document = {
        "vendor": "v",
        "operation_id": "get",
        "tenant": None,
        "status": 200,
        "method": "GET",
        "path": "/",
        "body": {"a": 1},
    }
    assert query_filters(document) == document
