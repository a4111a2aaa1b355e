"""What a response schema says about each location of a body, for the comparison.

A :class:`SchemaNode` is a resolved schema (or nothing, where the spec is silent).
Walking a body with it tells, for each location, whether the spec declares it (else a
difference there is the spec's gap), its schema path (the JSON pointer with ``*`` for
array items and for the keys of a map declared by ``additionalProperties``: the name a
location has across exchanges), its ``format``, and whether an object admits no other
properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from secretmock.engine.specs import resolve_refs

GENERATED_FORMATS = frozenset({"date-time", "date", "uuid"})
"""Formats whose values a server generates: their values are noise (rule: presence and
type are still compared)."""


@dataclass(frozen=True, slots=True)
class SchemaNode:
    """A schema of ``document`` (references followed), or an undeclared location."""

    document: dict[str, Any]
    node: Mapping[str, Any] | None

    @property
    def declared(self) -> bool:
        """Whether the spec says anything of this location."""
        return self.node is not None

    @property
    def format(self) -> str | None:
        return None if self.node is None else self.node.get("format")

    @property
    def generated(self) -> bool:
        """A value the server makes (a date-time, a uuid): its value is noise."""
        return self.format in GENERATED_FORMATS

    @property
    def closed(self) -> bool:
        """An object that admits no property but those it declares."""
        return self.node is not None and self.node.get("additionalProperties") is False

    @property
    def keyed_map(self) -> bool:
        """An object whose keys are data (``additionalProperties`` with a schema and no
        properties): each key names a record, as Prisme.ai's secrets map does."""
        if self.node is None or self.node.get("properties"):
            return False
        return isinstance(self.node.get("additionalProperties"), dict)

    def child(self, key: str) -> tuple[SchemaNode, str]:
        """The schema of property ``key`` and its schema-path segment."""
        if self.node is None:
            return self._at(None), key
        properties = self.node.get("properties") or {}
        if key in properties:
            return self._at(properties[key]), key
        extra = self.node.get("additionalProperties")
        if isinstance(extra, dict):
            return self._at(extra), "*"
        return self._at(None), key

    def item(self) -> SchemaNode:
        """The schema of an array's items."""
        if self.node is None:
            return self
        return self._at(self.node.get("items"))

    def _at(self, raw: Any) -> SchemaNode:
        if raw is None:
            return SchemaNode(self.document, None)
        return SchemaNode(self.document, resolve_refs(raw, self.document))


def response_schema(
    document: dict[str, Any], path_template: str, method: str, status: int
) -> SchemaNode:
    """The JSON schema of the answer with ``status`` to the operation, as the spec's
    validator picks it (the status, then ``NXX``, then ``default``); undeclared when
    the spec has none."""
    missing = SchemaNode(document, None)
    try:
        operation = document["paths"][path_template][method.lower()]
    except (KeyError, TypeError):
        return missing
    responses = operation.get("responses") or {}
    code = str(status)
    for key in (code, f"{code[0]}XX", "default"):
        if key in responses:
            response = resolve_refs(responses[key], document)
            break
    else:
        return missing
    media = (response.get("content") or {}).get("application/json")
    if media is None or "schema" not in media:
        return missing
    return SchemaNode(document, None)._at(media["schema"])
