"""Automatic pipelining of the request path's small Redis commands.

Every request asks Redis a few small things (its nonce, its sender's rate, its idempotency claim,
its ticket number), one after the other. Sent one by one, each pays a whole client round trip —
a connection taken from the pool, a time-out armed, a write, a read, the reply parsed — and under
load that overhead, not Redis, was most of the gateway's CPU (docs/benchmarks.md). Here the
commands that concurrent requests issue in the same turn of the event loop are written to Redis
together, as one pipeline on one connection, and each caller gets its own replies back.

A batch is not a transaction. The commands of one `execute` call are sent in their order on one
connection, one after the other, and no other client's command can fall between a caller's
`SET … NX EX` and its `INCR` in a way that matters to the counters built on them; a caller that
needs atomicity uses a script. A connection error fails every caller of the batch with it (their
own handling — spool, 503 — applies); an error reply fails only the caller whose command it was.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from redis.asyncio import Redis

Command = tuple[Any, ...]

MAX_BATCH = 512  # commands per pipeline; more wait for the next one


class CommandBatcher:
    def __init__(self, client: Redis) -> None:
        self._client = client
        self._pending: list[tuple[tuple[Command, ...], asyncio.Future[list[Any]]]] = []
        self._scheduled = False

    async def execute(self, *commands: Command) -> list[Any]:
        """The replies to `commands`, in order, sent with whatever else is being sent now."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        self._pending.append((commands, future))
        if not self._scheduled:
            self._scheduled = True
            # After the callbacks already due: every request ready in this turn joins the batch.
            loop.call_soon(self._start_flush)
        return await future

    def _start_flush(self) -> None:
        self._scheduled = False
        batch, count = [], 0
        while self._pending and count < MAX_BATCH:
            commands, future = self._pending.pop(0)
            batch.append((commands, future))
            count += len(commands)
        if self._pending:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._start_flush)
        task = asyncio.ensure_future(self._flush(batch))
        _running.add(task)
        task.add_done_callback(_running.discard)

    async def _flush(self, batch: list[tuple[tuple[Command, ...], asyncio.Future[list[Any]]]]) -> None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for commands, _ in batch:
                    for command in commands:
                        pipe.execute_command(*command)
                replies = await pipe.execute(raise_on_error=False)
        except BaseException as exc:  # the connection failed: every caller hears of it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        offset = 0
        for commands, future in batch:
            own = replies[offset : offset + len(commands)]
            offset += len(commands)
            if future.done():  # the caller was cancelled meanwhile
                continue
            error = next((reply for reply in own if isinstance(reply, Exception)), None)
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(own)


_running: set[asyncio.Task[None]] = set()  # flushes in flight (a task must be referenced)
_batchers: weakref.WeakKeyDictionary[Redis, CommandBatcher] = weakref.WeakKeyDictionary()


def batcher_for(client: Redis) -> CommandBatcher:
    """The one batcher of `client`: every store on the same client shares its pipelines."""
    batcher = _batchers.get(client)
    if batcher is None:
        batcher = _batchers[client] = CommandBatcher(client)
    return batcher
