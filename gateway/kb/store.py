"""The knowledge base in Redis: versions written whole, then made current in one transaction.

Keys (`queue_workers.redis_keys`): `kb:entries:{v}` holds version v as one JSONL document (the
canonical file format), `kb:meta:{v}` its count, source, import time and digest, and `kb:version`
the version every gateway answers from. Publishing a version

1. takes a new number (`INCR kb:next-version`: two imports never share one),
2. writes the entries and meta of that version, with a one-hour expiry (an import that dies here
   leaves nothing behind for long),
3. in one MULTI/EXEC guarded by WATCH on the pointer: points `kb:version` at it, makes its keys
   permanent, and gives the previous version's keys an hour to live (a gateway that read the old
   pointer a moment ago can still fetch its data).

So a reader sees the old version or the new one, whole, never a mix. `publish(only_if_empty=True)`
has SET NX semantics: when several gateways start on an empty Redis, one import wins and the
others leave the pointer alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import redis.exceptions

from gateway.kb.files import dump_entries
from gateway.kb.model import KbEntry
from queue_workers import redis_keys

if TYPE_CHECKING:
    from redis.asyncio import Redis

PENDING_TTL_S = 3600  # a version written but not (yet) current
RETIRED_TTL_S = 3600  # a version that was current, after the next one took over


@dataclass(frozen=True, slots=True)
class StoredVersion:
    version: int
    data: bytes  # JSONL
    entries: int
    source: str
    imported_at: str
    sha256: str


class KbStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def current_version(self) -> int | None:
        value = await self._redis.get(redis_keys.kb_version())
        return int(value) if value is not None else None

    async def read(self, version: int) -> StoredVersion | None:
        """Version `version`, or None when it is gone (retired long ago, or never completed)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(redis_keys.kb_entries(version))
            pipe.hgetall(redis_keys.kb_meta(version))
            data, meta = await pipe.execute()
        if data is None:
            return None
        fields = {_text(key): _text(value) for key, value in (meta or {}).items()}
        return StoredVersion(
            version=version,
            data=bytes(data) if not isinstance(data, str) else data.encode(),
            entries=int(fields.get("entries", "0")),
            source=fields.get("source", ""),
            imported_at=fields.get("imported_at", ""),
            sha256=fields.get("sha256", ""),
        )

    async def read_current(self) -> StoredVersion | None:
        version = await self.current_version()
        return await self.read(version) if version is not None else None

    async def publish(self, entries: list[KbEntry], *, source: str, only_if_empty: bool = False) -> int | None:
        """Store `entries` as a new version and make it current; its number. With
        `only_if_empty`, None (and nothing current changed) when a KB is already there."""
        version_key = redis_keys.kb_version()
        if only_if_empty and await self._redis.exists(version_key):
            return None
        data = dump_entries(entries, "jsonl")
        version = int(await self._redis.incr(redis_keys.kb_version_counter()))
        entries_key, meta_key = redis_keys.kb_entries(version), redis_keys.kb_meta(version)
        meta = {
            "entries": str(len(entries)),
            "source": source,
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(entries_key, data, ex=PENDING_TTL_S)
            pipe.delete(meta_key)
            for field, value in meta.items():
                pipe.hset(meta_key, field, value)
            pipe.expire(meta_key, PENDING_TTL_S)
            await pipe.execute()
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(version_key)
                    previous = await pipe.get(version_key)
                    if only_if_empty and previous is not None:
                        await pipe.reset()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                        await self._redis.delete(entries_key, meta_key)
                        return None
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(version_key, str(version))
                    pipe.persist(entries_key)
                    pipe.persist(meta_key)
                    if previous is not None and int(previous) != version:
                        pipe.expire(redis_keys.kb_entries(int(previous)), RETIRED_TTL_S)
                        pipe.expire(redis_keys.kb_meta(int(previous)), RETIRED_TTL_S)
                    await pipe.execute()
                    return version
                except redis.exceptions.WatchError:
                    continue  # another import moved the pointer meanwhile: decide again


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
