"""The specs: valid OpenAPI, fully served, and each seed's operation unchanged in meaning."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate as validate_spec

from secretmock.engine.specs import SpecError, _stamp, check_spec_file, load_spec
from secretmock.resources import spec_path
from secretmock.vendors import all_vendors

SEEDS = Path(__file__).resolve().parent.parent / "data" / "seeds"
OPENAPI_SEEDS = ["prismeai", "langwatch", "insforge", "fireworks"]
# Words that document but do not change meaning.
PROSE = {"description", "example", "examples", "title", "summary", "tags"}
VENDORS = {vendor.name: vendor for vendor in all_vendors()}


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_spec_is_valid_openapi(name: str) -> None:
    document = yaml.safe_load(spec_path(VENDORS[name].spec_file).read_text())
    validate_spec(document)


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_every_operation_has_a_handler_and_every_handler_an_operation(name: str) -> None:
    spec = load_spec(spec_path(VENDORS[name].spec_file))
    assert {op.operation_id for op in spec.operations} == set(VENDORS[name].handlers)


def seed_document(name: str) -> dict[str, Any]:
    text = (SEEDS / f"{name}.txt").read_text()
    block = re.search(r"````yaml[^\n]*\n(.*?)````", text, re.DOTALL)
    assert block, f"no OpenAPI block in the {name} seed"
    return yaml.safe_load(block.group(1))  # type: ignore[no-any-return]


def resolve(node: Any, document: dict[str, Any], names: bool = False) -> Any:
    """``node`` with every local $ref inlined and prose keys dropped (``names``: the keys
    of ``node`` are property names, kept whatever they are called)."""
    if isinstance(node, dict):
        if "$ref" in node and not names:
            target: Any = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, document)
        return {
            k: resolve(v, document, names=k == "properties" and not names)
            for k, v in node.items()
            if names or k not in PROSE
        }
    if isinstance(node, list):
        return [resolve(item, document) for item in node]
    return node


def the_operation(document: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    [(path, item)] = [(p, i) for p, i in document["paths"].items()]
    [method] = [m for m in item if m in {"get", "put", "post", "patch", "delete"}]
    return path, method, item


def meaning(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """What a client relies on: parameters, body, responses the seed declares, security."""
    item = document["paths"][path]
    operation = item[method]
    parameters = resolve(item.get("parameters", []) + operation.get("parameters", []), document)
    return {
        "parameters": sorted(parameters, key=lambda p: (p["in"], p["name"])),
        "requestBody": resolve(operation.get("requestBody"), document),
        "responses": resolve(operation["responses"], document),
        "security": operation.get("security", document.get("security")),
        "securitySchemes": resolve(document["components"]["securitySchemes"], document),
        "servers": document.get("servers"),
    }


@pytest.mark.parametrize("name", OPENAPI_SEEDS)
def test_seed_operation_stands_unchanged(name: str) -> None:
    seed = seed_document(name)
    ours = yaml.safe_load(spec_path(VENDORS[name].spec_file).read_text())
    path, method, _ = the_operation(seed)
    assert method in ours["paths"][path], f"{name}: {method.upper()} {path} is missing"
    expected, actual = meaning(seed, path, method), meaning(ours, path, method)
    for status, response in expected.pop("responses").items():
        assert actual["responses"].get(status) == response, f"{name}: response {status} changed"
    actual.pop("responses")
    assert actual["securitySchemes"].items() >= expected.pop("securitySchemes").items()
    actual.pop("securitySchemes")
    assert actual == expected


def test_instabase_seed_update_operation_matches_the_page() -> None:
    """The Instabase seed is a documentation page: check what it states, field by field."""
    document = yaml.safe_load(spec_path("instabase.yaml").read_text())
    assert document["servers"][0]["url"] == "https://aihub.instabase.com/api"
    operation = document["paths"]["/v2/aihub/secrets"]["patch"]
    body = resolve(operation["requestBody"], document)
    schema = body["content"]["application/json"]["schema"]
    assert body.get("required", False) is True
    assert schema["required"] == ["alias"]
    props = schema["properties"]
    assert {k: props[k]["type"] for k in props} == {
        "alias": "string",
        "description": "string",
        "value": "string",
        "allowed_workspaces_type": "string",
        "allowed_workspaces": "array",
    }
    assert props["allowed_workspaces_type"]["enum"] == ["ALL", "SOME", "NONE"]
    assert props["allowed_workspaces"]["items"] == {"type": "string"}
    headers = [p for p in resolve(operation.get("parameters", []), document) if p["in"] == "header"]
    assert [(p["name"], p.get("required", False)) for p in headers] == [("IB-Context", False)]
    security = operation.get("security", document.get("security"))
    schemes = document["components"]["securitySchemes"]
    [(scheme_name, _)] = [next(iter(requirement.items())) for requirement in security]
    assert schemes[scheme_name]["type"] == "http" and schemes[scheme_name]["scheme"] == "bearer"
    assert "200" in operation["responses"]


def test_a_spec_is_checked_once_per_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRETMOCK_CACHE_DIR", str(tmp_path / "cache"))
    good = tmp_path / "good.yaml"
    good.write_text(spec_path("fireworks.yaml").read_text())
    load_spec(good)
    assert len(list((tmp_path / "cache" / "checked-specs").iterdir())) == 1
    broken = tmp_path / "broken.yaml"
    broken.write_text(good.read_text().replace("openapi: 3.1.0", "openapi: 3.1.0\nnonsense: 1"))
    with pytest.raises(SpecError, match=r"broken\.yaml: not a valid OpenAPI document"):
        load_spec(broken)
    assert len(list((tmp_path / "cache" / "checked-specs").iterdir())) == 1


def test_an_unwritable_cache_still_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SECRETMOCK_CACHE_DIR", str(blocker))
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_path("langwatch.yaml").read_text().replace("openapi: 3.1.0", "openapi: 9"))
    with pytest.raises(SpecError):
        load_spec(spec)


def test_check_spec_file_always_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRETMOCK_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "spec.yaml"
    spec.write_text("openapi: 3.1.0\n")
    stamp = _stamp(spec)
    assert stamp is not None
    stamp.parent.mkdir(parents=True)
    stamp.touch()  # as if these bytes had passed before
    with pytest.raises(SpecError, match=r"spec\.yaml: not a valid OpenAPI document"):
        check_spec_file(spec)
