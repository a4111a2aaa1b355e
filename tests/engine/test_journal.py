"""The journal: bounded, ordered, redacting."""

from __future__ import annotations

from typing import Any

from secretmock.engine.journal import REDACTED, Journal, redact


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
