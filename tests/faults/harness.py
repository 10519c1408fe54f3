"""The fault-injection harness: the gateway and its workers as real processes, a real
`redis-server` the test kills, a real HTTP ticketing core that misbehaves on command, a load of
submissions through every channel, and the one check every scenario ends with — every submission
that got a 2xx reached the core exactly once (by Idempotency-Key and by content), none that was
refused did.

Each submission carries a marker of its own in its text (`[fault-…]`), which the core finds in
the event whatever channel it came through. A later channel plugs in with one `Sender`: how one
attempt of its submission is posted, as its real sender posts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import (
    APP_KEY_ID,
    APP_SECRET,
    TICKET_CORE_SECRET,
    WECHAT_APP_ID,
    WECHAT_APP_SECRET,
    signed_headers,
)
from tests.fake_ticket_core import FakeTicketCore
from tests.hotline12345_support import TOKEN as TOKEN_12345
from tests.hotline12345_support import order
from tests.ivr_support import IVR_TOKEN, IVR_TOKENS, call_record
from tests.redis_process import RedisProcess, free_port
from tests.webform_support import hidden_fields
from tests.wechat_samples import TOKEN as WECHAT_TOKEN
from tests.wechat_samples import WeChatServer, message_xml

REPO = Path(__file__).resolve().parents[2]
APP_PATH = "/api/v1/app/messages"
MARKER = re.compile(r"\[(fault-[0-9a-f]{16})\]")
TICKET_NO = re.compile(r"12328-\d{8}-\d{6,}")


class MisbehavingCore(FakeTicketCore):
    """The ticketing core, with a `mode`: "ok", "error" (500), "slow" (answers after `delay_s`),
    "down" (no server on the port). Like the real core it takes an Idempotency-Key once and answers
    409 to any repeat of it."""

    def __init__(self) -> None:
        super().__init__(TICKET_CORE_SECRET)
        self.mode = "ok"
        self.delay_s = 0.0
        self.port = free_port()
        self.taken: Counter[str] = Counter()  # Idempotency-Key → times answered 2xx (1 at most)
        self.redelivered = 0  # POSTs of a key already taken, answered 409 (a retry after a time-out)
        self.content: dict[str, set[str]] = {}  # a submission's marker → the event ids carrying it
        self.channels: Counter[str] = Counter()  # events taken, by channel

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/tickets", self._misbehave)
        # The 12345 platform's return endpoint and the WeChat API share the core's fate (and port).
        app.router.add_post("/api/returns", self._returned)
        app.router.add_get("/cgi-bin/token", self._wechat_token)
        app.router.add_post("/cgi-bin/message/custom/send", self._wechat_sent)
        self._server = TestServer(app, host="127.0.0.1", port=self.port)
        await self._server.start_server()

    async def go_down(self) -> None:
        await self.close()

    async def come_back(self) -> None:
        await self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/tickets"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _misbehave(self, request: web.Request) -> web.Response:
        if self.mode == "error":
            return web.Response(status=500, text='{"error": "internal"}')
        if self.mode == "slow":
            await asyncio.sleep(self.delay_s)
        body = await request.read()
        key = request.headers.get("Idempotency-Key", "")
        if self.taken[key]:
            self.redelivered += 1
            return web.Response(status=409, text='{"status": "duplicate"}')
        event = json.loads(body)
        self.taken[key] += 1
        self.channels[event["channel"]] += 1
        marker = MARKER.search(event["content"]["text"])
        self.content.setdefault(marker.group(1) if marker else "", set()).add(event["event_id"])
        return web.Response(status=201, text='{"status": "created"}')

    async def _returned(self, request: web.Request) -> web.Response:
        return await self._answer_if_up({"status": "received"})

    async def _wechat_token(self, request: web.Request) -> web.Response:
        return await self._answer_if_up({"access_token": "fault-suite-token", "expires_in": 7200})

    async def _wechat_sent(self, request: web.Request) -> web.Response:
        return await self._answer_if_up({"errcode": 0, "errmsg": "ok"})

    async def _answer_if_up(self, body: dict[str, Any]) -> web.Response:
        if self.mode == "error":
            return web.Response(status=500, text='{"error": "internal"}')
        return web.json_response(body)


@dataclass
class Outcome:
    sent: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)  # marker → channel
    refused: dict[str, int] = field(default_factory=dict)  # marker → last status (0: no answer)
    channels: dict[str, str] = field(default_factory=dict)  # marker → channel, of every submission


class Gateway:
    """`hotline-gateway serve` and `worker` processes sharing one Redis and one data dir."""

    def __init__(self, tmp: Path, redis: RedisProcess, core: MisbehavingCore, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        self.env.update(
            PYTHONPATH=str(REPO),
            HOTLINE_REDIS_URL=redis.url,
            HOTLINE_DATA_DIR=str(tmp / "var"),
            HOTLINE_PORT=str(self.port),
            HOTLINE_CHANNELS="app,webform,wechat,ivr,hotline12345",
            HOTLINE_APP_KEYS=json.dumps({APP_KEY_ID: APP_SECRET}),
            HOTLINE_WECHAT_TOKEN=WECHAT_TOKEN,
            HOTLINE_WECHAT_APP_ID=WECHAT_APP_ID,
            HOTLINE_WECHAT_APP_SECRET=WECHAT_APP_SECRET,
            HOTLINE_WECHAT_API_URL=core.base,
            HOTLINE_IVR_TOKENS=json.dumps(IVR_TOKENS),
            HOTLINE_12345_TOKEN=TOKEN_12345,
            HOTLINE_12345_RETURN_URL=f"{core.base}/api/returns",
            HOTLINE_12345_RETURN_SECRET=TICKET_CORE_SECRET,
            HOTLINE_TICKET_CORE_URL=core.url,
            HOTLINE_TICKET_CORE_SECRET=TICKET_CORE_SECRET,
            HOTLINE_TICKET_CORE_TIMEOUT_S="2",
            HOTLINE_FORWARD_RETRY_SCHEDULE=",".join(["1"] * 10 + ["2"] * 30),
            HOTLINE_WORKER_MAINTENANCE_S="2",
            HOTLINE_REGION_CODE="440100",
            HOTLINE_ADMIN_TOKEN="admin-token-for-fault-tests",
            # One load generator is many citizens here.
            HOTLINE_APP_RATE_LIMIT="1000000",
            HOTLINE_FORM_RATE_LIMIT="1000000",
            HOTLINE_IVR_RATE_LIMIT="1000000",
            HOTLINE_WECHAT_RATE_LIMIT="1000000",
            **env,
        )
        self.logs = tmp / "logs"
        self.logs.mkdir(exist_ok=True)
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.stopped: list[subprocess.Popen[bytes]] = []  # servers replaced by a restart

    def _spawn(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        with (self.logs / log).open("ab") as out:  # the child keeps its own descriptor
            # A session of its own: `up`'s workers are killed with it (`stop`).
            return subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", *args],
                env=self.env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )

    async def start_server(self, command: str = "serve") -> None:
        if self.server is not None:
            self.stopped.append(self.server)
        self.server = self._spawn(command, log=f"{command}.log")
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.server.poll() is not None:
                    raise AssertionError(f"{command} exited: {(self.logs / f'{command}.log').read_text()[-2000:]}")
                try:
                    async with session.get(f"{self.base}/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"{command} did not become ready")

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = self._spawn("worker", log=f"worker-{len(self.workers)}.log")
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for process in [*self.stopped, self.server, *self.workers]:
            if process is None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the process and whatever it started
            if process.poll() is None:
                process.wait(timeout=10)
            _kill_workers_of(process.pid)  # `up` starts its workers in sessions of their own


def _kill_workers_of(up_pid: int) -> None:
    marker = f"up-{up_pid}-".encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if marker in cmdline.read_bytes():
                os.kill(int(cmdline.parent.name), signal.SIGKILL)


# One attempt at posting a submission: (HTTP status or 0 for no answer, whether it was taken).
Attempt = tuple[int, bool]
Sender = Callable[[aiohttp.ClientSession, str, str, int], Awaitable[Attempt]]


def _complaint(marker: str, n: int) -> str:
    """Every fact a complaint needs (so none is held for more), and the submission's marker."""
    return f"出租车粤A{n % 90000 + 10000}拒载，今天上午9点在广州南站东广场。[{marker}]"


