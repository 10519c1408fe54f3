"""The fault-injection harness: the gateway and its workers as real processes, a real
`redis-server` the test kills, a real HTTP ticketing core that misbehaves on command, a load of
signed submissions, and the one check every scenario ends with — every submission that got a 2xx
reached the core exactly once (by Idempotency-Key and by content), none that was refused did.

A later channel plugs in by giving `Load` a way to post its own submissions (`post_one`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from channels.app import app_signature
from tests.conftest import APP_KEY_ID, APP_SECRET, TICKET_CORE_SECRET
from tests.fake_ticket_core import FakeTicketCore
from tests.redis_process import RedisProcess, free_port

REPO = Path(__file__).resolve().parents[2]
APP_PATH = "/api/v1/app/messages"


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
        self.content: dict[str, set[str]] = {}  # the app's request id → the event ids carrying it

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/tickets", self._misbehave)
        self._server = TestServer(app, host="127.0.0.1", port=self.port)
        await self._server.start_server()

    async def go_down(self) -> None:
        await self.close()

    async def come_back(self) -> None:
        await self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/tickets"

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
        self.content.setdefault(event["idempotency_key"], set()).add(event["event_id"])
        return web.Response(status=201, text='{"status": "created"}')


@dataclass
class Outcome:
    sent: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)  # request id → ticket number
    refused: dict[str, int] = field(default_factory=dict)  # request id → last status (0: no answer)


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
            HOTLINE_CHANNELS="app",
            HOTLINE_APP_KEYS=json.dumps({APP_KEY_ID: APP_SECRET}),
            HOTLINE_TICKET_CORE_URL=core.url,
            HOTLINE_TICKET_CORE_SECRET=TICKET_CORE_SECRET,
            HOTLINE_TICKET_CORE_TIMEOUT_S="2",
            HOTLINE_FORWARD_RETRY_SCHEDULE=",".join(["1"] * 10 + ["2"] * 30),
            HOTLINE_WORKER_MAINTENANCE_S="2",
            HOTLINE_REGION_CODE="440100",
            HOTLINE_ADMIN_TOKEN="admin-token-for-fault-tests",
            HOTLINE_APP_RATE_LIMIT="1000000",  # one load generator is many citizens here
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


class Load:
    """Signed app submissions, `concurrency` at a time; each request id is the submission's
    content key (the event's `idempotency_key`)."""

    def __init__(self, base: str, *, concurrency: int = 32) -> None:
        self.base = base
        self.concurrency = concurrency
        self.outcome = Outcome()

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
        request_id = f"fault-{uuid.uuid4()}"
        body = json.dumps(
            {"request_id": request_id, "user_id": f"u-{n}", "text": f"公交{n % 300}路到站不停，今天早上8点在天河站。"},
            ensure_ascii=False,
        ).encode()
        self.outcome.sent += 1
        for _attempt in range(3):  # what an app does: retry the same submission on no answer or 503
            timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
            headers = {
                "Content-Type": "application/json",
                "X-Hotline-Key": APP_KEY_ID,
                "X-Hotline-Timestamp": timestamp,
                "X-Hotline-Nonce": nonce,
                "X-Hotline-Signature": app_signature(
                    APP_SECRET, timestamp=timestamp, nonce=nonce, method="POST", path=APP_PATH, body=body
                ),
            }
            try:
                async with session.post(self.base + APP_PATH, data=body, headers=headers) as response:
                    if response.status == 200:
                        self.outcome.acknowledged[request_id] = (await response.json())["ticket_no"]
                        self.outcome.refused.pop(request_id, None)
                        return
                    self.outcome.refused[request_id] = response.status
                    if response.status < 500:
                        return
            except (TimeoutError, aiohttp.ClientError):
                self.outcome.refused[request_id] = 0
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

    def line(self, scenario: str) -> str:
        return (
            f"[{scenario}] sent={self.sent} acknowledged={self.acknowledged} refused={self.refused} "
            f"delivered={self.delivered} duplicates={self.duplicates} redelivered(409)={self.redelivered} "
            f"lost={self.lost} refused_but_delivered={self.refused_but_delivered} drain={self.drain_s:.1f}s"
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
    )


async def until(predicate: Callable[[], bool], *, timeout_s: float = 300.0) -> None:
    """Poll `predicate` (the state of other processes, which nothing here can signal)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the awaited state was not reached")
        await asyncio.sleep(0.05)


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
