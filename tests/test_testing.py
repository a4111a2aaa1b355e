"""The ``SecretMock`` handle's request assertions, over both transports (conftest ``api``).

The handle is built on the session emulator after its reset, as the pytest fixture does,
so it sees exactly the requests each test makes."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.testing import SecretMock
from tests.conftest import Api
from tests.helpers import table

BASE = "/fireworks/v1/accounts/acme/secrets"
AUTH = {"Authorization": "Bearer fw-test-acme"}
GET = ("fireworks", "Gateway_GetSecret")
DELETE = ("fireworks", "Gateway_DeleteSecret")


@pytest.fixture
def handle(api: Api, emulator: Emulator) -> SecretMock:
    """A handle after two reads of s1 and one refused update (409: the key is taken)."""
    mock = SecretMock(emulator, "")
    for _ in range(2):
        assert api.request("GET", f"{BASE}/s1", headers=AUTH).status_code == 200
    taken = {"keyName": "OPENAI_API_KEY"}
    assert api.request("PATCH", f"{BASE}/s1", headers=AUTH, json=taken).status_code == 409
    return mock


class Passing(NamedTuple):
    id: str
    operation: tuple[str, str]
    filters: dict[str, Any]
    latest_seq: int  # which request assert_called returns (1-based in this test)


PASSING = [
    Passing("count-met", GET, {"count": 2}, latest_seq=2),
    Passing("count-with-status", GET, {"status": 200, "count": 2}, latest_seq=2),
    Passing("no-count-any-number", GET, {}, latest_seq=2),
    Passing(
        "count-one-refused-update",
        ("fireworks", "Gateway_UpdateSecret"),
        {"status": 409, "tenant": "acme", "count": 1},
        latest_seq=3,
    ),
]


@table(PASSING)
def test_assert_called_returns_the_latest_match(
    handle: SecretMock, operation: tuple[str, str], filters: dict[str, Any], latest_seq: int
) -> None:
    entry = handle.assert_called(*operation, **filters)
    assert entry.seq - handle.journal[0].seq + 1 == latest_seq
    assert (entry.vendor, entry.operation_id) == operation


class Failing(NamedTuple):
    id: str
    operation: tuple[str, str]
    filters: dict[str, Any]
    message: list[str]  # regular expressions, in order, one line each


FAILING = [
    Failing(
        "too-few",
        GET,
        {"count": 3},
        [
            r"expected 3 request\(s\) matching vendor='fireworks', "
            r"operation_id='Gateway_GetSecret'; 2 did:$",
            r"  #\d+ GET fireworks/v1/accounts/acme/secrets/s1 -> 200 \[Gateway_GetSecret\]$",
            r"  #\d+ GET fireworks/v1/accounts/acme/secrets/s1 -> 200 \[Gateway_GetSecret\]$",
            r"the closest others were:$",
            r"  #\d+ PATCH .* -> 409 \[Gateway_UpdateSecret\] differs in "
            r"operation_id: 'Gateway_UpdateSecret'$",
        ],
    ),
    Failing(
        "too-many",
        GET,
        {"count": 1},
        [r"expected 1 request\(s\) matching .*; 2 did:$", r"  #\d+ GET", r"  #\d+ GET"],
    ),
    Failing(
        "none-with-this-status",
        GET,
        {"status": 404, "count": 2},
        [
            r"expected 2 request\(s\) matching .*status=404; the closest were:$",
            r"  #\d+ GET .* differs in status: 200$",
        ],
    ),
]


@table(FAILING)
def test_assert_called_with_a_wrong_count_lists_what_was_seen(
    handle: SecretMock, operation: tuple[str, str], filters: dict[str, Any], message: list[str]
) -> None:
    with pytest.raises(AssertionError) as failure:
        handle.assert_called(*operation, **filters)
    lines = str(failure.value).splitlines()
    for pattern, line in zip(message, lines, strict=False):
        assert re.match(pattern, line), (pattern, line)
    assert len(lines) >= len(message), lines


@pytest.mark.parametrize("count", [0, -1])
def test_count_below_one_is_refused(handle: SecretMock, count: int) -> None:
    with pytest.raises(ValueError, match="use assert_not_called"):
        handle.assert_called(*GET, count=count)


class NotCalled(NamedTuple):
    id: str
    operation: tuple[str, str]
    filters: dict[str, Any]


NOT_CALLED = [
    NotCalled("other-operation", DELETE, {}),
    NotCalled("other-status", GET, {"status": 404}),
    NotCalled("other-tenant", GET, {"tenant": "globex"}),
    NotCalled("other-body", ("fireworks", "Gateway_UpdateSecret"), {"body": {"keyName": "X"}}),
]


@table(NOT_CALLED)
def test_assert_not_called_passes_when_nothing_matches(
    handle: SecretMock, operation: tuple[str, str], filters: dict[str, Any]
) -> None:
    handle.assert_not_called(*operation, **filters)


def test_assert_not_called_lists_the_requests_that_matched(handle: SecretMock) -> None:
    with pytest.raises(AssertionError) as failure:
        handle.assert_not_called(*GET, tenant="acme")
    lines = str(failure.value).splitlines()
    assert lines[0] == (
        "expected no request matching vendor='fireworks', operation_id='Gateway_GetSecret', "
        "tenant='acme'; 2 did:"
    )
    assert all(" GET fireworks/v1/accounts/acme/secrets/s1 -> 200 " in x for x in lines[1:3])
    assert lines[3] == "the closest others were:"
    assert "[Gateway_UpdateSecret] differs in operation_id" in lines[4]


def test_without_requests_both_say_so(emulator: Emulator) -> None:
    mock = SecretMock(emulator, "")
    mock.assert_not_called(*GET)
    with pytest.raises(AssertionError, match="this test made no request to secretmock"):
        mock.assert_called(*GET, count=1)
