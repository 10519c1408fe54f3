"""The KB in Redis: imported once on first start, uploaded through `PUT /admin/kb`, and picked
up by every gateway process within seconds — a bad upload changes nothing."""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path
from typing import Any

import redis

from gateway import keys
from gateway.kb.files import dump_entries, load_entries
from gateway.kb.model import KbEntry
from gateway.kb.store import KbStore
from gateway.redis_clients import async_client, close_async
from queue_workers import redis_keys
from tests.conftest import GatewayStarter

SMALL_KB = Path(__file__).parents[1] / "data" / "kb_small.jsonl"
ADMIN = {"Authorization": "Bearer admin-token-for-tests"}
NEW_ENTRY = {
    "id": "t-lost-property",
    "question": "东西落在出租车上了怎么找回？",
    "similar": ["手机丢在的士上了", "打车把包忘车上了"],
    "answer": "联系出租车公司或拨打12328，提供乘车时间、上下车地点和车牌号。",
    "domain": "urban_transit",
    "tags": ["失物"],
}


def _new_version(extra: dict[str, Any] = NEW_ENTRY) -> bytes:
    lines = SMALL_KB.read_text(encoding="utf-8").splitlines()
    return ("\n".join([*lines, json.dumps(extra, ensure_ascii=False)]) + "\n").encode()


def _ask(app_client: Any, text: str) -> str | None:
    retriever = app_client.server.app[keys.KB].retriever
    assert retriever is not None
    match = retriever.ask(text)
    return match.kb_id if match else None


async def test_an_upload_on_one_gateway_is_answered_from_by_another_within_seconds(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    settings = make_settings(kb_path=SMALL_KB, kb_reload_interval_s=0.2)
    first, second = await start_gateway(settings), await start_gateway(settings)
    assert redis_client.get(redis_keys.kb_version()) == b"1"  # the two starts imported once
    question = "手机丢在计程车上了怎么办"
    assert _ask(second, question) is None

    jsonl = {**ADMIN, "Content-Type": "application/x-ndjson"}
    response = await first.put("/admin/kb", data=_new_version(), headers=jsonl)
    assert response.status == 200, await response.text()
    assert await response.json() == {"version": 2, "entries": 13}
    assert _ask(first, question) == "t-lost-property"  # the uploading process, before it replied

    started = time.monotonic()
    while _ask(second, question) is None:
        assert time.monotonic() - started < 5, "the other gateway did not pick the new version up"
        await asyncio.sleep(0.05)
    assert second.server.app[keys.KB].loaded.version == 2
    # The previous version is retired (it expires), the new one is permanent.
    assert redis_client.ttl(redis_keys.kb_entries(1)) > 0
    assert redis_client.ttl(redis_keys.kb_entries(2)) == -1


async def test_a_bad_upload_is_refused_with_its_line_and_changes_nothing(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB))
    duplicate = _new_version({**NEW_ENTRY, "id": "t-etc"})
    response = await client.put("/admin/kb", data=duplicate, headers={**ADMIN, "Content-Type": "application/x-ndjson"})
    assert response.status == 422
    body = await response.json()
    assert body["error"] == "invalid_kb"
    assert body["line"] == 13
    assert "duplicate id 't-etc' (lines 6 and 13)" in body["message"]

    csv_missing_answer = "id,question,answer\nx,出租车拒载怎么投诉,\n".encode()
    response = await client.put("/admin/kb", data=csv_missing_answer, headers={**ADMIN, "Content-Type": "text/csv"})
    assert (response.status, (await response.json())["line"]) == (422, 2)

    response = await client.put("/admin/kb", data=b"x", headers={**ADMIN, "Content-Type": "application/pdf"})
    assert response.status == 415
    response = await client.put("/admin/kb", data=_new_version(), headers={"Content-Type": "application/x-ndjson"})
    assert response.status == 401
    too_big = io.BytesIO(b" " * (10 * 1024 * 1024 + 1))
    response = await client.put("/admin/kb", data=too_big, headers={**ADMIN, "Content-Type": "application/x-ndjson"})
    assert response.status == 413

    assert redis_client.get(redis_keys.kb_version()) == b"1"
    assert redis_client.get(redis_keys.kb_version_counter()) == b"1"


async def test_yaml_uploads_and_the_stats_endpoint(make_settings: Any, start_gateway: GatewayStarter) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB))
    entries = [*load_entries(SMALL_KB), KbEntry.model_validate(NEW_ENTRY)]
    response = await client.put(
        "/admin/kb", data=dump_entries(entries, "yaml"), headers={**ADMIN, "Content-Type": "application/yaml"}
    )
    assert response.status == 200, await response.text()
    response = await client.get("/admin/kb", headers=ADMIN)
    assert response.status == 200
    stats = await response.json()
    assert stats["version"] == stats["loaded_version"] == 2
    assert (stats["entries"], stats["phrasings"]) == (13, 39)
    assert stats["domains"]["urban_transit"] == 4
    assert stats["domains"]["none"] == 2
    assert stats["tags"]["出租车"] == 2
    assert stats["source"] == "PUT /admin/kb (yaml)"
    assert (await client.get("/admin/kb")).status == 401


async def test_concurrent_first_imports_make_one_version(redis_url: str, redis_client: redis.Redis) -> None:
    entries = load_entries(SMALL_KB)
    clients = [async_client(redis_url) for _ in range(5)]
    try:
        versions = await asyncio.gather(
            *(KbStore(client).publish(entries, source="test", only_if_empty=True) for client in clients)
        )
        assert sorted(versions, key=lambda v: v or 0)[-1] is not None
        assert sum(1 for version in versions if version is not None) == 1
        (winner,) = [version for version in versions if version is not None]
        assert redis_client.get(redis_keys.kb_version()) == str(winner).encode()
        # The losers' writes are gone; only the winner's version is left.
        assert {key.decode() for key in redis_client.keys("hotline:kb:entries:*")} == {redis_keys.kb_entries(winner)}
        assert await KbStore(clients[0]).publish(entries, source="test", only_if_empty=True) is None
        again = await KbStore(clients[0]).publish(entries, source="test")
        assert again is not None
        assert again > winner
    finally:
        for client in clients:
            await close_async(client)


async def test_redis_emptied_under_a_running_gateway_gets_the_kb_back(
    make_settings: Any, start_gateway: GatewayStarter, redis_client: redis.Redis
) -> None:
    client = await start_gateway(make_settings(kb_path=SMALL_KB, kb_reload_interval_s=0.2))
    redis_client.flushdb()
    started = time.monotonic()
    while redis_client.get(redis_keys.kb_version()) is None:
        assert time.monotonic() - started < 5
        await asyncio.sleep(0.05)
    assert _ask(client, "的士拒载去哪投诉") == "t-taxi-refusal"
