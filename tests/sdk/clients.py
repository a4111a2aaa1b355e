"""Setting the vendors' official SDKs up against the emulator, shared by the SDK tests."""

from __future__ import annotations

import langwatch
from aihub.aihub import AIHub
from langwatch.client import Client
from langwatch.state import set_instance

from secretmock.serve.background import BackgroundServer

INSTABASE_ORG = "acme-org"


def instabase_client(
    server: BackgroundServer, token: str = "ib-test-admin", context: str = INSTABASE_ORG
) -> AIHub:
    """The Instabase SDK's client, pointed at ``server``'s Instabase mount."""
    return AIHub(api_key=token, ib_context=context, api_root=server.url + "/instabase/api")


def forget_langwatch_state() -> None:
    """The LangWatch SDK keeps one client per process and caches its facades: start
    afresh."""
    Client.reset_for_testing()
    set_instance(None)  # type: ignore[arg-type]
    vars(langwatch).pop("secrets", None)
