"""Health and readiness for load balancers and the container's HEALTHCHECK; metrics for Prometheus."""

from __future__ import annotations

import asyncio
import os
import sqlite3

import redis.exceptions
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from gateway import keys
from gateway.metrics import scrape
from queue_workers.settings import FORWARD_QUEUE, REPLY_QUEUE

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """The process answers: nothing else is checked (liveness). `pid`: which process answered
    (`serve --workers N` runs several on one port)."""
    return web.json_response({"status": "ok", "pid": os.getpid()})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Ready to take submissions: Redis answers, or the spool takes them while it does not (then
    `status: spooling`). Reports the depth of the forwarding and reply queues and of the spool."""
    client = request.app[keys.REDIS]
    queues = [request.app[keys.ENQUEUER].queue(name) for name in (FORWARD_QUEUE, REPLY_QUEUE)]
    spool = request.app[keys.SPOOL]
    try:
        spooled: int | None = await asyncio.to_thread(spool.depth)
    except sqlite3.Error:
        spooled = None
    replayed = request.app[keys.REPLAYER].replayed
    try:
        async with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.llen(queue.key)
            depths = await pipe.execute()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
        body = {
            "status": "spooling" if spooled is not None else "unavailable",
            "redis": "unreachable",
            "detail": type(exc).__name__,
            "spool": {"depth": spooled, "replayed": replayed},
        }
        return web.json_response(body, status=200 if spooled is not None else 503)
    return web.json_response(
        {
            "status": "ready",
            "redis": "ok",
            "queue": {q.name: depth for q, depth in zip(queues, depths, strict=True)},
            "spool": {"depth": spooled, "replayed": replayed},
        }
    )


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format; collectors that read files run off the event loop."""
    body = await asyncio.to_thread(scrape, request.app[keys.METRICS])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
