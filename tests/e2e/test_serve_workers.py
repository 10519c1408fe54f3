"""`hotline-gateway serve --workers 2` as an operator runs it: two server processes on one port,
connections spread across them, one that dies started again, all stopped by one SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from tests.app_support import app_message
from tests.conftest import APP_KEY_ID, APP_SECRET, signed_headers
from tests.forwarding_support import queued_events
from tests.redis_process import free_port

pytestmark = pytest.mark.e2e


def _answering_pids(base: str, tries: int = 200) -> set[int]:
    """Which processes answer: each request on a new connection, as different clients would."""
    pids = set()
    for _ in range(tries):
        with httpx.Client() as client:  # a new connection each time
            pids.add(client.get(f"{base}/healthz", timeout=5).json()["pid"])
        if len(pids) >= 2:
            break
    return pids


def _counted(text: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "hotline_http_requests_total" and sample.labels == labels
    )


def _until(predicate: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("not reached in time")


def test_two_processes_share_the_port_and_survive_one_dying(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        HOTLINE_REDIS_URL=redis_url,
        HOTLINE_APP_KEYS=json.dumps({APP_KEY_ID: APP_SECRET}),
        HOTLINE_ADMIN_ENABLED="false",
        HOTLINE_SHUTDOWN_GRACE_S="5",
    )
    command = [sys.executable, "-m", "gateway.cli", "serve", "--workers", "2", "--port", str(port)]
    process = subprocess.Popen([*command, "--data-dir", str(tmp_path / "var")], env=env, start_new_session=True)
    try:
        _until(lambda: httpx.get(f"{base}/readyz", timeout=1).status_code == 200)
        _until(lambda: len(_answering_pids(base, tries=20)) == 2)
        first = _answering_pids(base)
        assert len(first) == 2
        assert process.pid not in first  # the supervisor itself serves nothing

        # Both take submissions, with one numbering and one dedupe between them (Redis).
        bodies = [app_message(f"出租车粤A1234{n}拒载，今天上午9点在广州南站。", f"u-{n}") for n in range(10)]
        for body in bodies:
            response = httpx.post(f"{base}/api/v1/app/messages", content=body, headers=signed_headers(body), timeout=10)
            assert response.status_code == 200, response.text
        assert len({event.ticket_no for event in queued_events(redis_client)}) == 10
        # Whichever process answers /metrics counts both processes' requests (multi-process mode).
        for _ in range(6):
            with httpx.Client() as fresh:
                text = fresh.get(f"{base}/metrics", timeout=5).text
            assert _counted(text, channel="app", status="200") == 10

        # One dies: the other keeps answering, and the supervisor starts a new one.
        victim = next(iter(first))
        os.kill(victim, signal.SIGKILL)
        _until(lambda: not Path(f"/proc/{victim}").exists())  # gone, and reaped by the supervisor
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        _until(lambda: len(_answering_pids(base, tries=20) - first) == 1)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0
    with pytest.raises(httpx.TransportError):  # nobody is left on the port
        httpx.get(f"{base}/healthz", timeout=2)
