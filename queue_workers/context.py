"""The per-process worker context: settings, one keep-alive HTTP client, the local store, and the
WeChat API client — each built on first use.

`run_worker` configures it (with its Redis connection) before the first job and closes it on exit.
Under a plain `rq worker --serializer json` nobody does, so the first job builds it from
`WorkerSettings()` (the `HOTLINE_` environment). Nothing is created at import time, and a context
inherited across a fork is dropped, never reused: two processes must not share one socket or
SQLite connection.
"""

from __future__ import annotations

import os
import threading

import httpx
import redis
from rq import get_current_job

from queue_workers.redis_connect import connect
from queue_workers.settings import WorkerSettings
from queue_workers.ticket_store import TicketStore
from queue_workers.wechat_api import WeChatApi

USER_AGENT = "hotline-gateway/forwarder"


class NotConfigured(Exception):
    """A job needs a setting this process does not have; the message names it."""


class ForwardingContext:
    def __init__(self, settings: WorkerSettings, *, connection: redis.Redis | None = None) -> None:
        self.settings = settings
        self.pid = os.getpid()
        # Re-entrant: `wechat` builds its client with the Redis connection under the same lock.
        self._lock = threading.RLock()
        self._http: httpx.Client | None = None
        self._store: TicketStore | None = None
        self._redis = connection
        self._owns_redis = False
        self._wechat: WeChatApi | None = None

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

    @property
    def redis(self) -> redis.Redis:
        """Redis for state shared between workers: the worker's own connection, else one to
        HOTLINE_REDIS_URL, else (a plain `rq worker` without it) the running job's."""
        with self._lock:
            if self._redis is None:
                if self.settings.redis_url:
                    self._redis = connect(self.settings.redis_url)
                    self._owns_redis = True
                else:
                    job = get_current_job()
                    if job is None:
                        raise NotConfigured("HOTLINE_REDIS_URL is not set")
                    self._redis = job.connection
            return self._redis

    @property
    def wechat(self) -> WeChatApi:
        """The WeChat API client; `NotConfigured` without HOTLINE_WECHAT_APP_ID and _APP_SECRET."""
        with self._lock:
            if self._wechat is None:
                credentials = self.settings.wechat_credentials
                if credentials is None:
                    raise NotConfigured(
                        "HOTLINE_WECHAT_APP_ID and HOTLINE_WECHAT_APP_SECRET must both be set "
                        "to send WeChat customer-service messages"
                    )
                app_id, secret = credentials
                self._wechat = WeChatApi(
                    app_id=app_id,
                    app_secret=secret.get_secret_value(),
                    api_url=self.settings.wechat_api_url,
                    connection=self.redis,
                    timeout_s=self.settings.wechat_api_timeout_s,
                )
            return self._wechat

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None
            if self._store is not None:
                self._store.close()
                self._store = None
            if self._wechat is not None:
                self._wechat.close()
                self._wechat = None
            if self._redis is not None and self._owns_redis:
                self._redis.close()
            self._redis = None
            self._owns_redis = False


_current: ForwardingContext | None = None
_current_lock = threading.Lock()


def configure(settings: WorkerSettings, *, connection: redis.Redis | None = None) -> ForwardingContext:
    """Install a context for this process, closing the one it replaces. `connection`, when given,
    is the worker's own Redis connection; the context uses it and leaves closing it to its owner."""
    global _current
    with _current_lock:
        previous, _current = _current, ForwardingContext(settings, connection=connection)
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
