"""The dashboard: one self-contained HTML page at ``GET /__admin__/``.

The page (``index.html`` beside this module: inline CSS and JavaScript, no build step,
nothing fetched from the network) holds no data; it reads everything from the admin
API in the browser, sending the admin token, when one is set, as
``Authorization: Bearer`` (kept in ``sessionStorage``, never in a URL). So the page
itself is served to anyone who may reach the admin API, and asks for the token when
the API answers 401. Its Content-Security-Policy forbids every fetch but to this server.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def page_html() -> str:
    """The dashboard page, read once from the package."""
    return resources.files(__name__).joinpath("index.html").read_text(encoding="utf-8")


async def dashboard_page(request: Request) -> HTMLResponse:
    return HTMLResponse(page_html(), headers=PAGE_HEADERS)
