"""Synchronous reply latency of the WeChat channel under load, next to the app channel's, measured in
the same run against one `hotline-gateway serve` process (real Redis, database 14, flushed).

    python bench/wechat_latency.py [--requests 3000] [--concurrency 32]

Prints requests/s and p50/p99 latency for: app (HMAC JSON), WeChat plaintext, WeChat safe mode
(AES), and the ratios of WeChat to app. Each request is a new citizen message, so every one runs
the whole pipeline (verify, parse, dedupe, decide, number, enqueue, reply).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake import APP_KEY, APP_SECRET_KEY, REDIS_URL, _gateway

from tests.conftest import signed_headers
from tests.wechat_samples import WeChatServer, message_xml


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_ready(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("gateway did not become ready")


Request = Callable[[aiohttp.ClientSession, int], Awaitable[int]]


def app_request(base: str) -> Request:
    async def send(session: aiohttp.ClientSession, n: int) -> int:
        body = json.dumps(
            {"request_id": str(uuid.uuid4()), "user_id": f"u{n}", "text": f"公交车B{n}路到站不停，车牌粤A{n:05d}"},
            ensure_ascii=False,
        ).encode()
        headers = signed_headers(body, key_id=APP_KEY, secret=APP_SECRET_KEY)
        async with session.post(f"{base}/api/v1/app/messages", data=body, headers=headers) as response:
            await response.read()
            return response.status

    return send


def wechat_request(base: str, mode: str) -> Request:
    server = WeChatServer()

    async def send(session: aiohttp.ClientSession, n: int) -> int:
        xml = message_xml(
            "text",
            Content=f"出租车粤A{n:05d}拒载，在广州南站",
            msg_id=str(secrets.randbits(62)),
            from_user=f"o{n:027d}",
        )
        query, body = server.request(xml, mode)  # type: ignore[arg-type]
        async with session.post(f"{base}/channels/wechat", params=query, data=body) as response:
            await response.read()
            return response.status

    return send


async def run(send: Request, requests: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for n in counter:
            started = time.perf_counter()
            status = await send(session, n)
            latencies.append(time.perf_counter() - started)
            errors += status != 200

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": requests / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    redis.Redis.from_url(REDIS_URL).flushdb()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    data_dir = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    process = _gateway(port, data_dir)
    try:
        await _wait_ready(base)
        await run(app_request(base), 200, args.concurrency)  # warm-up
        results = {
            "app": await run(app_request(base), args.requests, args.concurrency),
            "wechat plaintext": await run(wechat_request(base, "plaintext"), args.requests, args.concurrency),
            "wechat safe (AES)": await run(wechat_request(base, "safe"), args.requests, args.concurrency),
        }
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        redis.Redis.from_url(REDIS_URL).flushdb()
    print(f"{args.requests} requests per channel, concurrency {args.concurrency}, one gateway process")
    print(f"{'channel':<20}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, figures in results.items():
        print(
            f"{name:<20}{figures['rps']:>10.0f}{figures['p50_ms']:>10.1f}{figures['p99_ms']:>10.1f}{figures['errors']:>8.0f}"
        )
    app = results["app"]
    for name in ("wechat plaintext", "wechat safe (AES)"):
        figures = results[name]
        print(
            f"{name} / app: throughput {figures['rps'] / app['rps']:.2f}x, "
            f"p50 {figures['p50_ms'] / app['p50_ms']:.2f}x, p99 {figures['p99_ms'] / app['p99_ms']:.2f}x"
        )


if __name__ == "__main__":
    asyncio.run(main())
