"""The knowledge base a gateway process answers from, kept in step with Redis.

Every process polls the current version (`GET kb:version`, every `HOTLINE_KB_RELOAD_INTERVAL_S`)
and, when it changed, reads that version and builds a new `Retriever` in a worker thread; the old
one keeps answering until the new one is swapped in (a plain attribute assignment: a request sees
one or the other). A new version is therefore answered from in every process within the interval
plus the build time (~0.1 s per 1,000 phrasings).

On start, when Redis holds no KB yet, the file `HOTLINE_KB_PATH` (default: the KB shipped in
`gateway/kb/default_kb.jsonl`) is imported with SET NX semantics, so that gateways starting
together import it once. When Redis cannot be reached at start, the process answers from that
file until Redis comes back: instant answers do not depend on Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import redis.exceptions

from gateway.kb.files import load_entries, parse_entries
from gateway.kb.model import KbEntry, KbFormatError
from gateway.kb.retriever import Retriever
from gateway.kb.store import KbStore
from gateway.kb.text import Analyzer, get_analyzer
from gateway.memory import release_free_memory

log = logging.getLogger(__name__)

_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class KbConfigError(Exception):
    """The KB file to import at start cannot be used (missing, unreadable, invalid)."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """What a process answers from: a version of Redis (None: the file, Redis being unreachable)."""

    version: int | None
    retriever: Retriever
    source: str


class LiveKnowledgeBase:
    def __init__(
        self,
        *,
        seed_path: Path,
        cache_dir: Path | None,
        threshold: float | None,
        interval_s: float,
    ) -> None:
        self._store: KbStore | None = None
        self._seed_path = seed_path
        self._cache_dir = cache_dir
        self._threshold = threshold
        self._interval_s = interval_s
        self._loaded: Loaded | None = None
        self._analyzer: Analyzer | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._failed_version: int | None = None
        self._unavailable = False

    @property
    def retriever(self) -> Retriever | None:
        loaded = self._loaded
        return loaded.retriever if loaded is not None else None

    @property
    def loaded(self) -> Loaded | None:
        return self._loaded

    @property
    def store(self) -> KbStore:
        if self._store is None:
            raise RuntimeError("the knowledge base is not started")
        return self._store

    async def start(self, store: KbStore) -> None:
        """Load the current KB (importing the seed file into an empty Redis), then poll."""
        self._store = store
        self._analyzer = await asyncio.to_thread(get_analyzer, self._cache_dir)
        try:
            await self.refresh()
        except _UNAVAILABLE as exc:
            log.warning("knowledge base: Redis unreachable at start (%s): answering from %s", exc, self._seed_path)
            entries = await asyncio.to_thread(self._seed_entries)
            retriever = await asyncio.to_thread(self._build, entries)
            self._loaded = Loaded(None, retriever, str(self._seed_path))
        self._task = asyncio.create_task(self._poll(), name="kb-reload")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def refresh(self) -> bool:
        """Load the current version if it is not the one loaded; True when a new one was loaded.
        Raises Redis's connection errors; a version that cannot be read is logged and skipped."""
        store = self.store
        async with self._lock:
            version = await store.current_version()
            if version is None:
                version = await self._seed()
            loaded = self._loaded
            if version is None or (loaded is not None and loaded.version == version):
                return False
            if version == self._failed_version:
                return False
            stored = await store.read(version)
            if stored is None:  # retired between our GETs: the next poll sees the newer pointer
                return False
            source = stored.source
            try:
                entries = await asyncio.to_thread(parse_entries, stored.data, "jsonl")
            except KbFormatError as exc:
                # Only an import validated it: someone wrote the key by hand. Keep answering.
                log.error("knowledge base version %s in Redis is unreadable (%s): keeping the loaded one", version, exc)
                self._failed_version = version
                return False
            del stored  # the file's bytes (~8 MB for 5,000 articles): not kept through the build
            retriever = await asyncio.to_thread(self._build, entries)
            self._loaded = Loaded(version, retriever, source)
            log.info(
                "knowledge base version %s loaded: %d entries, %d phrasings", version, len(entries), retriever.phrasings
            )
            # The old index is gone with the last reference to it (`loaded`), and the build's
            # temporary lists with the thread's frames: their pages go back to the system.
            del loaded, entries
            await asyncio.to_thread(release_free_memory)
            return True

    async def _seed(self) -> int | None:
        entries = await asyncio.to_thread(self._seed_entries)
        version = await self.store.publish(entries, source=str(self._seed_path), only_if_empty=True)
        if version is not None:
            log.info("knowledge base %s imported as version %s (%d entries)", self._seed_path, version, len(entries))
        return await self.store.current_version()

    def _seed_entries(self) -> list[KbEntry]:
        try:
            return load_entries(self._seed_path)
        except (OSError, ValueError, KbFormatError) as exc:
            raise KbConfigError(f"HOTLINE_KB_PATH {self._seed_path}: {exc}") from exc

    def _build(self, entries: list[KbEntry]) -> Retriever:
        return Retriever.build(entries, threshold=self._threshold, analyzer=self._analyzer)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.refresh()
                if self._unavailable:
                    log.info("knowledge base: Redis reachable again")
                    self._unavailable = False
            except _UNAVAILABLE as exc:
                if not self._unavailable:
                    log.warning("knowledge base: Redis unreachable (%s): answering from the KB loaded", exc)
                    self._unavailable = True
            except KbConfigError as exc:
                # Redis was emptied and the seed file is unusable: keep answering, say it once.
                if not self._unavailable:
                    log.error("knowledge base: %s", exc)
                    self._unavailable = True
            except Exception:
                log.exception("knowledge base reload failed; retrying in %.0f s", self._interval_s)
