"""Health and readiness for load balancers and the container's HEALTHCHECK."""

from __future__ import annotations

import redis.exceptions
from aiohttp import web

from gateway import keys
from queue_workers.settings import FORWARD_QUEUE, REPLY_QUEUE

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """The process answers: nothing else is checked (liveness)."""
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Ready to take submissions: Redis answers. Reports the depth of the forwarding and reply queues."""
    client = request.app[keys.REDIS]
    queues = [request.app[keys.ENQUEUER].queue(name) for name in (FORWARD_QUEUE, REPLY_QUEUE)]
    try:
        async with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.llen(queue.key)
            depths = await pipe.execute()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
        return web.json_response(
            {"status": "unavailable", "redis": "unreachable", "detail": type(exc).__name__}, status=503
        )
    return web.json_response(
        {"status": "ready", "redis": "ok", "queue": {q.name: depth for q, depth in zip(queues, depths, strict=True)}}
    )
