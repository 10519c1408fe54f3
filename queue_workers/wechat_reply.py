"""The RQ job `send_wechat_text`: a late reply to a WeChat citizen, as customer-service messages.

Enqueued by the gateway on the reply queue as `queue_workers.wechat_reply.send_wechat_text` with
`{"openid", "text", "ticket_no" (or null), "msg_id" (or null)}` (`WeChatText`), retried by RQ on
`HOTLINE_REPLY_RETRY_SCHEDULE`, when the outcome of a message missed WeChat's 5-second window.

- A text longer than one message may be (`MAX_TEXT_BYTES`) goes out as several, cut at sentence
  ends, in order. Each part is counted in Redis once WeChat has taken it, so a retry (or the same
  job enqueued again) sends only what is missing: a citizen never gets a part twice.
- 45015 (the 48-hour reply window has closed, or the citizen unsubscribed) and 45047 (the
  account's customer-service message limit for this citizen is reached) are answers, not
  accidents: the job fails at once (FailedJobRegistry, errcode and errmsg in
  `job.meta[FAILURE_META_KEY]`), and `redis_keys.wechat_reply_refusals()` counts them per errcode.
- An invalid or expired access token is renewed and the message sent again once (`WeChatApi`);
  any other WeChat error, an HTTP error and no answer at all are retried on the schedule.

Logs carry the ticket number, the errcode and the attempt, never the text or the openid (第七条).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Annotated, Any

import redis
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from rq import get_current_job

from domain.ticket_event import TICKET_NO_PATTERN
from queue_workers import context as worker_context
from queue_workers import redis_keys
from queue_workers.failures import (
    PermanentDeliveryError,
    TransientDeliveryError,
    current_job_id,
    dead_letter,
    retries_note,
    validation_problems,
)
from queue_workers.wechat_api import WeChatApiError, WeChatUnreachable

log = logging.getLogger(__name__)

SEND_WECHAT_TEXT = "queue_workers.wechat_reply.send_wechat_text"
# WeChat's limit on a text message's content, in UTF-8 bytes (longer ones are refused, 45002).
MAX_TEXT_BYTES = 2048
REFUSALS: dict[int, str] = {
    45015: "reply window closed or citizen unsubscribed",
    45047: "customer-service message limit reached",
}
# Longer than any retry schedule: the record that stops a part from being sent twice.
PROGRESS_TTL_S = 7 * 24 * 3600


class WeChatText(BaseModel):
    """The payload of `send_wechat_text`."""

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    openid: Annotated[str, Field(min_length=1, max_length=128)]
    text: Annotated[str, Field(min_length=1, max_length=20000)]
    ticket_no: Annotated[str, Field(pattern=TICKET_NO_PATTERN)] | None
    msg_id: Annotated[str, Field(min_length=1, max_length=128)] | None  # WeChat MsgId: a number or text

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is blank")
        return value


class InvalidWeChatText(PermanentDeliveryError):
    """The payload of `send_wechat_text` is not a `WeChatText`."""


class WeChatNotConfigured(PermanentDeliveryError):
    """The worker has no AppId/AppSecret: no reply can be sent until it is configured."""


class ReplyRefused(PermanentDeliveryError):
    """WeChat refused the message for a reason retrying cannot change (45015, 45047)."""


def send_wechat_text(message: dict[str, Any]) -> None:
    """Send `message["text"]` to `message["openid"]`, as as many messages as it takes."""
    reply = _validate(message)
    ticket = reply.ticket_no or "(none)"
    try:
        api = worker_context.current().wechat
    except worker_context.NotConfigured as exc:
        log.error("ticket %s: WeChat reply not sent: %s; not retried", ticket, exc)
        raise dead_letter(WeChatNotConfigured(str(exc))) from None

    parts = split_text(reply.text)
    progress = _Progress.begin()
    for index in range(progress.sent, len(parts)):
        try:
            api.send_text(reply.openid, parts[index])
        except WeChatApiError as exc:
            raise _failure(exc, ticket, progress.attempt, index, len(parts)) from None
        except WeChatUnreachable as exc:
            log.warning(
                "ticket %s: WeChat reply part %d/%d not sent on attempt %d: %s; %s",
                ticket,
                index + 1,
                len(parts),
                progress.attempt,
                exc,
                retries_note(),
            )
            raise TransientDeliveryError(str(exc)) from None
        progress.record_sent(index + 1)
    if progress.sent_before == len(parts):
        log.info("ticket %s: WeChat reply was sent before: not sent again", ticket)
        return
    log.info(
        "ticket %s: WeChat reply sent (%d message%s) on attempt %d",
        ticket,
        len(parts) - progress.sent_before,
        "" if len(parts) - progress.sent_before == 1 else "s",
        progress.attempt,
    )


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """`text` as messages of at most `limit` UTF-8 bytes, in order: cut after a sentence's end
    where one fits, else after a clause, else between characters. Whitespace at a cut is dropped."""
    parts: list[str] = []
    current = ""
    for piece in _pieces(text.strip(), limit, 0):
        if current and _size(current + piece) > limit:
            parts.append(current.rstrip())
            current = piece.lstrip()
        else:
            current += piece
    if current.strip():
        parts.append(current.rstrip())
    return [part for part in parts if part]


# Sentence ends (with closing quotes and brackets kept with their sentence), then clause ends.
_BOUNDARIES = (
    re.compile(r"(?:[。！？!?；;]|…+|\.(?=\s|$))+[」』”’\"'）)\]】]*\s*|\n+"),
    re.compile(r"[，、,：:]\s*|\s+"),
)


def _pieces(text: str, limit: int, level: int) -> Iterator[str]:
    """`text` cut at the boundaries of `level` (and finer ones where a piece is still too long)."""
    if _size(text) <= limit:
        yield text
        return
    if level == len(_BOUNDARIES):
        yield from _hard_cut(text, limit)
        return
    start = 0
    for match in _BOUNDARIES[level].finditer(text):
        if match.end() > start:
            yield from _pieces(text[start : match.end()], limit, level + 1)
            start = match.end()
    if start < len(text):
        yield from _pieces(text[start:], limit, level + 1)


def _hard_cut(text: str, limit: int) -> Iterator[str]:
    chunk: list[str] = []
    size = 0
    for char in text:
        width = _size(char)
        if size + width > limit and chunk:
            yield "".join(chunk)
            chunk, size = [], 0
        chunk.append(char)
        size += width
    if chunk:
        yield "".join(chunk)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _validate(message: object) -> WeChatText:
    try:
        return WeChatText.model_validate(message)
    except ValidationError as exc:
        log.error(
            "job %s: payload is not a valid WeChatText (%d problems); not retried",
            current_job_id() or "-",
            exc.error_count(),
        )
        raise dead_letter(InvalidWeChatText(f"payload is not a valid WeChatText: {validation_problems(exc)}")) from None


def _failure(
    exc: WeChatApiError, ticket: str, attempt: int, index: int, total: int
) -> PermanentDeliveryError | TransientDeliveryError:
    """The exception the job ends with, logged and (for a refusal) counted."""
    if exc.operation == "send" and exc.errcode in REFUSALS:
        _count_refusal(exc.errcode)
        log.warning(
            "ticket %s: WeChat refused reply part %d/%d: errcode %d (%s) on attempt %d; not retried",
            ticket,
            index + 1,
            total,
            exc.errcode,
            REFUSALS[exc.errcode],
            attempt,
        )
        return dead_letter(
            ReplyRefused(
                str(exc),
                status=exc.status,
                details={"errcode": exc.errcode, "errmsg": exc.errmsg, "attempt": attempt, "part": index + 1},
            )
        )
    log.warning(
        "ticket %s: WeChat reply part %d/%d not sent on attempt %d: %s %s; %s",
        ticket,
        index + 1,
        total,
        attempt,
        exc.operation,
        f"errcode {exc.errcode}" if exc.errcode is not None else f"HTTP {exc.status}",
        retries_note(),
    )
    return TransientDeliveryError(str(exc))


def _count_refusal(errcode: int) -> None:
    job = get_current_job()
    connection = job.connection if job is not None else None
    if connection is None:
        return
    try:
        connection.hincrby(redis_keys.wechat_reply_refusals(), str(errcode), 1)
    except redis.RedisError as exc:  # the refusal itself is kept with the failed job
        log.warning("WeChat refusal errcode %d not counted: %s", errcode, type(exc).__name__)


class _Progress:
    """Attempts and parts sent of the running job, in Redis (keyed by job id) so they outlast the
    attempt; without a job (a direct call) in memory only."""

    def __init__(self, connection: redis.Redis | None, key: str, attempt: int, sent: int) -> None:
        self._connection = connection
        self._key = key
        self.attempt = attempt
        self.sent = sent
        self.sent_before = sent

    @classmethod
    def begin(cls) -> _Progress:
        job = get_current_job()
        if job is None:
            return cls(None, "", 1, 0)
        key = redis_keys.wechat_reply_progress(job.id)
        with job.connection.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, "attempts", 1)
            pipe.hget(key, "sent")
            pipe.expire(key, PROGRESS_TTL_S)
            attempt, sent, _ = pipe.execute()
        return cls(job.connection, key, int(attempt), int(sent or 0))

    def record_sent(self, count: int) -> None:
        self.sent = count
        if self._connection is None:
            return
        try:
            self._connection.hset(self._key, "sent", count)
        except redis.RedisError as exc:
            # The part is out: failing the job now would make its retry send it again. Go on; only
            # a failure of a later part, retried, could repeat it.
            log.warning("progress of job %s not recorded: %s", current_job_id() or "-", type(exc).__name__)
