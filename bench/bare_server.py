"""The references of `bench/intake.py`, served the way the gateway is served (one process,
`web.run_app`, no access log):

- `POST /bare/…`: a bare aiohttp POST handler (reads the body, answers a small JSON);
- `POST /naive/…`: the same handler with one `Queue.enqueue()` per request, the naive use of the
  gateway's own stack (each enqueue is several blocking Redis commands).

    python bench/bare_server.py --port 8400 --redis-url redis://127.0.0.1:6379/14
"""

from __future__ import annotations

import argparse
import json

import redis
from aiohttp import web
from rq import Queue
from rq.serializers import JSONSerializer

NAIVE_QUEUE = "bench.naive"
NAIVE = web.AppKey("naive", Queue)


async def hello(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    return web.json_response({"status": "ready"})


async def naive(request: web.Request) -> web.Response:
    body = json.loads(await request.read())
    job = request.app[NAIVE].enqueue("queue_workers.forward.forward", body, result_ttl=0)
    return web.json_response({"status": "ok", "job": job.id})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", required=True)
    args = parser.parse_args()
    app = web.Application()
    app[NAIVE] = Queue(NAIVE_QUEUE, connection=redis.Redis.from_url(args.redis_url), serializer=JSONSerializer)
    app.router.add_post("/naive/{tail:.*}", naive)
    app.router.add_post("/{tail:.*}", hello)
    app.router.add_get("/readyz", ready)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
