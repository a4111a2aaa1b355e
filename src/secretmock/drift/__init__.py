"""The drift check: the real vendors' answers compared with the emulator's.

The fourth use of secretmock, beside the pytest plugin, the server and the contract
reports (docs/drift.md). A transport (the proxy, a recording's replay) hands each
exchange to :meth:`DriftChecker.exchange`: the request a vendor received and the
real vendor's :class:`Answer`. The checker keeps a shadow emulator (and its twin) in
step with the real vendor, compares the answers by the rules of
:mod:`secretmock.drift.compare` into typed :class:`Finding` s, and keeps them in a
:class:`DriftReport` (JSON document, JUnit XML, HTML). The comparison itself is pure;
the recording (:mod:`secretmock.drift.record`) writes no secret in clear.
"""

from secretmock.drift.answer import Answer
from secretmock.drift.checker import DriftChecker
from secretmock.drift.findings import Attribution, Finding, Kind, Severity, Where
from secretmock.drift.report import DriftReport

__all__ = [
    "Answer",
    "Attribution",
    "DriftChecker",
    "DriftReport",
    "Finding",
    "Kind",
    "Severity",
    "Where",
]
