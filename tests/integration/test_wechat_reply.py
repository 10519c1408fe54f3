"""Late replies to WeChat citizens: `send_wechat_text` jobs run by `run_worker` in burst mode on a
real Redis, against a real HTTP server standing in for the WeChat API (tests/fake_wechat_api.py)."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue, Retry
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from queue_workers import redis_keys
from queue_workers.failures import FAILURE_META_KEY
from queue_workers.settings import FORWARD_QUEUE, REPLY_QUEUE, WorkerSettings
from queue_workers.wechat_reply import MAX_TEXT_BYTES, SEND_WECHAT_TEXT, split_text
from queue_workers.worker import run_worker
from tests.conftest import WECHAT_APP_ID, WECHAT_APP_SECRET
from tests.event_factory import make_event
from tests.fake_wechat_api import FakeWeChatApi, Reply

OPENID = "oHOTLINEcitizen0000openid42"
TEXT = "您反映的出租车拒载问题已转交广州市交通运输局处理，工单号12328-20261128-000001。"
TICKET_NO = "12328-20261128-000001"
# Twelve sentences of about 600 bytes each: more than three messages' worth.
LONG_TEXT = "".join(f"第{n}段：" + "关于出租车拒载的调查处理情况说明" * 12 + "。" for n in range(1, 13))


@pytest.fixture(autouse=True)
def nothing_personal_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """第七条: whatever happens below, no log line carries the openid, the text or a secret."""
    caplog.set_level(logging.DEBUG, logger="queue_workers")
    caplog.set_level(logging.INFO)
    yield
    # The fake API's own access log (aiohttp.access) is WeChat's side: its URLs carry the secret.
    records = [r for r in caplog.get_records("call") if r.name != "aiohttp.access"]
    assert any(r.name.startswith("queue_workers.") for r in records)
    logged = "\n".join(logging.Formatter().format(record) for record in records)
    for secret in (
        OPENID,
        TEXT[:12],
        LONG_TEXT[:12],
        "关于出租车拒载的调查",
        WECHAT_APP_SECRET,
        "ACCESS_TOKEN_",
    ):
        assert secret not in logged


def _settings(tmp_path: Path, redis_url: str, api: FakeWeChatApi | None, **overrides: Any) -> WorkerSettings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "data_dir": tmp_path / "var",
        "reply_retry_schedule": [0, 0, 0],
        "wechat_api_timeout_s": 2.0,
    }
    if api is not None:
        values.update(wechat_app_id=WECHAT_APP_ID, wechat_app_secret=WECHAT_APP_SECRET, wechat_api_url=api.url)
    values.update(overrides)
    return WorkerSettings(_env_file=None, **values)


def _enqueue(
    redis_client: redis.Redis,
    settings: WorkerSettings,
    *,
    text: str = TEXT,
    openid: str = OPENID,
    job_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> str:
    """A reply job as the gateway writes it (gateway/enqueue.py: JSON, job id, Retry, result_ttl=0)."""
    job_id = job_id or f"wechat-reply-{uuid.uuid4()}"
    schedule = settings.reply_retry_schedule
    Queue(REPLY_QUEUE, connection=redis_client, serializer=JSONSerializer).enqueue(
        SEND_WECHAT_TEXT,
        payload if payload is not None else {"openid": openid, "text": text, "ticket_no": TICKET_NO, "msg_id": None},
        job_id=job_id,
        retry=Retry(max=len(schedule), interval=list(schedule)) if schedule else None,
        result_ttl=0,
        failure_ttl=3600,
        description="wechat reply",
    )
    return job_id


async def _drain(settings: WorkerSettings) -> bool:
    """One worker in burst mode, on a thread: the fake API shares this event loop."""
    return await asyncio.to_thread(run_worker, settings, burst=True, with_scheduler=False)


def _failed(redis_client: redis.Redis) -> FailedJobRegistry:
    return FailedJobRegistry(REPLY_QUEUE, connection=redis_client, serializer=JSONSerializer)


def _failure(redis_client: redis.Redis, job_id: str) -> tuple[Job, str]:
    job = Job.fetch(job_id, connection=redis_client, serializer=JSONSerializer)
    result = job.latest_result()
    assert result is not None
    return job, result.exc_string or ""


def _assert_queue_empty(redis_client: redis.Redis) -> None:
    queue = Queue(REPLY_QUEUE, connection=redis_client, serializer=JSONSerializer)
    assert queue.count == 0
    assert queue.scheduled_job_registry.count == 0


async def test_a_late_reply_reaches_the_citizen(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    job_id = _enqueue(redis_client, settings)

    assert await _drain(settings) is True

    (sent,) = wechat_api.received
    assert sent.delivered
    assert sent.payload == {"touser": OPENID, "msgtype": "text", "text": {"content": TEXT}}
    assert sent.access_token == wechat_api.tokens[0]
    # The token is shared through Redis, under the project's prefix, a little shorter-lived than WeChat's.
    stored = redis_client.get(redis_keys.wechat_access_token(WECHAT_APP_ID))
    assert stored == f'"{wechat_api.tokens[0]}"'.encode()
    assert 7200 - 300 - 60 < redis_client.ttl(redis_keys.wechat_access_token(WECHAT_APP_ID)) <= 7200 - 300
    assert redis_client.hgetall(redis_keys.wechat_reply_progress(job_id)) == {
        b"attempts": b"1",
        b"sent": b"1",
    }
    assert _failed(redis_client).count == 0
    _assert_queue_empty(redis_client)


async def test_the_token_is_fetched_once_for_all_sends_and_workers(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    for n in range(3):
        _enqueue(redis_client, settings, text=f"{TEXT}（{n}）")
    await _drain(settings)
    for n in range(3, 5):  # a second worker run: a new process context, a new WeChat client
        _enqueue(redis_client, settings, text=f"{TEXT}（{n}）")
    await _drain(settings)

    assert wechat_api.token_calls == 1
    assert [sent.text for sent in wechat_api.delivered] == [f"{TEXT}（{n}）" for n in range(5)]
    assert {sent.access_token for sent in wechat_api.received} == {wechat_api.tokens[0]}


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
async def test_a_refused_token_is_renewed_and_the_message_sent_again_once(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi, errcode: int
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    wechat_api.answer(errcode)
    job_id = _enqueue(redis_client, settings)

    await _drain(settings)

    assert wechat_api.token_calls == 2
    assert [(sent.access_token, sent.errcode) for sent in wechat_api.received] == [
        (wechat_api.tokens[0], errcode),
        (wechat_api.tokens[1], 0),
    ]
    assert redis_client.get(redis_keys.wechat_access_token(WECHAT_APP_ID)) == f'"{wechat_api.tokens[1]}"'.encode()
    # One attempt of the job: the renewal is not a retry of the schedule.
    assert redis_client.hget(redis_keys.wechat_reply_progress(job_id), "attempts") == b"1"
    assert _failed(redis_client).count == 0


async def test_a_token_expired_in_redis_is_renewed_by_the_next_worker(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    _enqueue(redis_client, settings)
    await _drain(settings)
    wechat_api.expire_tokens()  # two hours later, while Redis still holds the token
    _enqueue(redis_client, settings)
    await _drain(settings)

    assert wechat_api.token_calls == 2
    assert [sent.errcode for sent in wechat_api.received] == [0, 42001, 0]
    assert len(wechat_api.delivered) == 2


async def test_a_token_refused_twice_is_not_renewed_in_a_loop(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    wechat_api.answer(40001, 40001)
    job_id = _enqueue(redis_client, settings)

    await _drain(settings)

    # Attempt 1: sent, renewed, sent again, refused again: given up. Attempt 2 (the schedule): sent.
    assert [sent.errcode for sent in wechat_api.received] == [40001, 40001, 0]
    assert wechat_api.token_calls == 2
    assert redis_client.hget(redis_keys.wechat_reply_progress(job_id), "attempts") == b"2"
    assert _failed(redis_client).count == 0


@pytest.mark.parametrize("errcode", [45015, 45047])
async def test_a_refusal_fails_the_job_at_once_and_is_counted(
    tmp_path: Path,
    redis_url: str,
    redis_client: redis.Redis,
    wechat_api: FakeWeChatApi,
    caplog: pytest.LogCaptureFixture,
    errcode: int,
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    wechat_api.answer(errcode, errcode)
    first = _enqueue(redis_client, settings)
    second = _enqueue(redis_client, settings)

    await _drain(settings)

    assert len(wechat_api.received) == 2  # one attempt each: the schedule [0, 0, 0] was not used
    assert sorted(_failed(redis_client).get_job_ids()) == sorted([first, second])
    job, failure_text = _failure(redis_client, first)
    assert job.retries_left == 0
    assert f"ReplyRefused: WeChat send failed: errcode {errcode}" in failure_text
    failure = job.meta[FAILURE_META_KEY]
    assert failure["errcode"] == errcode
    assert failure["errmsg"].startswith(
        {45015: "response out of time limit", 45047: "out of response count limit"}[errcode]
    )
    assert failure["attempt"] == 1
    assert job.args[0]["openid"] == OPENID  # kept for an operator, who may requeue it
    assert redis_client.hgetall(redis_keys.wechat_reply_refusals()) == {str(errcode).encode(): b"2"}
    refused = [r.getMessage() for r in caplog.records if "WeChat refused" in r.getMessage()]
    assert len(refused) == 2
    assert all(TICKET_NO in line and f"errcode {errcode}" in line and "attempt 1" in line for line in refused)
    _assert_queue_empty(redis_client)


@pytest.mark.parametrize("trouble", [Reply(errcode=-1), Reply(status=500)], ids=["system-busy", "http-500"])
async def test_busy_or_broken_wechat_is_retried_then_delivered(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi, trouble: Reply
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    wechat_api.answer(trouble, trouble)
    job_id = _enqueue(redis_client, settings)

    await _drain(settings)

    assert len(wechat_api.received) == 3
    assert [sent.delivered for sent in wechat_api.received] == [False, False, True]
    assert wechat_api.delivered[0].text == TEXT
    assert wechat_api.token_calls == 1  # not a token problem: no renewal
    assert redis_client.hget(redis_keys.wechat_reply_progress(job_id), "attempts") == b"3"
    assert _failed(redis_client).count == 0
    assert not redis_client.exists(redis_keys.wechat_reply_refusals())
    _assert_queue_empty(redis_client)


async def test_errors_that_outlast_the_schedule_end_in_the_failed_registry(
    tmp_path: Path,
    redis_url: str,
    redis_client: redis.Redis,
    wechat_api: FakeWeChatApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api, reply_retry_schedule=[0, 0])
    wechat_api.answer(-1, -1, -1)
    job_id = _enqueue(redis_client, settings)

    await _drain(settings)

    assert len(wechat_api.received) == 3
    assert _failed(redis_client).get_job_ids() == [job_id]
    _, failure_text = _failure(redis_client, job_id)
    assert "TransientDeliveryError: WeChat send failed: errcode -1" in failure_text
    notes = [r.getMessage().rsplit("; ", 1)[1] for r in caplog.records if "not sent on attempt" in r.getMessage()]
    assert notes == ["2 retries left", "1 retries left", "no retries left"]
    assert not redis_client.exists(redis_keys.wechat_reply_refusals())


async def test_a_long_text_goes_out_as_several_messages_in_order(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    _enqueue(redis_client, settings, text=LONG_TEXT)

    await _drain(settings)

    texts = [sent.text for sent in wechat_api.delivered]
    assert len(texts) >= 4
    assert texts == split_text(LONG_TEXT)
    assert "".join(texts) == LONG_TEXT
    assert all(len(text.encode()) <= MAX_TEXT_BYTES for text in texts)
    assert all(text.endswith("。") for text in texts)  # cut at sentence ends only
    assert all(sent.openid == OPENID for sent in wechat_api.delivered)


async def test_a_retry_sends_only_the_parts_not_yet_sent(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    parts = split_text(LONG_TEXT)
    wechat_api.answer(0, -1)  # the first part goes out, the second meets a busy WeChat
    job_id = _enqueue(redis_client, settings, text=LONG_TEXT)

    await _drain(settings)

    assert [sent.text for sent in wechat_api.delivered] == parts  # each once, in order
    assert len(wechat_api.received) == len(parts) + 1
    progress = redis_client.hgetall(redis_keys.wechat_reply_progress(job_id))
    assert progress == {b"attempts": b"2", b"sent": str(len(parts)).encode()}


async def test_the_same_job_enqueued_again_is_not_sent_twice(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    job_id = _enqueue(redis_client, settings)
    _enqueue(redis_client, settings, job_id=job_id)  # before the first ran
    await _drain(settings)
    _enqueue(redis_client, settings, job_id=job_id)  # after it ran (its job is gone: result_ttl=0)
    await _drain(settings)

    assert len(wechat_api.received) == 1
    assert _failed(redis_client).count == 0


async def test_without_wechat_settings_the_job_fails_naming_them(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi
) -> None:
    settings = _settings(tmp_path, redis_url, None)
    job_id = _enqueue(redis_client, settings)

    await _drain(settings)

    assert wechat_api.received == []
    assert wechat_api.token_calls == 0
    assert _failed(redis_client).get_job_ids() == [job_id]
    job, failure_text = _failure(redis_client, job_id)
    assert job.retries_left == 0
    assert "WeChatNotConfigured" in failure_text
    assert "HOTLINE_WECHAT_APP_ID" in failure_text
    assert "HOTLINE_WECHAT_APP_SECRET" in failure_text


async def test_a_payload_that_is_no_reply_fails_at_once_without_quoting_it(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, wechat_api: FakeWeChatApi
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    job_id = _enqueue(
        redis_client,
        settings,
        payload={"openid": OPENID, "text": TEXT, "ticket_no": "13800138000", "msg_id": None, "extra": 1},
    )

    await _drain(settings)

    assert wechat_api.received == []
    assert _failed(redis_client).get_job_ids() == [job_id]
    _, failure_text = _failure(redis_client, job_id)
    assert "InvalidWeChatText: payload is not a valid WeChatText" in failure_text
    assert "ticket_no" in failure_text
    assert "extra" in failure_text
    assert "13800138000" not in failure_text


async def test_unreachable_wechat_is_retried_and_the_secret_never_shown(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = _settings(
        tmp_path,
        redis_url,
        None,
        wechat_app_id=WECHAT_APP_ID,
        wechat_app_secret=WECHAT_APP_SECRET,
        wechat_api_url=f"http://127.0.0.1:{port}",
        reply_retry_schedule=[0],
    )
    job_id = _enqueue(redis_client, settings)

    await _drain(settings)

    assert _failed(redis_client).get_job_ids() == [job_id]
    _, failure_text = _failure(redis_client, job_id)
    assert "TransientDeliveryError: WeChat token: no answer (ConnectionError)" in failure_text
    assert WECHAT_APP_SECRET not in failure_text


async def test_forwarding_goes_before_replies(
    tmp_path: Path,
    redis_url: str,
    redis_client: redis.Redis,
    wechat_api: FakeWeChatApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = _settings(tmp_path, redis_url, wechat_api)
    _enqueue(redis_client, settings)  # enqueued first, run second
    event = make_event(1)
    Queue(FORWARD_QUEUE, connection=redis_client, serializer=JSONSerializer).enqueue(
        "queue_workers.forward.forward_ticket", event.to_json_dict(), job_id=str(event.event_id), result_ttl=0
    )

    await _drain(settings)

    done = [
        r.getMessage()
        for r in caplog.records
        if "local ticket store" in r.getMessage() or "WeChat reply sent" in r.getMessage()
    ]
    assert len(done) == 2
    assert "local ticket store" in done[0]
    assert "WeChat reply sent" in done[1]
    assert len(wechat_api.delivered) == 1
