"""The forwarding worker as its own process: SIGTERM is a warm shutdown, and the job also runs
under a plain `rq worker`, building its context from the HOTLINE_ environment."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue, Retry
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from queue_workers.settings import FORWARD_QUEUE
from queue_workers.ticket_store import TicketStore
from tests.conftest import TICKET_CORE_SECRET
from tests.event_factory import make_event
from tests.fake_ticket_core import Answer, FakeTicketCore
from tests.redis_process import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
_RUN_WORKER = """
import sys
from queue_workers.settings import WorkerSettings
from queue_workers.worker import run_worker
sys.exit(0 if run_worker(WorkerSettings(), with_scheduler=False) else 3)
"""


def _enqueue(redis_client: redis.Redis, n: int) -> str:
    """A job as the gateway writes it (gateway/enqueue.py)."""
    event = make_event(n)
    Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).enqueue(
        "queue_workers.forward.forward_ticket",
        event.to_json_dict(),
        job_id=str(event.event_id),
        retry=Retry(max=3, interval=[0, 0, 0]),
        result_ttl=0,
    )
    return str(event.event_id)


def _env(tmp_path: Path, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        PYTHONPATH=str(REPO),
        HOTLINE_REDIS_URL=redis_url,
        HOTLINE_DATA_DIR=str(tmp_path / "var"),
        HOTLINE_FORWARD_RETRY_SCHEDULE="0,0,0",
        **extra,
    )
    return env


async def test_sigterm_lets_the_running_job_finish_then_stops(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, ticket_core: FakeTicketCore
) -> None:
    first = _enqueue(redis_client, 1)
    _enqueue(redis_client, 2)
    ticket_core.answer(Answer(status=201, delay_s=1.0))  # the first delivery is slow
    env = _env(
        tmp_path,
        redis_url,
        HOTLINE_TICKET_CORE_URL=ticket_core.url,
        HOTLINE_TICKET_CORE_SECRET=TICKET_CORE_SECRET,
    )
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _RUN_WORKER,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        await asyncio.wait_for(ticket_core.request_seen.wait(), timeout=20)
        worker.send_signal(signal.SIGTERM)  # mid-delivery
        output, _ = await asyncio.wait_for(worker.communicate(), timeout=20)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert worker.returncode == 0, output.decode(errors="replace")
    assert len(ticket_core.received) == 1
    assert ticket_core.received[0].event["event_id"] == first
    queue = Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer)
    assert queue.count == 1  # the second job waits for the next worker
    assert FailedJobRegistry(queue=queue).count == 0
    assert StartedJobRegistry(queue=queue).count == 0  # the first job finished, not abandoned


async def test_plain_rq_worker_builds_the_context_from_the_environment(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> None:
    _enqueue(redis_client, 1)
    _enqueue(redis_client, 2)
    rq = Path(sys.executable).parent / "rq"
    command = [
        str(rq),
        "worker",
        "--burst",
        "--url",
        redis_url,
        "--serializer",
        "json",
        "-w",
        "rq.worker.SimpleWorker",
        FORWARD_QUEUE,
    ]
    result = await asyncio.to_thread(
        subprocess.run, command, cwd=tmp_path, env=_env(tmp_path, redis_url), capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    store = TicketStore(tmp_path / "var" / "tickets.sqlite3")
    try:
        assert store.count() == 2
    finally:
        store.close()
    assert FailedJobRegistry(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).count == 0


async def test_a_worker_on_its_own_host_serves_its_delivery_metrics(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, ticket_core: FakeTicketCore
) -> None:
    port = free_port()
    _enqueue(redis_client, 1)
    ticket_core.answer(Answer(status=503), Answer(status=201))  # one transient failure, then taken
    env = _env(
        tmp_path,
        redis_url,
        HOTLINE_TICKET_CORE_URL=ticket_core.url,
        HOTLINE_TICKET_CORE_SECRET=TICKET_CORE_SECRET,
        HOTLINE_WORKER_METRICS_PORT=str(port),
    )
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "worker", cwd=tmp_path, env=env, stdout=subprocess.DEVNULL
    )
    try:
        text = ""
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                        text = await response.text()
                except aiohttp.ClientError:
                    text = ""
                if 'hotline_forward_seconds_count{outcome="delivered",receiver="ticket_core"} 1.0' in text:
                    break
                await asyncio.sleep(0.1)
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        delivered = ("hotline_forward_seconds_count", (("outcome", "delivered"), ("receiver", "ticket_core")))
        failed = ("hotline_forward_failures_total", (("kind", "transient"), ("receiver", "ticket_core")))
        assert samples.get(delivered) == 1
        assert samples.get(failed) == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(worker.wait(), 30)
        except TimeoutError:
            worker.kill()  # not left running to take the next tests' jobs: this test fails alone
            await worker.wait()
            raise
