"""Format classes of generated values, and messages with their variable parts masked.

A timestamp's value is noise, its format is not: clients parse it. :func:`time_format`
names the class of a timestamp (RFC 3339 with ``Z`` or an offset, the number of
fraction digits; Unix seconds or milliseconds), so the comparison can say that the
format changed without comparing values.
"""

from __future__ import annotations

import re
from typing import Any

_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}(?P<sep>[Tt ])\d{2}:\d{2}(?::\d{2})?(?P<fraction>\.\d+)?"
    r"(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH_SECONDS = (1e8, 1e11)
"""Unix seconds between 1973 and 5138."""
_EPOCH_MILLIS = (1e11, 1e14)
"""Unix milliseconds between 1973 and 5138."""

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ID_LIKE = re.compile(r"\b(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{12,}\b")
_DIGITS = re.compile(r"\d+")


def time_format(value: Any, numbers: bool = False) -> str | None:
    """The format class of a timestamp (``rfc3339-Z-ms`` style names), or ``None``
    when ``value`` is no timestamp. Numbers are read as Unix times only when
    ``numbers`` (a generated value: any number could be a count otherwise)."""
    if isinstance(value, str):
        return _text_format(value)
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return _number_format(value)
    return None


def _text_format(text: str) -> str | None:
    found = _ISO.fullmatch(text)
    if found is None:
        return "date" if _DATE.fullmatch(text) else None
    fraction = found.group("fraction")
    digits = len(fraction) - 1 if fraction else 0
    zone = found.group("zone")
    zone_name = "none" if zone is None else "Z" if zone in "Zz" else "offset"
    separator = "T" if found.group("sep") in "Tt" else "space"
    return f"rfc3339 {separator} {digits} fraction digits, zone {zone_name}"


def _number_format(number: float) -> str | None:
    magnitude = abs(number)
    if _EPOCH_SECONDS[0] <= magnitude < _EPOCH_SECONDS[1]:
        return "unix seconds" if float(number).is_integer() else "unix seconds, fraction"
    if _EPOCH_MILLIS[0] <= magnitude < _EPOCH_MILLIS[1]:
        return "unix milliseconds"
    return None


def masked_message(text: str) -> str:
    """``text`` with what varies between two equal errors masked: uuids and id-like
    words (12 or more id characters, a digit among them) become ``<id>``, every other
    run of digits ``#``. Two messages that differ after this differ in wording."""
    text = _UUID.sub("<id>", text)
    text = _ID_LIKE.sub("<id>", text)
    return _DIGITS.sub("#", text)
