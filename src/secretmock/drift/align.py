"""Arrays of records aligned by a record key rather than by index.

Vendors sort their lists, and two states in step hold the same records: aligning by
the record's key (``name``, ``alias``) pairs the records that are the same, leaves
apart the ones only one side has, and tells whether the order differs, which the
comparison reports on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Alignment:
    """Two arrays of records paired by ``key``."""

    key: str
    pairs: tuple[tuple[int, int], ...]
    """(index in the real array, index in the emulated array) of each shared record,
    in the real array's order."""
    only_real: tuple[int, ...]
    only_emulated: tuple[int, ...]
    reordered: bool
    """The shared records come in another order."""


def align(real: Sequence[Any], emulated: Sequence[Any], keys: Sequence[str]) -> Alignment | None:
    """The alignment by the first of ``keys`` that every record of both arrays holds as
    a string, unique on each side; ``None`` when none does (the arrays are compared by
    index), or when both arrays are empty."""
    if not real and not emulated:
        return None
    for key in keys:
        real_keys, emulated_keys = _record_keys(real, key), _record_keys(emulated, key)
        if real_keys is not None and emulated_keys is not None:
            return _aligned(key, real_keys, emulated_keys)
    return None


def pair_leftovers(alignment: Alignment) -> Alignment:
    """``alignment`` with the records only one side has paired in order, as far as
    both sides have some: for record keys that are themselves generated (a name made
    from the time), where the twin shows that they differ on every run."""
    extra = tuple(zip(alignment.only_real, alignment.only_emulated, strict=False))
    count = len(extra)
    return Alignment(
        alignment.key,
        alignment.pairs + extra,
        alignment.only_real[count:],
        alignment.only_emulated[count:],
        alignment.reordered,
    )


def _record_keys(items: Sequence[Any], key: str) -> list[str] | None:
    found = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get(key), str):
            return None
        found.append(item[key])
    return found if len(set(found)) == len(found) else None


def _aligned(key: str, real_keys: list[str], emulated_keys: list[str]) -> Alignment:
    emulated_index = {name: index for index, name in enumerate(emulated_keys)}
    real_set = set(real_keys)
    pairs = tuple(
        (index, emulated_index[name])
        for index, name in enumerate(real_keys)
        if name in emulated_index
    )
    shared_in_emulated_order = [name for name in emulated_keys if name in real_set]
    shared_in_real_order = [real_keys[index] for index, _ in pairs]
    return Alignment(
        key,
        pairs,
        tuple(i for i, name in enumerate(real_keys) if name not in emulated_index),
        tuple(i for i, name in enumerate(emulated_keys) if name not in real_set),
        shared_in_real_order != shared_in_emulated_order,
    )
