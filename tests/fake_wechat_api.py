"""A real HTTP server on 127.0.0.1 standing in for the WeChat API (`HOTLINE_WECHAT_API_URL`).

- `GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…` checks all three as WeChat
  does (40002, 40013, 40125), answers `{"access_token", "expires_in"}` and counts the calls.
- `POST /cgi-bin/message/custom/send?access_token=…` checks the token (missing 41001, unknown
  40001, expired by `expire_tokens()` 42001), records the JSON and answers from a script —
  `answer(45015)` (an errcode), `answer(Reply(status=500))` — then `{"errcode": 0}`.

Used by the worker's tests and the gateway's alike; nothing here imports the project.
"""

from __future__ import annotations

import itertools
import json
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

ERRMSGS: dict[int, str] = {
    0: "ok",
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40013: "invalid appid",
    40014: "invalid access_token",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
}


@dataclass(frozen=True, slots=True)
class Reply:
    """A scripted answer of the send endpoint: an errcode, or an HTTP status with no JSON."""

    errcode: int = 0
    status: int = 200
    errmsg: str | None = None


@dataclass(frozen=True, slots=True)
class Sent:
    """One request to the send endpoint, as received, and what it was answered."""

    access_token: str | None
    payload: dict[str, Any]
    status: int
    errcode: int | None

    @property
    def delivered(self) -> bool:
        return self.status == 200 and self.errcode == 0

    @property
    def openid(self) -> str:
        return str(self.payload.get("touser"))

    @property
    def text(self) -> str:
        return str(self.payload.get("text", {}).get("content"))


class FakeWeChatApi:
    def __init__(self, app_id: str, app_secret: str, *, expires_in: int = 7200) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.expires_in = expires_in
        self.token_calls = 0
        self.tokens: list[str] = []  # every token issued, oldest first
        self.received: list[Sent] = []
        self._valid: set[str] = set()
        self._expired: set[str] = set()
        self._script: list[Reply] = []
        self._counter = itertools.count(1)
        self._server: TestServer | None = None

    @property
    def url(self) -> str:
        """The base URL, as `HOTLINE_WECHAT_API_URL` takes it (no `/cgi-bin`)."""
        if self._server is None:
            raise RuntimeError("the fake WeChat API is not running")
        return str(self._server.make_url("")).rstrip("/")

    @property
    def delivered(self) -> list[Sent]:
        """Messages WeChat took (errcode 0)."""
        return [sent for sent in self.received if sent.delivered]

    def answer(self, *answers: int | Reply) -> None:
        """Queue the next answers of the send endpoint: an errcode, or a full `Reply`."""
        self._script.extend(a if isinstance(a, Reply) else Reply(errcode=a) for a in answers)

    def expire_tokens(self) -> None:
        """Every token issued so far now gets 42001, as after WeChat's two hours."""
        self._expired |= self._valid
        self._valid.clear()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def _token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        query = request.query
        if query.get("grant_type") != "client_credential":
            return _error(40002)
        if query.get("appid") != self.app_id:
            return _error(40013)
        if query.get("secret") != self.app_secret:
            return _error(40125)
        token = f"ACCESS_TOKEN_{next(self._counter)}_{secrets.token_hex(8)}"
        self.tokens.append(token)
        self._valid.add(token)
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    async def _send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token")
        try:
            payload = json.loads(await request.read())
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self.received.append(Sent(token, {}, 200, 47001))
            return _error(47001)
        errmsg: str | None = None
        if not token:
            errcode = 41001
        elif token in self._expired:
            errcode = 42001
        elif token not in self._valid:
            errcode = 40001
        else:
            reply = self._script.pop(0) if self._script else Reply()
            if reply.status != 200:
                self.received.append(Sent(token, payload, reply.status, None))
                return web.Response(status=reply.status, text="<html>server error</html>")
            errcode, errmsg = reply.errcode, reply.errmsg
        self.received.append(Sent(token, payload, 200, errcode))
        if errcode:
            return _error(errcode, errmsg)
        return web.json_response({"errcode": 0, "errmsg": "ok"})


def _error(errcode: int, errmsg: str | None = None) -> web.Response:
    message = errmsg or ERRMSGS.get(errcode, "error")
    # WeChat answers errors with 200 and a JSON body, a request id appended to the message.
    return web.json_response({"errcode": errcode, "errmsg": f"{message} rid: {secrets.token_hex(6)}"})
