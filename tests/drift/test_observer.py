"""The pipeline's seam for in-process callers (the drift check's shadow): an observer
is handed the journal entry of its own request, the transport's Outcome unchanged."""

from __future__ import annotations

from secretmock.engine.journal import JournalEntry
from tests.drift.corpus import FW, emulator, request


def test_an_observer_gets_the_entry_the_journal_records_for_its_request() -> None:
    pipeline = emulator(1, 0).pipelines["fireworks"]
    seen: list[JournalEntry] = []
    refused = request("fireworks", "PATCH", "/v1/accounts/acme/secrets/s1", FW, {"value": "x"})
    outcome = pipeline.handle(refused, seen.append)
    [entry] = seen
    assert entry == pipeline.journal.entries(0)[-1]
    assert (entry.tenant, entry.status, entry.operation_id) == ("acme", 400, "Gateway_UpdateSecret")
    assert [v.location for v in entry.violations] == ["/keyName"]
    # Without an observer the same request answers the same.
    again = pipeline.handle(refused)
    assert (again.reply.status, again.data) == (outcome.reply.status, outcome.data)