async def _app(session: aiohttp.ClientSession, base: str, marker: str, n: int) -> Attempt:
    body = json.dumps(
        {"request_id": marker, "user_id": f"u-{n}", "text": _complaint(marker, n)}, ensure_ascii=False
    ).encode()
    headers = signed_headers(body, path=APP_PATH)  # an app signs every attempt anew: a fresh nonce
    async with session.post(base + APP_PATH, data=body, headers=headers) as response:
        return response.status, response.status == 200 and bool((await response.json())["ticket_no"])


async def _wechat(session: aiohttp.ClientSession, base: str, marker: str, n: int) -> Attempt:
    # WeChat pushes the same message (same MsgId) again when it gets no answer in 5 s.
    msg_id = str(int(marker.removeprefix("fault-")[:15], 16))
    xml = message_xml("text", Content=_complaint(marker, n), msg_id=msg_id, from_user=f"oFault{n:022d}")
    query, body = WeChatServer(app_id=WECHAT_APP_ID).request(xml, "plaintext")
    async with session.post(base + "/channels/wechat", params=query, data=body) as response:
        text = await response.text()
        # A ticket number in the passive reply, or `success` (the answer follows through the API).
        return response.status, response.status == 200 and (text == "success" or bool(TICKET_NO.search(text)))


