"""The per-process forwarding context: settings, one keep-alive HTTP client, the local store.

`run_worker` configures it before the first job and closes it on exit. Under a plain
`rq worker --serializer json` nobody does, so the first job builds it from `WorkerSettings()` (the
`HOTLINE_` environment). Nothing is created at import time, and a context inherited across a fork
is dropped, never reused: two processes must not share one socket or SQLite connection.
"""

from __future__ import annotations

import os
import threading

import httpx

from queue_workers.settings import WorkerSettings
from queue_workers.ticket_store import TicketStore

USER_AGENT = "hotline-gateway/forwarder"


class ForwardingContext:
    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None
        self._store: TicketStore | None = None

    @property
    def http(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(
                    timeout=httpx.Timeout(self.settings.ticket_core_timeout_s),
                    # Redirects are answers, not detours: see ticket_core.classify.
                    follow_redirects=False,
                    headers={"User-Agent": USER_AGENT},
                )
            return self._http

    @property
    def store(self) -> TicketStore:
        with self._lock:
            if self._store is None:
                self._store = TicketStore(self.settings.ticket_store_path)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None
            if self._store is not None:
                self._store.close()
                self._store = None


_current: ForwardingContext | None = None
_current_lock = threading.Lock()


def configure(settings: WorkerSettings) -> ForwardingContext:
    """Install a context for this process, closing the one it replaces."""
    global _current
    with _current_lock:
        previous, _current = _current, ForwardingContext(settings)
        context = _current
    if previous is not None and previous.pid == os.getpid():
        previous.close()
    return context


def current() -> ForwardingContext:
    """The configured context, or one built from the environment on first use."""
    global _current
    with _current_lock:
        if _current is None or _current.pid != os.getpid():
            # After a fork the parent's client and connection belong to the parent: leave them be.
            _current = ForwardingContext(WorkerSettings())
        return _current


def close() -> None:
    """Close and forget this process's context (idempotent)."""
    global _current
    with _current_lock:
        previous, _current = _current, None
    if previous is not None and previous.pid == os.getpid():
        previous.close()
