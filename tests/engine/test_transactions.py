"""Every store transaction is all or nothing: a block (a handler) that raises midway
leaves the tenants exactly as they were, to the order of their keys; one that returns
keeps what it did. Seen on the store itself, through a fake vendor's pipeline, and on
Prisme.ai's deep-value write (newcomer review D3) with the depth check turned off, over
both transports.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from secretmock.engine import json_values
from secretmock.engine.incoming import IncomingRequest, incoming_request
from secretmock.engine.journal import Journal
from secretmock.engine.pipeline import VendorPipeline
from secretmock.engine.sources import Sources
from secretmock.engine.specs import load_spec
from secretmock.engine.state import dump_tenant
from secretmock.engine.store import (
    Credential,
    StoredRecord,
    TenantState,
    TrackedDict,
    VendorStore,
)
from secretmock.engine.vendor_api import Call, CredentialLookup, Principal, Reply, Vendor
from tests.conftest import Api
from tests.helpers import Envelope

TINY_SPEC = Path(__file__).parent.parent / "data" / "specs" / "tiny.yaml"
TOKEN = "good-token"


@dataclass
class Item(StoredRecord):
    name: str
    value: str
    tags: list[str]


class Midway(Exception):
    """What the tests' blocks raise after part of their change."""


def a_tenant() -> TenantState[Item]:
    tenant: TenantState[Item] = TenantState("t1")
    tenant.credentials[TOKEN] = Credential(TOKEN, "t1", "admin", "ada")
    for name in ("a", "b", "c"):
        tenant.secrets[name] = Item(name, f"value-{name}", [name])
    tenant.indexes["names"] = sorted(tenant.secrets)
    return tenant


def as_it_is(tenant: TenantState[Item]) -> Any:
    """Everything a tenant holds, orders included, as plain values."""
    return (
        list(tenant.credentials.items()),
        [(key, vars(record).copy()) for key, record in tenant.secrets.items()],
        type(tenant.secrets),
        type(tenant.credentials),
    )


def change_midway(change: Callable[[TenantState[Item]], object]) -> tuple[Any, Any, VendorStore]:
    """A store holding a_tenant(); ``change`` runs on it in a transaction, then the
    block raises. Answers the tenant as it was before and after, and the store."""
    store = VendorStore()
    store.put(a_tenant())
    tenant = store.get("t1")
    assert tenant is not None
    before = copy.deepcopy(as_it_is(tenant))
    with pytest.raises(Midway), store.transaction():
        change(tenant)
        raise Midway
    return before, as_it_is(tenant), store


def deleted_then_added_again(tenant: TenantState[Item]) -> None:
    del tenant.secrets["a"]
    tenant.secrets["a"] = Item("a", "back", [])


def changed_then_deleted(tenant: TenantState[Item]) -> None:
    tenant.secrets["a"].value = "x"
    tenant.secrets["b"] = Item("b", "y", [])
    del tenant.secrets["b"]


def replaced_then_changed(tenant: TenantState[Item]) -> None:
    tenant.secrets = {}
    tenant.secrets["only"] = Item("only", "v", [])


def credentials_changed(tenant: TenantState[Item]) -> None:
    tenant.credentials["new"] = Credential("new", "t1", "admin", "bob")
    del tenant.credentials[TOKEN]


def every_field_twice(tenant: TenantState[Item]) -> None:
    for name in ("name", "value", "name", "value"):
        setattr(tenant.secrets["a"], name, "x")


