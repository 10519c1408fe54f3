"""Forwarding throughput: the project's worker setup next to RQ's default worker, in the same run,
against a local HTTP ticketing core that checks every event arrives exactly once.

    python bench/forward.py [--events 20000] [--reference-events 2000] [--workers 2]

Events are enqueued the way the gateway enqueues them (its `BatchingEnqueuer`, RQ's job format,
the forwarding retry schedule). Then:
- the project: `hotline-gateway worker --burst` × `--workers` (RQ's `SimpleWorker` subclass: no
  fork per job, one keep-alive HTTP session per process, results not stored);
- the reference: RQ's default `rq worker --burst` × `--workers` (a fork per job) on
  `--reference-events`.
Prints events/s of each, the ratio, and the core's count of events, duplicates and missing ones.
Redis database 14 on 127.0.0.1 (`BENCH_REDIS_URL`), flushed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import redis
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gateway.enqueue import BatchingEnqueuer, Writes  # noqa: E402
from gateway.pipeline import forward_job  # noqa: E402
from queue_workers.settings import FORWARD_QUEUE  # noqa: E402
from tests.event_factory import make_event  # noqa: E402
from tests.redis_process import free_port  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CORE_SECRET = "bench-core-secret-0123456789abcdef"  # noqa: S105 (a local stand-in core)


class Core:
    """The ticketing core: takes each Idempotency-Key once (201), answers 409 to a repeat."""

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/tickets", self._take)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _take(self, request: web.Request) -> web.Response:
        await request.read()
        key = request.headers.get("Idempotency-Key", "")
        self.keys[key] += 1
        return web.json_response({"status": "created"}, status=201 if self.keys[key] == 1 else 409)


async def enqueue(count: int, connection: redis.Redis) -> list[str]:
    """`count` forwarding jobs, written as the gateway writes them."""
    enqueuer = BatchingEnqueuer(connection)
    enqueuer.start()
    jobs = []
    for n in range(count):
        event = make_event(n % 999_999 + 1, event_id=uuid.uuid4(), idempotency_key=f"bench-{n}")
        jobs.append(forward_job(event, (1, 2, 4)))
    try:
        for start in range(0, count, 500):
            await enqueuer.write(Writes(jobs=tuple(jobs[start : start + 500])))
    finally:
        await enqueuer.stop()
    return [job.job_id for job in jobs]


def _env(core: Core, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        PYTHONPATH=str(REPO),
        HOTLINE_REDIS_URL=REDIS_URL,
        HOTLINE_DATA_DIR=str(data_dir),
        HOTLINE_TICKET_CORE_URL=f"http://127.0.0.1:{core.port}/api/tickets",
        HOTLINE_TICKET_CORE_SECRET=CORE_SECRET,
        HOTLINE_LOG_LEVEL="WARNING",
    )
    return env


async def drain(commands: list[list[str]], env: dict[str, str]) -> float:
    """Run the worker processes in burst mode until the queue is empty; seconds taken."""
    started = time.perf_counter()
    processes = [
        await asyncio.create_subprocess_exec(*command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for command in commands
    ]
    for process in processes:
        _, stderr = await process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"{commands[0][:3]} exited {process.returncode}: {stderr.decode()[-2000:]}")
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--reference-events", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    work = Path(tempfile.mkdtemp(prefix="hotline-bench-forward-"))
    core = Core()
    await core.start()
    env = _env(core, work / "var")
    results = {}
    try:
        for name, count, command in (
            ("project worker", args.events, [sys.executable, "-m", "gateway.cli", "worker", "--burst"]),
            (
                "RQ default worker",
                args.reference_events,
                [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL, "--serializer",
                 "rq.serializers.JSONSerializer", FORWARD_QUEUE],
            ),
        ):  # fmt: skip
            core.keys.clear()
            ids = await enqueue(count, connection)
            seconds = await drain([command] * args.workers, env)
            delivered = {key for key in core.keys if key in set(ids)}
            results[name] = {
                "events": count,
                "seconds": seconds,
                "per_s": count / seconds,
                "delivered": len(delivered),
                "duplicates": sum(1 for key in ids if core.keys[key] > 1),
                "missing": count - len(delivered),
            }
    finally:
        await core.stop()
        connection.flushdb()
        shutil.rmtree(work, ignore_errors=True)

    print(f"{args.workers} worker processes each, a local HTTP core on 127.0.0.1, Redis {REDIS_URL}")
    print(f"{'worker':<20}{'events':>8}{'seconds':>9}{'events/s':>10}{'delivered':>11}{'dup':>5}{'missing':>9}")
    for name, r in results.items():
        print(
            f"{name:<20}{r['events']:>8}{r['seconds']:>9.1f}{r['per_s']:>10.0f}"
            f"{r['delivered']:>11}{r['duplicates']:>5}{r['missing']:>9}"
        )
    ratio = results["project worker"]["per_s"] / results["RQ default worker"]["per_s"]
    print(f"project / RQ default: {ratio:.1f}x (target ≥ 10x)")
    once = all(r["duplicates"] == 0 and r["missing"] == 0 for r in results.values())
    print("every event exactly once" if once else "NOT EXACTLY ONCE")


if __name__ == "__main__":
    asyncio.run(main())
