"""A worker stops on SIGTERM even when its scheduler process does not: RQ joins the scheduler
without a limit, and one that hangs kept a worker (and its hold on the queues) alive."""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from rq import Queue

from queue_workers import worker as worker_module
from queue_workers.worker import ForwardWorker


def _deaf_to_sigterm(ready: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()
    time.sleep(120)


def test_a_scheduler_that_does_not_stop_is_killed(redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "SCHEDULER_STOP_S", 0.5)
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    scheduler = context.Process(target=_deaf_to_sigterm, args=(ready,), daemon=True)
    scheduler.start()
    assert ready.wait(30)
    worker = ForwardWorker([Queue("hotline.test", connection=redis_client)], connection=redis_client)
    worker.scheduler = SimpleNamespace(_process=scheduler)  # type: ignore[assignment]

    stopping = threading.Thread(target=worker.stop_scheduler)
    stopping.start()
    stopping.join(30)  # RQ's own stop_scheduler would wait here for two minutes
    try:
        assert not stopping.is_alive()
        assert not scheduler.is_alive()
        assert scheduler.exitcode == -signal.SIGKILL
    finally:
        if scheduler.is_alive():
            scheduler.kill()
