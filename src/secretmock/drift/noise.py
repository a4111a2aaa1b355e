"""Noise learned, not configured: where two emulators in step answer different values.

Every exchange runs through the shadow emulator and its twin (the same fixtures,
another seed, another clock). Where their answers hold different values, the value is
generated (an id, a timestamp, a correlation id, a new key): that schema path is noise
for the operation from then on, added to what the spec's formats already say
(``date-time``, ``uuid``: see :mod:`secretmock.drift.schema`). Noise only ever stops
values from being compared; presence and type are always compared
(:mod:`secretmock.drift.compare`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from secretmock.drift.align import align, pair_leftovers
from secretmock.drift.answer import json_type
from secretmock.drift.compare import KEY_NOISE
from secretmock.drift.schema import SchemaNode

OperationKey = tuple[str, str | None]
"""(vendor, operationId or ``None`` for an unrouted request)."""


class NoiseModel:
    """The noisy schema paths of each operation, as learnt so far."""

    def __init__(self) -> None:
        self._paths: dict[OperationKey, set[str]] = {}

    def learn(self, operation: OperationKey, paths: Iterable[str]) -> None:
        self._paths.setdefault(operation, set()).update(paths)

    def paths(self, operation: OperationKey) -> frozenset[str]:
        return frozenset(self._paths.get(operation, ()))

    def view(self, operation: OperationKey) -> Callable[[str], bool]:
        """Whether a schema path of ``operation`` is noise (follows later learning)."""
        learned = self._paths.setdefault(operation, set())
        return learned.__contains__


def differing_paths(
    shadow: Any, twin: Any, node: SchemaNode, record_keys: Sequence[str]
) -> set[str]:
    """The schema paths where ``twin``'s body holds another value than ``shadow``'s (or
    another type, which only says that the value varies), plus ``PATH/#key`` for a list
    whose record keys themselves differ."""
    found: set[str] = set()
    _walk(shadow, twin, node, "", record_keys, found)
    return found


def _walk(
    shadow: Any,
    twin: Any,
    node: SchemaNode,
    path: str,
    record_keys: Sequence[str],
    found: set[str],
) -> None:
    if json_type(shadow) != json_type(twin):
        found.add(path)
    elif isinstance(shadow, dict):
        for key, value in shadow.items():
            if key in twin:
                child, segment = node.child(key)
                _walk(value, twin[key], child, f"{path}/{_escape(segment)}", record_keys, found)
    elif isinstance(shadow, list):
        _walk_list(shadow, twin, node, path, record_keys, found)
    elif shadow != twin:
        found.add(path)


def _walk_list(
    shadow: list[Any],
    twin: list[Any],
    node: SchemaNode,
    path: str,
    record_keys: Sequence[str],
    found: set[str],
) -> None:
    item, item_path = node.item(), f"{path}/*"
    alignment = align(shadow, twin, record_keys)
    if alignment is None:
        pairs: Iterable[tuple[int, int]] = ((i, i) for i in range(min(len(shadow), len(twin))))
    else:
        if alignment.only_real and alignment.only_emulated:
            found.add(path + KEY_NOISE)
            alignment = pair_leftovers(alignment)
        pairs = alignment.pairs
    for shadow_index, twin_index in pairs:
        _walk(shadow[shadow_index], twin[twin_index], item, item_path, record_keys, found)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
