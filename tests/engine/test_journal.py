"""The journal: bounded, ordered, redacting; and the query over it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from secretmock.engine.journal import (
    REDACTED,
    Journal,
    Query,
    QueryError,
    QueryFilters,
    query_filters,
    redact,
)


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


def test_redact_at_any_depth() -> None:
    document = {"a": {"value": "s1"}, "b": [{"value": ["x"]}, {"keyName": "K"}], "value": 3}
    assert redact(document, {"value"}) == {
        "a": {"value": REDACTED},
        "b": [{"value": REDACTED}, {"keyName": "K"}],
        "value": REDACTED,
    }
    assert redact(None, {"value"}) is None


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
