"""The dashboard page as the server sends it, and the admin endpoint made for it.
(The page at work, its admin-token prompt included, in a real browser: tests/browser/.)"""

from __future__ import annotations

import re

from secretmock.engine.emulator import Emulator
from tests.conftest import Api


def test_the_page_is_self_contained_html(api: Api) -> None:
    response = api.request("GET", "/__admin__/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text  # type: ignore[attr-defined]
    assert "<script>" in page and "<style>" in page
    # Nothing fetched from elsewhere: no external script, stylesheet, font or image.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy


def test_vendors_lists_base_urls_and_secret_fields(api: Api) -> None:
    vendors = api.request("GET", "/__admin__/vendors").json()["vendors"]
    fireworks = next(v for v in vendors if v["name"] == "fireworks")
    assert fireworks["baseUrl"].endswith("/fireworks")
    assert fireworks["baseUrl"].startswith("http://")
    assert fireworks["secretFields"] == ["value"] and fireworks["operations"] == 5
    instabase = next(v for v in vendors if v["name"] == "instabase")
    assert instabase["baseUrl"].endswith("/instabase/api")
    assert [v["name"] for v in vendors] == [
        "prismeai",
        "langwatch",
        "instabase",
        "insforge",
        "fireworks",
    ]


def test_vendors_say_which_server_version_they_emulate(api: Api, emulator: Emulator) -> None:
    emulator.use_versions({"langwatch": "before-2026-07-22"})
    try:
        vendors = api.request("GET", "/__admin__/vendors").json()["vendors"]
    finally:
        emulator.use_versions({})
    versions = {v["name"]: v["version"] for v in vendors}
    assert versions["langwatch"] == "before-2026-07-22"
    assert versions["fireworks"] == "current"
