"""A real HTTP server on 127.0.0.1 standing in for the ticketing core.

It checks every request the way the core's engineers would — the signature recomputed here by
hand with `hmac` (not with the gateway's own helper, so a bug there cannot hide), a fresh
timestamp, an Idempotency-Key equal to the body's event_id — records it, and answers from a script
(`answer(500, 200)`), then 200 for anything unscripted.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDictProxy

PATH = "/api/tickets"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int = 200
    body: str = '{"status": "ok"}'
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Received:
    headers: CIMultiDictProxy[str]
    body: bytes
    signature_ok: bool
    key_matches: bool
    answered: int

    @property
    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


def event_id_of(body: dict[str, Any]) -> object:
    return body.get("event_id")


class FakeTicketCore:
    """`key_of`: the Idempotency-Key a body must come with (the core's: its `event_id`)."""

    def __init__(self, secret: str, *, key_of: Callable[[dict[str, Any]], object] = event_id_of) -> None:
        self.secret = secret
        self._key_of = key_of
        self.received: list[Received] = []
        self.request_seen = asyncio.Event()
        self._script: list[Answer] = []
        self._server: TestServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake ticket core is not running")
        return str(self._server.make_url(PATH))

    def answer(self, *answers: int | Answer) -> None:
        """Queue the next answers: a status (default body) or a full `Answer`."""
        self._script.extend(a if isinstance(a, Answer) else Answer(status=a) for a in answers)

    @property
    def accepted(self) -> list[Received]:
        """Requests the core took (2xx, or 409 for an event it already had)."""
        return [r for r in self.received if 200 <= r.answered < 300 or r.answered == 409]

    @property
    def supplements(self) -> list[Received]:
        """Requests that carried a `TicketSupplement` (the core dispatches on `schema`)."""
        return [r for r in self.received if _schema(r.body) == "hotline.ticket-supplement/v1"]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(PATH, self._handle)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Hotline-Timestamp", "")
        signature = request.headers.get("X-Hotline-Signature", "")
        expected = (
            "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        )
        fresh = timestamp.isdigit() and abs(int(timestamp) - time.time()) <= 300
        signature_ok = fresh and hmac.compare_digest(expected, signature)
        try:
            key_matches = request.headers.get("Idempotency-Key") == self._key_of(json.loads(body))
        except ValueError:
            key_matches = False
        answer = self._script.pop(0) if self._script else Answer()
        if not (signature_ok and key_matches):
            answer = Answer(status=401, body='{"error": "bad signature or idempotency key"}')
        self.received.append(Received(request.headers, body, signature_ok, key_matches, answer.status))
        self.request_seen.set()
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)
        return web.Response(status=answer.status, text=answer.body, content_type="application/json")


def _schema(body: bytes) -> object:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("schema") if isinstance(data, dict) else None
