"""Fault injection against real processes (`pytest -m faults tests/faults -s` prints the figures):
Redis killed at intake, a worker killed mid-job, the ticketing core down or failing or slow, and
SIGTERM to `hotline-gateway up` under load. Each ends with the same check: every acknowledged
submission reached the core exactly once, nothing refused did."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.faults.harness import (
    Gateway,
    Load,
    MisbehavingCore,
    Outcome,
    assert_exactly_once,
    drained,
    record,
    spool_metrics,
    until,
)
from tests.redis_process import RedisProcess

pytestmark = pytest.mark.faults

SUBMISSIONS = 2000


@pytest.fixture
async def core() -> AsyncIterator[MisbehavingCore]:
    ticket_core = MisbehavingCore()
    await ticket_core.start()
    yield ticket_core
    await ticket_core.close()


@pytest.fixture
def gateway(tmp_path: Path, own_redis: RedisProcess, core: MisbehavingCore) -> Iterator[Gateway]:
    processes = Gateway(tmp_path, own_redis, core)
    yield processes
    processes.stop()


async def _when_acknowledged(outcome: Outcome, count: int) -> None:
    await until(lambda: len(outcome.acknowledged) >= count)


async def test_redis_killed_at_intake(gateway: Gateway, own_redis: RedisProcess, core: MisbehavingCore) -> None:
    await gateway.start_server()
    gateway.start_worker()
    gateway.start_worker()

    async def outage(outcome: Outcome) -> None:
        await _when_acknowledged(outcome, SUBMISSIONS // 4)
        own_redis.kill()  # SIGKILL: what Redis acknowledged is in its fsynced AOF
        await asyncio.sleep(3)  # the gateway spools meanwhile
        own_redis.start()

    outcome = await Load(gateway.base).run(SUBMISSIONS, during=outage)
    figures = await drained(core, outcome, timeout_s=240)
    spool = await spool_metrics(gateway.base)
    record(figures, f"redis killed at intake; spooled={spool['spooled']:.0f} replayed={spool['replayed']:.0f}")
    assert_exactly_once(figures)
    assert figures.refused == 0  # the spool took everything
    assert spool["spooled"] > 0, "the outage did not reach intake: nothing was spooled"
    assert spool["replayed"] == spool["spooled"]
    assert spool["depth"] == 0


async def test_worker_killed_mid_job(gateway: Gateway, core: MisbehavingCore) -> None:
    await gateway.start_server()
    first = gateway.start_worker()
    core.mode, core.delay_s = "slow", 0.5  # deliveries in flight when the worker dies

    async def kill_worker(outcome: Outcome) -> None:
        await until(lambda: bool(core.taken))
        await asyncio.sleep(0.3)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        core.mode = "ok"
        gateway.start_worker()

    outcome = await Load(gateway.base).run(200, during=kill_worker)
    # The killed worker's job is retried once its heartbeat expires (about 90 s) and a worker cleans.
    figures = await drained(core, outcome, timeout_s=240)
    record(figures, "worker killed mid-job")
    assert_exactly_once(figures)


async def test_ticket_core_down_failing_and_slow(gateway: Gateway, core: MisbehavingCore) -> None:
    await gateway.start_server()
    gateway.start_worker()
    gateway.start_worker()

    async def misbehave(outcome: Outcome) -> None:
        await _when_acknowledged(outcome, 200)
        await core.go_down()  # connection refused
        await asyncio.sleep(3)
        await core.come_back()
        core.mode = "error"  # 500
        await asyncio.sleep(3)
        core.mode, core.delay_s = "slow", 3.0  # over the 2 s time-out: retried, then 409
        await asyncio.sleep(3)
        core.mode = "ok"

    outcome = await Load(gateway.base).run(SUBMISSIONS, during=misbehave)
    figures = await drained(core, outcome, timeout_s=180)
    record(figures, "ticket core down, 500, slow")
    assert_exactly_once(figures)
    assert figures.refused == 0


async def test_sigterm_to_up_under_load(gateway: Gateway, core: MisbehavingCore) -> None:
    await gateway.start_server("up")

    async def restart(outcome: Outcome) -> None:
        await _when_acknowledged(outcome, SUBMISSIONS // 3)
        assert gateway.server is not None
        gateway.server.send_signal(signal.SIGTERM)  # in-flight requests finish, then it stops
        await asyncio.to_thread(gateway.server.wait, 60)
        await gateway.start_server("up")

    outcome = await Load(gateway.base).run(SUBMISSIONS, during=restart)
    figures = await drained(core, outcome, timeout_s=240)
    record(figures, "SIGTERM to up under load")
    assert_exactly_once(figures)