CHANGES: dict[str, Callable[[TenantState[Item]], object]] = {
    "a-record-field": lambda t: setattr(t.secrets["b"], "value", "changed"),
    "every-field-twice": every_field_twice,
    "a-field-replaced-by-a-new-list": lambda t: setattr(t.secrets["a"], "tags", ["new"]),
    "a-new-key": lambda t: t.secrets.__setitem__("d", Item("d", "v", [])),
    "a-key-replaced": lambda t: t.secrets.__setitem__("b", Item("b", "other", [])),
    "a-key-deleted": lambda t: t.secrets.__delitem__("a"),
    "deleted-then-added-again": deleted_then_added_again,
    "changed-then-deleted": changed_then_deleted,
    "pop": lambda t: t.secrets.pop("b"),
    "pop-a-missing-key": lambda t: t.secrets.pop("zz", None),
    "popitem": lambda t: t.secrets.popitem(),
    "clear": lambda t: t.secrets.clear(),
    "update": lambda t: t.secrets.update({"a": Item("a", "u", []), "z": Item("z", "u", [])}),
    "or-equals": lambda t: t.secrets.__ior__({"q": Item("q", "v", [])}),
    "setdefault": lambda t: t.secrets.setdefault("n", Item("n", "v", [])),
    "the-dict-replaced": lambda t: setattr(
        t, "secrets", {("renamed" if k == "a" else k): v for k, v in t.secrets.items()}
    ),
    "replaced-then-changed": replaced_then_changed,
    "a-credential-added-and-one-removed": credentials_changed,
    "a-record-made-inside": lambda t: t.secrets.__setitem__("m", Item("m", "v", ["x"])),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_block_that_raises_leaves_the_tenant_as_it_was(
    change: Callable[[TenantState[Item]], object],
) -> None:
    before, after, _ = change_midway(change)
    assert after == before


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_block_that_returns_keeps_its_change(
    change: Callable[[TenantState[Item]], object],
) -> None:
    store = VendorStore()
    store.put(a_tenant())
    tenant = store.get("t1")
    assert tenant is not None
    expected = a_tenant()
    change(expected)  # the same change, outside any transaction
    with store.transaction():
        change(tenant)
    assert as_it_is(tenant) == as_it_is(expected)


def test_an_undo_drops_the_indexes_and_nothing_else_does() -> None:
    _, _, store = change_midway(CHANGES["a-new-key"])
    tenant = store.get("t1")
    assert tenant is not None and tenant.indexes == {}, "the vendor rebuilds them"
    untouched = VendorStore()
    untouched.put(a_tenant())
    with pytest.raises(Midway), untouched.transaction():
        raise Midway  # nothing changed: nothing to undo, the indexes stay
    assert (kept := untouched.get("t1")) is not None and kept.indexes == {"names": ["a", "b", "c"]}


def test_an_inner_block_joins_the_outer_one() -> None:
    store = VendorStore()
    store.put(a_tenant())
    tenant = store.get("t1")
    assert tenant is not None
    before = copy.deepcopy(as_it_is(tenant))
    with pytest.raises(Midway), store.transaction():
        with store.transaction():
            tenant.secrets["a"].value = "inner"
        tenant.secrets["b"].value = "outer"
        raise Midway
    assert as_it_is(tenant) == before, "the inner block's change goes with the outer one"


def test_another_stores_transaction_inside_keeps_its_own_log() -> None:
    first, second = VendorStore(), VendorStore()
    first.put(a_tenant())
    second.put(a_tenant())
    one, two = first.get("t1"), second.get("t1")
    assert one is not None and two is not None
    with pytest.raises(Midway), first.transaction():
        one.secrets["a"].value = "first"
        with second.transaction():
            two.secrets["a"].value = "second"
        raise Midway
    assert (one.secrets["a"].value, two.secrets["a"].value) == ("value-a", "second")


def test_changes_outside_a_transaction_are_not_logged() -> None:
    tenant = a_tenant()
    tenant.secrets["a"].value = "free"
    tenant.secrets["z"] = Item("z", "v", [])
    assert isinstance(tenant.secrets, TrackedDict)
    store = VendorStore()
    store.put(tenant)
    with pytest.raises(Midway), store.transaction():
        raise Midway
    assert tenant.secrets["a"].value == "free" and "z" in tenant.secrets


# -- through a vendor's pipeline ------------------------------------------------------


def authenticate(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
    credential = lookup(request.headers.get("authorization", "").removeprefix("Bearer "))
    assert credential is not None
    return Principal(credential.tenant_id, credential.role, credential.user)


def put_halfway(call: Call) -> Reply:
    """Changes a record, adds one, removes one and rotates a credential, then fails as a
    bug would."""
    tenant = call.tenant
    tenant.secrets["a"].value = call.body["value"]
    tenant.secrets[call.path["name"]] = Item(call.path["name"], call.body["value"], [])
    del tenant.secrets["b"]
    tenant.credentials["rotated"] = Credential("rotated", "t1", "admin", "ada")
    tenant.secrets = dict(reversed(tenant.secrets.items()))
    if call.path["name"] == "boom":
        raise RecursionError("as deep values once made copy.deepcopy fail midway")
    return Reply(200, {"name": call.path["name"], "value": call.body["value"]})


HALFWAY = Vendor(
    name="halfway",
    spec_file="tiny.yaml",
    roles=frozenset({"admin"}),
    authenticate=authenticate,
    handlers={"putItem": put_halfway},
    errors=Envelope(),
    seed_secret=lambda tenant, entry, sources: None,
    export_secret=lambda record: vars(record),
    record_type=Item,
)


def test_a_handler_that_fails_midway_changes_nothing() -> None:
    store = VendorStore()
    store.put(a_tenant())
    pipeline = VendorPipeline(HALFWAY, load_spec(TINY_SPEC), store, Sources(seed=1), Journal())
    tenant = store.get("t1")
    assert tenant is not None
    before = copy.deepcopy(as_it_is(tenant))
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
    request = incoming_request("PUT", "/api/items/boom", "", headers.items(), b'{"value": "v"}')
    assert pipeline.handle(request).reply.status == 500
    assert as_it_is(tenant) == before
    assert store.credential("rotated") is None
    request = incoming_request("PUT", "/api/items/fine", "", headers.items(), b'{"value": "v"}')
    assert pipeline.handle(request).reply.status == 200, "the same change, kept when it ends"
    assert list(tenant.secrets) == ["fine", "c", "a"] and store.credential("rotated")


# -- Prisme.ai's deep write, the depth check turned off -------------------------------

PRISME = {"x-prismeai-api-key": "prisme-test-ws1", "Content-Type": "application/json"}
PRISME_SECRETS = "/prismeai/v2/workspaces/ws1/security/secrets"


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_prisme_write_that_breaks_midway_leaves_the_workspace_as_it_was(
    api: Api, emulator: Any, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """The write deletes, updates and creates, then ``copy.deepcopy`` of the deep value
    overflows Python's stack: the vendor's 500, and every secret as it was."""
    monkeypatch.setattr(json_values, "MAX_DEPTH", 100_000)
    pipeline = emulator.pipelines["prismeai"]
    tenant = pipeline.store.get("ws1")
    before = dump_tenant(tenant)
    deep = "[" * 600 + "]" * 600
    body = (
        '{"openaiApiKey": {"value": "changed"}, "newOne": {"value": "n"}, '
        '"deep": {"value": ' + deep + "}}"
    )
    answer = api.request(method, PRISME_SECRETS, headers=PRISME, data=body)
    assert answer.status_code == 500, answer.json()
    assert dump_tenant(pipeline.store.get("ws1")) == before
    listed = api.request("GET", PRISME_SECRETS, headers=PRISME)
    assert listed.status_code == 200
    assert sorted(listed.json()) == sorted(before["secrets"])


@dataclass(slots=True)
class SlottedItem(StoredRecord):
    name: str
    value: str
    tags: list[str]


def test_a_slotted_records_fields_are_put_back_when_the_block_raises() -> None:
    store = VendorStore()
    tenant: TenantState[SlottedItem] = TenantState("t1")
    tenant.secrets["a"] = SlottedItem("a", "value-a", ["a"])
    store.put(tenant)
    record = tenant.secrets["a"]
    with pytest.raises(RuntimeError), store.transaction():
        record.value = "changed"
        record.tags = ["b"]
        record.value = "changed again"
        tenant.secrets["b"] = SlottedItem("b", "value-b", [])
        raise RuntimeError("midway")
    assert (record.name, record.value, record.tags) == ("a", "value-a", ["a"])
    assert list(tenant.secrets) == ["a"]
    assert not hasattr(record, "__dict__")
