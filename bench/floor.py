"""The floor: a bare Starlette app answering the Fireworks update request, no validation.

What a Python ASGI mock costs at the least on this machine; the benchmark reports
secretmock's throughput as a ratio of this one, measured in the same run.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def update_secret(request: Request) -> Response:
    body = json.loads(await request.body())
    secret_id = request.path_params["secret_id"]
    answer = {"name": f"accounts/acme/secrets/{secret_id}", "keyName": body["keyName"]}
    return Response(json.dumps(answer), media_type="application/json")


app = Starlette(
    routes=[
        Route("/fireworks/v1/accounts/acme/secrets/{secret_id}", update_secret, methods=["PATCH"])
    ]
)