async def _ivr(session: aiohttp.ClientSession, base: str, marker: str, n: int) -> Attempt:
    record = call_record(call_id=marker, caller=f"139{n:08d}", transcript=_complaint(marker, n))
    headers = {"Authorization": f"Bearer {IVR_TOKEN}"}
    async with session.post(base + "/channels/ivr/calls", json=record, headers=headers) as response:
        return response.status, response.status == 200 and bool((await response.json())["ticket_no"])


async def _hotline12345(session: aiohttp.ClientSession, base: str, marker: str, n: int) -> Attempt:
    transfer = order(order_no=marker, content=_complaint(marker, n), attachments=[])
    headers = {"Authorization": f"Bearer {TOKEN_12345}"}
    async with session.post(base + "/channels/12345/orders", json=transfer, headers=headers) as response:
        return response.status, response.status == 200 and bool((await response.json())["ticket_no"])


class _FormVisit:
    """A browser's visit to the form: the page (its cookie, CSRF token and request id) is fetched
    once, and the same filled-in form is submitted again on a failure, as a citizen would."""

    def __init__(self) -> None:
        self.fields: dict[str, str] | None = None
        self.cookie = ""

    async def attempt(self, session: aiohttp.ClientSession, base: str, marker: str, n: int) -> Attempt:
        if self.fields is None:
            async with session.get(base + "/form") as page:
                if page.status != 200:
                    return page.status, False
                token, request_id = hidden_fields(await page.text())
                self.cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in page.cookies.items())
            self.fields = {
                "csrf_token": token,
                "request_id": request_id,
                "category": "complaint",
                "description": _complaint(marker, n),
            }
        async with session.post(base + "/form", data=self.fields, headers={"Cookie": self.cookie}) as response:
            html = await response.text()
            return response.status, response.status == 200 and bool(TICKET_NO.search(html))


def _webform(visits: dict[str, _FormVisit]) -> Sender:
    async def send(session: aiohttp.ClientSession, base: str, marker: str, n: int) -> Attempt:
        return await visits.setdefault(marker, _FormVisit()).attempt(session, base, marker, n)

    return send


