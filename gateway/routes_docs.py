"""The HTTP contract: `GET /openapi.json` and the same as a page, `GET /api`."""

from __future__ import annotations

import itertools

from aiohttp import web

from channels.base import json_response
from gateway import keys
from gateway.openapi import OPERATIONS, document, served
from gateway.routes_admin import render_page

routes = web.RouteTableDef()


@routes.get("/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    return json_response(document(request.app[keys.SETTINGS]))


@routes.get("/api")
async def api_page(request: web.Request) -> web.Response:
    settings = request.app[keys.SETTINGS]
    operations = [operation for operation in OPERATIONS if served(operation, settings)]
    groups = [(tag, list(group)) for tag, group in itertools.groupby(operations, key=lambda op: op.tag)]
    version = document(settings)["info"]["version"]
    return render_page("api.html", title="hotline-gateway HTTP API", version=version, groups=groups)
