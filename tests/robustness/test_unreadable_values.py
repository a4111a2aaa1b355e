"""Values no JSON client can read back (issue 8, bugs 2 and 3) and dates of every year
(bug 9), over both transports.

NaN, Infinity, numbers past a double and lone surrogates, in a secret field, in another
field or in a key, are refused with the vendor's own 400 and never stored: afterwards the
tenant, the journal and every read of the secret still answer 200 with what was there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NamedTuple

import pytest

from secretmock.engine.fixtures import FixtureError
from secretmock.engine.json_values import UnreadableJson, loads
from secretmock.vendors.common import iso_timestamp
from tests.conftest import Api
from tests.helpers import (
    FIREWORKS,
    INSFORGE,
    INSTABASE,
    LANGWATCH,
    PRISME,
    PRISME_SECRETS,
    TENANTS,
    table,
)


class Unreadable(NamedTuple):
    id: str
    vendor: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    read_back: str
    """A GET that must still answer 200 afterwards."""


STRIPE = "/insforge/api/secrets/STRIPE_API_KEY"

UNREADABLE = [
    Unreadable(
        "insforge-lone-surrogate-escaped",
        "insforge",
        "PUT",
        STRIPE,
        INSFORGE,
        b'{"value":"\\ud800"}',
        STRIPE,
    ),
    Unreadable(
        "insforge-lone-surrogate-raw-bytes",
        "insforge",
        "PUT",
        STRIPE,
        INSFORGE,
        b'{"value":"\xed\xa0\x80"}',
        STRIPE,
    ),
    Unreadable(
        "insforge-surrogate-in-a-non-secret-field",
        "insforge",
        "POST",
        "/insforge/api/secrets",
        INSFORGE,
        b'{"key":"NEW_KEY","value":"v","expiresAt":"2030-01-01T00:00:00Z\\udfff"}',
        "/insforge/api/secrets",
    ),
    Unreadable(
        "prismeai-infinity",
        "prismeai",
        "PATCH",
        PRISME_SECRETS,
        PRISME,
        b'{"n":{"value":Infinity}}',
        PRISME_SECRETS,
    ),
    Unreadable(
        "prismeai-minus-infinity",
        "prismeai",
        "PUT",
        PRISME_SECRETS,
        PRISME,
        b'{"n":{"value":-Infinity}}',
        PRISME_SECRETS,
    ),
    Unreadable(
        "prismeai-nan",
        "prismeai",
        "PATCH",
        PRISME_SECRETS,
        PRISME,
        b'{"n":{"value":NaN}}',
        PRISME_SECRETS,
    ),
    Unreadable(
        "prismeai-number-past-a-double",
        "prismeai",
        "PATCH",
        PRISME_SECRETS,
        PRISME,
        b'{"n":{"value":1e999}}',
        PRISME_SECRETS,
    ),
    Unreadable(
        "prismeai-surrogate-in-a-key",
        "prismeai",
        "PATCH",
        PRISME_SECRETS,
        PRISME,
        b'{"a\\udc00":{"value":"x"}}',
        PRISME_SECRETS,
    ),
    Unreadable(
        "prismeai-surrogate-deep-in-a-value",
        "prismeai",
        "PATCH",
        PRISME_SECRETS,
        PRISME,
        b'{"n":{"value":{"list":["ok",["\\ud83d"]]}}}',
        PRISME_SECRETS,
    ),
    Unreadable(
        "instabase-surrogate-in-the-description",
        "instabase",
        "POST",
        "/instabase/api/v2/aihub/secrets",
        INSTABASE,
        b'{"alias":"new","value":"v","allowed_workspaces_type":"ALL","description":"\\ud800"}',
        "/instabase/api/v2/aihub/secrets",
    ),
    Unreadable(
        "langwatch-surrogate-value",
        "langwatch",
        "POST",
        "/langwatch/api/secrets",
        LANGWATCH,
        b'{"name":"NEW_SECRET","value":"\\udbff"}',
        "/langwatch/api/secrets",
    ),
    Unreadable(
        "fireworks-nan-value",
        "fireworks",
        "POST",
        "/fireworks/v1/accounts/acme/secrets",
        FIREWORKS,
        b'{"name":"accounts/acme/secrets/n1","keyName":"N1","value":NaN}',
        "/fireworks/v1/accounts/acme/secrets",
    ),
]


@table(UNREADABLE)
def test_unreadable_values_are_refused_and_never_stored(
    api: Api,
    vendor: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    read_back: str,
) -> None:
    tenant_url = f"/__admin__/tenants/{vendor}/{TENANTS[vendor]}"
    before = api.request("GET", tenant_url).json()
    response = api.request(method, path, headers=headers, data=body)
    assert response.status_code == 400, response.json()
    assert api.request("GET", tenant_url).json() == before
    assert api.request("GET", read_back, headers=headers).status_code == 200
    assert api.request("GET", "/__admin__/journal").status_code == 200
    assert api.request("GET", "/__admin__/violations").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"secrets":[{"name":"a","value":NaN}]}', id="nan"),
        pytest.param(b'{"secrets":[{"name":"a","value":"\\ud800"}]}', id="surrogate"),
        pytest.param(b'{"credentials":[{"token":"t\\udfff"}]}', id="surrogate-token"),
    ],
)
def test_an_admin_tenant_with_an_unreadable_value_is_refused(api: Api, body: bytes) -> None:
    response = api.request(
        "PUT",
        "/__admin__/tenants/prismeai/ws2",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] in {"malformed_json", "invalid_tenant"}
    assert api.request("GET", "/__admin__/tenants/prismeai/ws2").status_code == 404


class Loaded(NamedTuple):
    id: str
    text: str
    problem: str | None


LOADS = [
    Loaded("plain", '{"a":[1,2.5,"x"]}', None),
    Loaded("valid-surrogate-pair", '{"a":"\\ud83d\\ude00"}', None),
    Loaded("non-ascii", '{"clé":"été"}', None),
    Loaded("nan", '{"a":NaN}', "NaN is not a JSON value"),
    Loaded("infinity", "[Infinity]", "Infinity is not a JSON value"),
    Loaded("minus-infinity", "[-Infinity]", "-Infinity is not a JSON value"),
    Loaded("past-a-double", "[1e999]", "1e999 is too large for a JSON number"),
    Loaded("lone-high", '{"a":"\\ud800"}', "the string at /a holds a lone surrogate"),
    Loaded("lone-low-in-list", '{"a":[0,"\\udc00"]}', "the string at /a/1 holds a lone surrogate"),
    Loaded("lone-in-key", '{"\\ud800":1}', "a key at / holds a lone surrogate"),
    Loaded("deep", "[" * 100_000 + "]" * 100_000, "the JSON is nested too deeply"),
]


@table(LOADS)
def test_loads_refuses_what_no_client_could_read(text: str, problem: str | None) -> None:
    if problem is None:
        assert loads(text.encode()) is not None
        return
    with pytest.raises(UnreadableJson, match=problem.replace("[", r"\[")):
        loads(text.encode())


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param({"name": "n", "value": float("nan")}, id="yaml-nan"),
        pytest.param({"name": "n", "value": float("inf")}, id="yaml-inf"),
        pytest.param({"name": "n\ud800", "value": "x"}, id="surrogate-name"),
    ],
)
def test_a_fixtures_entry_with_an_unreadable_value_is_refused(
    emulator: Any, secret: dict[str, Any]
) -> None:
    with pytest.raises(FixtureError, match="no JSON client could read it back"):
        emulator.put_tenant("prismeai", "ws3", {"secrets": [secret]})


class FarDate(NamedTuple):
    id: str
    expires_at: str
    written: str


FAR_DATES = [
    FarDate("year-1", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
    FarDate("year-999", "0999-12-31T23:59:59.999Z", "0999-12-31T23:59:59.999Z"),
    FarDate("year-9999", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000Z"),
    FarDate("offset-into-year-1", "0001-01-01T10:00:00+09:00", "0001-01-01T01:00:00.000Z"),
]


@table(FAR_DATES)
def test_insforge_writes_every_year_in_its_own_format(
    api: Api, expires_at: str, written: str
) -> None:
    created = api.request(
        "POST",
        "/insforge/api/secrets",
        headers=INSFORGE,
        json={"key": "FAR_KEY", "value": "v", "expiresAt": expires_at},
    )
    assert created.status_code == 201, created.json()
    listed = api.request("GET", "/insforge/api/secrets", headers=INSFORGE)
    assert listed.status_code == 200, listed.json()
    [row] = [s for s in listed.json()["secrets"] if s["key"] == "FAR_KEY"]
    assert row["expiresAt"] == written


def test_a_date_that_leaves_the_calendar_is_refused(api: Api) -> None:
    """Year 1 at +01:00 is year 0 in UTC, which Python's calendar (and so the emulator)
    cannot hold: a 400, not a stored time that breaks the list."""
    created = api.request(
        "POST",
        "/insforge/api/secrets",
        headers=INSFORGE,
        json={"key": "FAR_KEY", "value": "v", "expiresAt": "0001-01-01T00:00:00+01:00"},
    )
    assert created.status_code == 400
    assert api.request("GET", "/insforge/api/secrets", headers=INSFORGE).status_code == 200


class Stamp(NamedTuple):
    id: str
    moment: datetime
    written: str


STAMPS = [
    Stamp("year-1", datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000Z"),
    Stamp("year-999", datetime(999, 2, 3, 4, 5, 6, 7000, tzinfo=UTC), "0999-02-03T04:05:06.007Z"),
    Stamp(
        "year-2026", datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC), "2026-01-02T03:04:05.999Z"
    ),
    Stamp("year-9999", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "9999-12-31T23:59:59.000Z"),
    Stamp(
        "offset",
        datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))),
        "2025-12-31T23:00:00.000Z",
    ),
]


@table(STAMPS)
def test_iso_timestamp_is_javascripts_form_for_every_year(moment: datetime, written: str) -> None:
    """Prisme.ai, LangWatch and InsForge all write times this way (Node's
    ``Date.toISOString()``), whatever the emulated clock says."""
    assert iso_timestamp(moment) == written
