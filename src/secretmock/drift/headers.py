"""Rule 9 of the comparison: the response headers a client reads.

Compared: the media type of ``Content-Type``, the form of ``Retry-After`` (seconds or
an HTTP date: the value is the service's configuration, the form is what a client
parses), the presence of ``Location``, the scheme of ``WWW-Authenticate`` and the
presence of the vendor's own headers (``x-correlation-id``). Hop-by-hop headers,
``Date``, ``Server``, request ids and the rest are not. ``Deprecation``, ``Sunset`` or
a ``Warning: 299`` on the real answer alone are ``deprecation`` findings: the early
warning of the next drift. Pure; names are lower-cased.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from secretmock.drift.findings import Attribution, Kind, Scalar, Severity

DEPRECATION_HEADERS = ("deprecation", "sunset")


@dataclass(frozen=True, slots=True)
class HeaderDifference:
    """One header finding, before it is placed in its exchange."""

    kind: Kind
    name: str
    real: Scalar
    emulated: Scalar
    severity: Severity = Severity.WARNING
    attribution: Attribution = Attribution.SPEC_GAP
    """The specs declare no response header: a header difference is the spec's gap."""


def deprecations(real: Mapping[str, str], emulated: Mapping[str, str]) -> list[HeaderDifference]:
    """The announcements of the real answer that the emulator's lacks."""
    found = [
        HeaderDifference(Kind.DEPRECATION, name, "present", "absent")
        for name in DEPRECATION_HEADERS
        if name in real and name not in emulated
    ]
    if _warns_299(real.get("warning", "")) and not _warns_299(emulated.get("warning", "")):
        found.append(HeaderDifference(Kind.DEPRECATION, "warning", "299", None))
    return found


def header_differences(
    real: Mapping[str, str], emulated: Mapping[str, str], vendor_headers: Iterable[str]
) -> list[HeaderDifference]:
    """The compared headers that differ (see the module)."""
    found = []
    media = _media_type_difference(real.get("content-type"), emulated.get("content-type"))
    if media is not None:
        found.append(media)
    real_form, emulated_form = (
        _retry_after(real.get("retry-after")),
        _retry_after(emulated.get("retry-after")),
    )
    if real_form != emulated_form:
        found.append(HeaderDifference(Kind.HEADER, "retry-after", real_form, emulated_form))
    real_scheme = _scheme(real.get("www-authenticate"))
    emulated_scheme = _scheme(emulated.get("www-authenticate"))
    if real_scheme != emulated_scheme:
        found.append(
            HeaderDifference(Kind.HEADER, "www-authenticate", real_scheme, emulated_scheme)
        )
    for name in ("location", *sorted(vendor_headers)):
        if (name in real) != (name in emulated):
            found.append(
                HeaderDifference(
                    Kind.HEADER, name, _presence(name, real), _presence(name, emulated)
                )
            )
    return found


def _media_type_difference(real: str | None, emulated: str | None) -> HeaderDifference | None:
    real_type, emulated_type = _media_type(real), _media_type(emulated)
    if real_type == emulated_type:
        return None
    json_differs = is_json_type(real_type) != is_json_type(emulated_type)
    return HeaderDifference(
        Kind.HEADER,
        "content-type",
        real_type,
        emulated_type,
        Severity.BREAKING if json_differs else Severity.WARNING,
        Attribution.EMULATOR_GAP if is_json_type(real_type) else Attribution.VENDOR_OFF_SPEC,
    )


def _media_type(header: str | None) -> str | None:
    if header is None:
        return None
    return header.split(";", 1)[0].strip().lower() or None


def is_json_type(media_type: str | None) -> bool:
    """Whether a media type is JSON (``application/json`` or ``*/*+json``): every
    answer the specs declare is."""
    return media_type is not None and (
        media_type == "application/json" or media_type.endswith("+json")
    )


def _retry_after(header: str | None) -> str:
    if header is None:
        return "absent"
    return "seconds" if header.strip().isdigit() else "http-date"


def _presence(name: str, headers: Mapping[str, str]) -> str:
    return "present" if name in headers else "absent"


def _scheme(header: str | None) -> str | None:
    if header is None:
        return None
    return header.strip().split(" ", 1)[0].lower() or None


def _warns_299(header: str) -> bool:
    """Whether a ``Warning`` header carries code 299 ("Miscellaneous persistent
    warning", the code deprecation notices use)."""
    return any(part.strip().startswith("299") for part in header.split(","))
