"""The openapi-core internals ``engine/validation/schema_factory.py`` relies on are all
there.

``SchemaValidatorFactory`` builds the JSON Schema validator openapi-core itself would run
on a schema by reading attributes openapi-core never promised
(``OPENAPI_CORE_INTERNALS``). An openapi-core release that renames one would surface as
an ``AttributeError`` on the first refused request, far from its cause; this test names
the missing one instead, and points at the pin that keeps such a release out.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from secretmock.engine.specs import load_spec
from secretmock.engine.validation.schema_factory import (
    OPENAPI_CORE_INTERNALS,
    SchemaValidatorFactory,
)

PIN = (
    "openapi-core {found}: {owner}.{name} is gone, and "
    "secretmock/engine/validation/schema_factory.py reads it. Check schema_factory.py "
    "against this openapi-core release before moving the pin 'openapi-core>=0.23,<0.24' "
    "in pyproject.toml."
)
SPEC = Path(__file__).resolve().parents[2] / "specs" / "fireworks.yaml"


@pytest.fixture(scope="module")
def factory() -> SchemaValidatorFactory:
    return SchemaValidatorFactory(load_spec(SPEC))


def instances(factory: SchemaValidatorFactory, side: str) -> dict[str, object]:
    """The openapi-core objects the factory reads, for the ``side`` it is asked about."""
    openapi = factory.openapi
    component = openapi.request_unmarshaller if side == "request" else openapi.response_validator
    made = component.schema_validators_factory.create(  # type: ignore[union-attr]
        component.spec,  # type: ignore[union-attr]
        openapi.spec / "components" / "schemas" / "gatewaySecret",
        format_validators=component.format_validators,  # type: ignore[union-attr]
        extra_format_validators=component.extra_format_validators,  # type: ignore[union-attr]
        forbid_unspecified_additional_properties=(
            component.forbid_unspecified_additional_properties  # type: ignore[union-attr]
        ),
        enforce_properties_required=component.enforce_properties_required,  # type: ignore[union-attr]
    )
    return {"OpenAPI": openapi, "component": component, "SchemaValidator": made}


INTERNALS = [(owner, name) for owner, names in OPENAPI_CORE_INTERNALS.items() for name in names]


@pytest.mark.parametrize("side", ["request", "response"])
@pytest.mark.parametrize(("owner", "name"), INTERNALS, ids=[f"{o}.{n}" for o, n in INTERNALS])
def test_openapi_core_still_has_what_schema_factory_reads(
    factory: SchemaValidatorFactory, owner: str, name: str, side: str
) -> None:
    found = instances(factory, side)[owner]
    assert hasattr(found, name), PIN.format(found=version("openapi-core"), owner=owner, name=name)


def test_the_classes_it_imports_are_where_it_imports_them() -> None:
    import openapi_core
    from openapi_core.security import factories

    for module, name in [
        (openapi_core, "OpenAPI"),
        (openapi_core, "Config"),
        (factories, "SecurityProviderFactory"),
    ]:
        assert hasattr(module, name), PIN.format(
            found=version("openapi-core"), owner=module.__name__, name=name
        )


def test_a_validator_it_builds_judges_as_openapi_core_does(
    factory: SchemaValidatorFactory,
) -> None:
    """The whole read path, end to end: a schema of the spec, openapi-core's verdict."""
    validator = factory.validator(("components", "schemas", "gatewaySecret"), "request")
    assert hasattr(validator, "iter_errors"), PIN.format(
        found=version("openapi-core"), owner="SchemaValidator.validator", name="iter_errors"
    )
    assert validator.is_valid({"name": "accounts/acme/secrets/s1", "keyName": "K"})
    [error] = validator.iter_errors({"name": "accounts/acme/secrets/s1"})
    assert error.validator == "required"
