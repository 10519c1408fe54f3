"""`hotline-gateway up` as a citizen-facing operator would run it: a fresh data dir, no Redis
configured, no keys configured. A signed app message ends up in the local ticket store."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import signed_headers

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, process: subprocess.Popen[str], timeout: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise AssertionError(f"`up` exited early with {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("`up` did not become ready")


def _signed_post(base: str, secret: str, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = signed_headers(raw, key_id="local", secret=secret)
    return httpx.post(f"{base}/api/v1/app/messages", content=raw, headers=headers, timeout=10)


def test_up_takes_a_message_to_the_local_store_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "up", "--port", str(port), "--data-dir", str(tmp_path / "var")],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready_s = _wait_ready(base, process)
        print(f"`hotline-gateway up` ready in {ready_s:.2f} s")
        credentials = json.loads((tmp_path / "var" / "local-credentials.json").read_text())
        body = {
            "request_id": str(uuid.uuid4()),
            "user_id": "citizen-1",
            "text": "出租车拒载，车牌粤A12345，今天上午9点在广州南站。",
            "category": "complaint",
            "contact": {"phone": "13800138000"},
        }
        reply = _signed_post(base, credentials["app_secret"], body)
        assert reply.status_code == 200, reply.text
        ticket_no = reply.json()["ticket_no"]

        admin = {"Authorization": f"Bearer {credentials['admin_token']}", "Accept": "application/json"}
        deadline = time.monotonic() + 20
        ticket = None
        while time.monotonic() < deadline and ticket is None:
            listing = httpx.get(f"{base}/admin/tickets/{ticket_no}", headers=admin, timeout=5)
            if listing.status_code == 200:
                ticket = listing.json()
            else:
                time.sleep(0.1)
        assert ticket is not None, "the worker never stored the ticket"
        assert json.dumps(ticket, ensure_ascii=False).count(ticket_no) >= 1
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "hotline-gateway up: ready in" in output
    assert "13800138000" not in output  # 第七条: no unmasked phone in the logs