class Load:
    """Submissions through every channel in turn, `concurrency` at a time, each retried as its
    sender does; each is known by its marker (`[fault-…]` in its text)."""

    def __init__(self, base: str, *, concurrency: int = 32) -> None:
        self.base = base
        self.concurrency = concurrency
        self.outcome = Outcome()
        self.senders: list[tuple[str, Sender]] = [
            ("app", _app),
            ("wechat", _wechat),
            ("ivr", _ivr),
            ("hotline12345", _hotline12345),
            ("webform", _webform({})),
        ]

    async def run(self, count: int, *, during: Callable[[Outcome], Any] | None = None) -> Outcome:
        """Send `count` submissions; `during` is awaited alongside (it injects the fault)."""
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(count):
            queue.put_nowait(n)
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
            senders = [asyncio.create_task(self._sender(session, queue)) for _ in range(self.concurrency)]
            if during is not None:
                await during(self.outcome)
            await asyncio.gather(*senders)
        return self.outcome

    async def _sender(self, session: aiohttp.ClientSession, queue: asyncio.Queue[int]) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            await self.post_one(session, n)

    async def post_one(self, session: aiohttp.ClientSession, n: int) -> None:
        channel, send = self.senders[n % len(self.senders)]
        marker = f"fault-{secrets.token_hex(8)}"
        self.outcome.sent += 1
        self.outcome.channels[marker] = channel
        for _attempt in range(3):  # retry the same submission on no answer or 5xx
            try:
                status, taken = await send(session, self.base, marker, n)
            except (TimeoutError, aiohttp.ClientError):
                status, taken = 0, False
            if taken:
                self.outcome.acknowledged[marker] = channel
                self.outcome.refused.pop(marker, None)
                return
            self.outcome.refused[marker] = status
            if 0 < status < 500:
                return
            await asyncio.sleep(0.5)


@dataclass
class Figures:
    sent: int
    acknowledged: int
    refused: int
    delivered: int
    duplicates: int
    redelivered: int
    lost: int
    refused_but_delivered: int
    drain_s: float
    by_channel: dict[str, int]  # delivered, by the channel they came through

    def line(self, scenario: str) -> str:
        channels = " ".join(f"{name}={count}" for name, count in sorted(self.by_channel.items()))
        return (
            f"[{scenario}] sent={self.sent} acknowledged={self.acknowledged} refused={self.refused} "
            f"delivered={self.delivered} duplicates={self.duplicates} redelivered(409)={self.redelivered} "
            f"lost={self.lost} refused_but_delivered={self.refused_but_delivered} drain={self.drain_s:.1f}s "
            f"({channels})"
        )


async def drained(core: MisbehavingCore, outcome: Outcome, *, timeout_s: float, settle_s: float = 3.0) -> Figures:
    """Wait until every acknowledged submission reached the core (or `timeout_s`), then a little
    longer for any duplicate to show, and count."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if all(request_id in core.content for request_id in outcome.acknowledged):
            break
        await asyncio.sleep(0.2)
    drain_s = time.monotonic() - started
    await asyncio.sleep(settle_s)
    acknowledged = set(outcome.acknowledged)
    return Figures(
        sent=outcome.sent,
        acknowledged=len(acknowledged),
        refused=len(outcome.refused),
        delivered=len(acknowledged & set(core.content)),
        duplicates=sum(1 for ids in core.content.values() if len(ids) > 1),
        redelivered=core.redelivered,
        lost=len(acknowledged - set(core.content)),
        # A request that got no answer at all may have been taken: only a 4xx/503 says it was not.
        refused_but_delivered=len({r for r, status in outcome.refused.items() if status} & set(core.content)),
        drain_s=drain_s,
        by_channel=dict(Counter(outcome.channels[m] for m in acknowledged & set(core.content))),
    )


async def until(predicate: Callable[[], bool], *, timeout_s: float = 300.0) -> None:
    """Poll `predicate` (the state of other processes, which nothing here can signal)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the awaited state was not reached")
        await asyncio.sleep(0.05)


async def spool_metrics(base: str) -> dict[str, float]:
    """The spool's figures from the gateway's /metrics: depth, spooled, replayed."""
    async with aiohttp.ClientSession() as session, session.get(f"{base}/metrics") as response:
        text = await response.text()
    samples = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
    return {
        "depth": samples["hotline_spool_depth"],
        "spooled": samples["hotline_spool_spooled_total"],
        "replayed": samples["hotline_spool_replayed_total"],
    }


def record(figures: Figures, scenario: str) -> None:
    """Print the figures (pytest -s shows them) and keep them for the issue note and docs."""
    line = figures.line(scenario)
    print(line)
    target = os.environ.get("HOTLINE_FAULT_FIGURES")
    if target:
        with Path(target).open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def assert_exactly_once(figures: Figures) -> None:
    assert figures.acknowledged > 0
    assert figures.lost == 0, figures
    assert figures.duplicates == 0, figures
    assert figures.refused_but_delivered == 0, figures
    assert figures.delivered == figures.acknowledged, figures
