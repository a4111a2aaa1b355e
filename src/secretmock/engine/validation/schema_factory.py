"""openapi-core's JSON Schema validators, one per schema of a spec, built on first need.

A refusal must be openapi-core's own verdict, so the validator that judges a value the
fast checks did not accept is the one openapi-core itself would run on that schema:
made by its schema-validator factory, with its format checkers and its settings for
the request or the response side. :class:`SchemaValidatorFactory` makes those, one
spec's worth, from openapi-core's ``OpenAPI`` object, which it creates (and imports
openapi-core for) only when the first validator is asked for: a start-up that serves
only valid requests never pays for openapi-core.

openapi-core is pinned ``<0.24`` in pyproject.toml because this module reads the
internals of its request unmarshaller and response validator
(``schema_validators_factory``, ``format_validators``, ``extra_format_validators``,
``forbid_unspecified_additional_properties``, ``enforce_properties_required``), which
are not public API and may change in any release; the differential test
(``tests/engine/test_compiled.py``) tells when they do.

Authentication is the vendor's job and runs before validation, so openapi-core's
security check is replaced by a pass-through: some real services accept more credential
forms than their spec documents (LangWatch takes Bearer and Basic besides
``X-Auth-Token``), and a missing credential has already been answered with a 401.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from secretmock.engine.specs import LoadedSpec

if TYPE_CHECKING:
    from openapi_core import OpenAPI

OPENAPI_CORE_INTERNALS: dict[str, tuple[str, ...]] = {
    "OpenAPI": ("request_unmarshaller", "response_validator", "spec"),
    "component": (
        "schema_validators_factory",
        "spec",
        "format_validators",
        "extra_format_validators",
        "forbid_unspecified_additional_properties",
        "enforce_properties_required",
    ),
    "SchemaValidator": ("validator",),
}
"""The attributes of openapi-core objects this module reads that openapi-core does not
document as public: on its ``OpenAPI`` object, on the request unmarshaller and response
validator (``component``), and on what their factory's ``create`` answers.
``tests/engine/test_openapi_core_internals.py`` checks each one, naming the pin."""

Pointer = tuple[str | int, ...]
"""Keys from the spec document's root to a schema, as written (``$ref`` not followed)."""


def openapi_of(spec: LoadedSpec) -> OpenAPI:
    """openapi-core's object for ``spec``, with the pass-through security check. The spec
    was checked by ``load_spec``; openapi-core is not asked to check it again."""
    from openapi_core import Config, OpenAPI
    from openapi_core.security.factories import SecurityProviderFactory

    class PassThroughSecurity(SecurityProviderFactory):
        """Accepts every security scheme; authentication already happened."""

        def create(self, scheme: Any) -> Any:
            return lambda parameters: None

    config = Config(security_provider_factory=PassThroughSecurity(), spec_validator_cls=None)
    return OpenAPI.from_dict(spec.document, config=config)


class SchemaValidatorFactory:
    """Makes openapi-core's JSON Schema validators for one spec; thread-safe."""

    def __init__(self, spec: LoadedSpec) -> None:
        self._spec = spec
        self._openapi: OpenAPI | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """Whether openapi-core's ``OpenAPI`` object exists yet."""
        return self._openapi is not None

    @property
    def openapi(self) -> OpenAPI:
        """openapi-core's object for the spec, created on first use."""
        if self._openapi is None:
            with self._lock:
                if self._openapi is None:
                    self._openapi = openapi_of(self._spec)
        return self._openapi

    def validator(self, pointer: Pointer, side: str) -> Any:
        """The jsonschema validator openapi-core builds for the schema at ``pointer``, with
        the settings of its ``side`` (``"request"`` or ``"response"``)."""
        openapi = self.openapi
        component: Any = (
            openapi.request_unmarshaller if side == "request" else openapi.response_validator
        )
        schema = openapi.spec
        for key in pointer:
            schema = schema / key
        built = component.schema_validators_factory.create(
            component.spec,
            schema,
            format_validators=component.format_validators,
            extra_format_validators=component.extra_format_validators,
            forbid_unspecified_additional_properties=component.forbid_unspecified_additional_properties,
            enforce_properties_required=component.enforce_properties_required,
        )
        return built.validator
