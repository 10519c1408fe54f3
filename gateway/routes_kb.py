"""The knowledge base for operators: `PUT /admin/kb` uploads a new version, `GET /admin/kb` tells
what is loaded. Admin token as for /admin/tickets (`gateway.routes_admin`).

`PUT /admin/kb` takes a whole KB file as the body, its format named by Content-Type:
`application/x-ndjson` or `application/jsonl` (JSONL), `text/csv`, `application/yaml` (also
`application/x-yaml`, `text/yaml`); at most 10 MiB. The file is validated whole: a bad one is
refused with 422 `{"error": "invalid_kb", "message", "line"}` and nothing changes. A good one is
stored as a new version and made current in one transaction; this process answers from it before
the response (`200 {"version", "entries"}`), every other gateway within seconds.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from channels.base import json_response
from gateway import keys
from gateway.http import json_error, read_body
from gateway.kb.files import parse_entries
from gateway.kb.live import LiveKnowledgeBase
from gateway.kb.model import KbEntry, KbFormatError, summarize
from gateway.routes_admin import admin_only
from gateway.settings import MiB

routes = web.RouteTableDef()

KB_MAX_BYTES = 10 * MiB
CONTENT_TYPES: dict[str, str] = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/jsonlines": "jsonl",
    "text/csv": "csv",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
}


@routes.put("/admin/kb")
@admin_only
async def put_kb(request: web.Request) -> web.Response:
    fmt = CONTENT_TYPES.get(request.content_type)
    if fmt is None:
        return json_error(
            415,
            "unsupported_media_type",
            f"Content-Type must be one of {', '.join(CONTENT_TYPES)} (got {request.content_type or 'none'})",
        )
    body = await read_body(request, KB_MAX_BYTES)
    try:
        entries = await asyncio.to_thread(parse_entries, body, fmt)
    except KbFormatError as exc:
        return json_error(422, "invalid_kb", str(exc), line=exc.line)
    kb = request.app[keys.KB]
    version = await kb.store.publish(entries, source=f"PUT /admin/kb ({fmt})")
    await kb.refresh()
    return json_response({"version": version, "entries": len(entries)})


@routes.get("/admin/kb")
@admin_only
async def get_kb(request: web.Request) -> web.Response:
    kb = request.app[keys.KB]
    stored = await kb.store.read_current()
    entries = await _entries(kb, stored.version if stored else None, stored.data if stored else None)
    loaded = kb.loaded
    body: dict[str, Any] = {
        "version": stored.version if stored else None,
        **summarize(entries),
        "imported_at": stored.imported_at if stored else None,
        "source": stored.source if stored else (loaded.source if loaded else None),
        "sha256": stored.sha256 if stored else None,
        "loaded_version": loaded.version if loaded else None,
        "threshold": loaded.retriever.threshold if loaded else None,
    }
    return json_response(body)


async def _entries(kb: LiveKnowledgeBase, version: int | None, data: bytes | None) -> list[KbEntry]:
    loaded = kb.loaded
    if loaded is not None and (data is None or loaded.version == version):
        return loaded.retriever.entries
    if data is None:
        return []
    return await asyncio.to_thread(parse_entries, data, "jsonl")
