"""`hotline-gateway serve --workers N`: N server processes on one port.

Each process is a whole `serve` (its own event loop, Redis clients, knowledge base and policy),
listening with SO_REUSEPORT, so the kernel spreads new connections across them and each uses a
core of its own. This process only supervises: it starts them, starts again one that dies (with a
backoff, so a process that cannot start does not spin), and on SIGTERM or SIGINT passes SIGTERM
on and waits for them to finish their requests (`HOTLINE_SHUTDOWN_GRACE_S`).

State the processes share lives where it already lives for several gateways: Redis (nonces,
claims, ticket numbers, rate counts) and the data dir (the spool and its counters, the local
ticket store, uploads), all safe across processes.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

log = logging.getLogger(__name__)

RESTART_DELAYS_S = (1, 2, 5, 10, 30)
STABLE_AFTER_S = 60.0  # a process that ran this long starts its restart backoff afresh
POLL_S = 0.2


class _Child:
    def __init__(self, slot: int) -> None:
        self.slot = slot
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.failures = 0
        self.restart_at = 0.0


class Supervisor:
    def __init__(self, count: int, command: Sequence[str], env: dict[str, str], *, grace_s: float) -> None:
        self._children = [_Child(slot) for slot in range(count)]
        self._command = list(command)
        self._env = env
        self._grace_s = grace_s
        self._stopping = False

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for child in self._children:
                self._start(child)
            while not self._stopping:
                self._watch()
                time.sleep(POLL_S)
            return self._shutdown()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _start(self, child: _Child) -> None:
        # A session of its own: a Ctrl-C reaches this process only, which passes one SIGTERM on.
        child.process = subprocess.Popen(self._command, env=self._env, start_new_session=True)  # noqa: S603
        child.started = time.monotonic()
        log.info("server process %d started (pid %d)", child.slot, child.process.pid)

    def _watch(self) -> None:
        now = time.monotonic()
        for child in self._children:
            if child.process is None:
                if now >= child.restart_at:
                    self._start(child)
                continue
            code = child.process.poll()
            if code is None:
                continue
            child.failures = 1 if now - child.started >= STABLE_AFTER_S else child.failures + 1
            delay = RESTART_DELAYS_S[min(child.failures, len(RESTART_DELAYS_S)) - 1]
            log.warning(
                "server process %d (pid %d) exited with %s: starting it again in %d s",
                child.slot,
                child.process.pid,
                code,
                delay,
            )
            child.process, child.restart_at = None, now + delay

    def _shutdown(self) -> int:
        running = [child.process for child in self._children if child.process is not None]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self._grace_s + 5
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("server process pid %d did not stop in time: killed", process.pid)
                process.kill()
                process.wait()
        return 0


def child_command(settings_env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The command and environment of one server process: a single `serve` on the shared port."""
    env = {**os.environ, **settings_env}
    return [sys.executable, "-m", "gateway.cli", "serve", "--workers", "1", "--reuse-port"], env
