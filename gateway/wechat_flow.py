"""The WeChat conversation: what a message does, and the 5-second window.

WeChat waits 5 seconds for a passive reply and then retries (three times). A message is handled
within a budget (`HOTLINE_WECHAT_REPLY_BUDGET_S`); whatever is not ready by then is answered
`success` and its outcome goes out later through the customer-service API (an RQ job on the
reply queue). Retries are deduplicated by MsgId (events by FromUserName+CreateTime) and get the
first outcome, or `success` when it goes out late.

How citizens write (several messages for one complaint):
- a text (or a voice note, or a link) opens a ticket; photos, voice, video and locations sent in the
  media window after it join that ticket as supplements;
- photos and locations sent before any text wait for the text and are attached to its ticket;
- the location a phone reports (LOCATION event) is remembered for the next ticket;
- a `needs_info` ticket is held: the citizen is asked for the missing facts, their next text is
  merged into the same ticket, and when the conversation times out it is forwarded as it is with
  `missing_facts`, so an operator can call back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime

import redis.exceptions
from aiohttp import web
from redis.asyncio import Redis as AsyncRedis

from channels.base import Inbound, RateLimited
from channels.wechat import WeChatChannel, WeChatRequest, split_passive
from channels.wechat_model import WeChatMessage
from domain import Attachment, DecisionKind, Intake, IntakeReply, Location, SupplementKind, TicketEvent, fact_label
from gateway import wechat_texts as texts
from gateway.enqueue import JobSpec, KeyWrite, ListPush, Writes
from gateway.pipeline import IntakePipeline, ServiceUnavailable, StillInProgress
from gateway.settings import Settings
from gateway.state import DedupeStore, SenderLimits
from queue_workers import redis_keys
from queue_workers.metrics import WECHAT_LATE_REPLIES
from queue_workers.settings import REPLY_QUEUE

log = logging.getLogger(__name__)

_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

SEND_TEXT_FUNC = "queue_workers.wechat_reply.send_wechat_text"
TICKET_MESSAGES = {"text", "link"}
MEDIA_MESSAGES = {"image", "voice", "video", "shortvideo", "location"}
RECENT_TICKETS_KEPT = 5
RECENT_TICKETS_TTL_S = 90 * 24 * 3600
LATE_FLAG_TTL_S = 3600
# The held ticket's delivery fires when the conversation ends; its state expires a little before
# (a tenth, at most 10 s), so an answer is never merged into a ticket that is already on its way.
MAX_CONVERSATION_MARGIN_S = 10
# Outcomes that could be stored neither in Redis nor in the spool are retried in the background
# this long after the citizen was answered `success`.
LATE_RETRY_DELAYS_S = (1, 2, 5, 10, 30, 60, 120, 300)


@dataclass(frozen=True, slots=True)
class _CitizenState:
    conversation: bytes | None  # a held TicketEvent (JSON) waiting for the missing facts
    recent_ticket: bytes | None  # the ticket follow-up media joins
    pending_media: list[bytes]  # photos/locations sent before any text, newest first
    reported_location: bytes | None  # the last LOCATION event


@dataclass(frozen=True, slots=True)
class Outcome:
    text: str
    ticket_no: str | None = None
    owner: bool = True  # False: a retry of a message another request handled


class WeChatFlow:
    def __init__(
        self,
        *,
        channel: WeChatChannel,
        pipeline: IntakePipeline,
        redis: AsyncRedis,
        settings: Settings,
        limits: SenderLimits,
    ) -> None:
        self._channel = channel
        self._pipeline = pipeline
        self._redis = redis
        self._events = DedupeStore(redis)
        self._settings = settings
        self._limits = limits
        self._late: set[asyncio.Task[None]] = set()

    async def handle(self, native: WeChatRequest, inbound: Inbound) -> web.StreamResponse:
        message = native.message
        if message.msg_type == "event":
            text = await self._event(message)
            return self._channel.text_reply(native, text) if text else self._channel.success_reply()
        try:
            await self._limits.check("wechat", message.from_user)
        except RateLimited as exc:
            # WeChat's server would only retry a 429: the citizen is told instead.
            return self._channel.text_reply(native, texts.TOO_FREQUENT.format(minutes=max(1, exc.retry_after_s // 60)))
        work = asyncio.ensure_future(self._message(native, inbound))
        done, _ = await asyncio.wait({work}, timeout=self._settings.wechat_reply_budget_s)
        if work in done:
            return await self._answer(native, work.result())
        # Out of time: the flag first, so a retry that finds the outcome ready stays silent too.
        with contextlib.suppress(*_REDIS_DOWN):  # without Redis a retry is answered twice, at worst
            await self._redis.set(redis_keys.wechat_late(message.dedupe_key), b"1", ex=LATE_FLAG_TTL_S)
        task = asyncio.create_task(self._finish_late(native, inbound, work))
        self._late.add(task)
        task.add_done_callback(self._late.discard)
        log.info(
            "wechat message %s answered late (over %.1f s)",
            message.msg_id,
            self._settings.wechat_reply_budget_s,
        )
        return self._channel.success_reply()

    async def drain(self, timeout_s: float) -> None:
        """Let outcomes that are still being worked out go out (on shutdown)."""
        if self._late:
            await asyncio.wait(set(self._late), timeout=timeout_s)

    # -- replies ------------------------------------------------------------------------------

    async def _answer(self, native: WeChatRequest, outcome: Outcome) -> web.StreamResponse:
        message = native.message
        if not outcome.owner and await self._answered_late(message):
            return self._channel.success_reply()  # the outcome goes out through the API once
        head, rest = split_passive(outcome.text)
        if rest and outcome.owner:
            await self._pipeline.write(Writes(jobs=(self._send_job(message, rest, outcome.ticket_no, "rest"),)))
        return self._channel.text_reply(native, head)

    async def _answered_late(self, message: WeChatMessage) -> bool:
        try:
            return bool(await self._redis.exists(redis_keys.wechat_late(message.dedupe_key)))
        except _REDIS_DOWN:
            return False

    async def _finish_late(self, native: WeChatRequest, inbound: Inbound, work: asyncio.Future[Outcome]) -> None:
        message = native.message
        outcome: Outcome | None
        try:
            outcome = await work
        except ServiceUnavailable:
            outcome = await self._retry_in_background(native, inbound)
        except StillInProgress:
            return  # a retry whose first delivery is still being handled: that one answers
        except Exception:
            # Nothing else is expected; logged here because no request awaits this task any more.
            log.exception("wechat message %s: the late outcome failed", message.msg_id)
            return
        if outcome is None or not outcome.owner:
            return
        try:
            await self._pipeline.write(Writes(jobs=(self._send_job(message, outcome.text, outcome.ticket_no, "late"),)))
            WECHAT_LATE_REPLIES.inc()
        except ServiceUnavailable:
            # The ticket is safe (stored before this); only the citizen's notice is lost.
            log.error("ticket %s: the late reply could be queued nowhere", outcome.ticket_no)

    async def _retry_in_background(self, native: WeChatRequest, inbound: Inbound) -> Outcome | None:
        for delay in LATE_RETRY_DELAYS_S:
            await asyncio.sleep(delay)
            try:
                return await self._message(native, inbound)
            except ServiceUnavailable:
                continue
        log.error("wechat message %s answered `success` but never stored: Redis unavailable", native.message.msg_id)
        return None

    def _send_job(self, message: WeChatMessage, text: str, ticket_no: str | None, part: str) -> JobSpec:
        return JobSpec(
            queue=REPLY_QUEUE,
            func=SEND_TEXT_FUNC,
            payload={
                "openid": message.from_user,
                "text": text,
                "ticket_no": ticket_no,
                "msg_id": message.msg_id,
            },
            job_id=f"wechat-reply-{message.dedupe_key}-{part}",
            description=f"wechat reply {ticket_no or '-'} ({part})",
            retry_schedule=tuple(self._settings.reply_retry_schedule),
        )

    # -- messages -----------------------------------------------------------------------------

    async def _message(self, native: WeChatRequest, inbound: Inbound) -> Outcome:
        message = native.message
        if message.msg_type not in TICKET_MESSAGES | MEDIA_MESSAGES:
            return Outcome(texts.UNSUPPORTED)
        state = await self._citizen(message.from_user)
        if message.msg_type in TICKET_MESSAGES:
            held = TicketEvent.model_validate_json(state.conversation) if state.conversation else None
            # A retry of the message that opened the conversation gets its question again.
            if held is not None and held.idempotency_key != message.dedupe_key:
                return await self._amend(held, native, inbound)
            return await self._new_ticket(native, inbound, state)
        if state.recent_ticket is not None:
            return await self._join(_text(state.recent_ticket), native, inbound)
        if message.msg_type == "voice":
            return await self._new_ticket(native, inbound, state)  # a voice note is a complaint of its own
        return await self._hold_media(native, inbound)

    async def _citizen(self, openid: str) -> _CitizenState:
        """Everything the flow knows about this citizen, in one round trip. While Redis is away,
        nothing: the message is taken on its own (a new ticket, spooled) rather than lost."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(redis_keys.wechat_conversation(openid))
                pipe.get(redis_keys.wechat_recent_ticket(openid))
                pipe.lrange(redis_keys.wechat_pending_media(openid), 0, -1)
                pipe.get(redis_keys.wechat_location(openid))
                conversation, recent, pending, location = await pipe.execute()
        except _REDIS_DOWN:
            log.warning("wechat: the citizen's conversation is unknown (Redis unavailable)")
            return _CitizenState(None, None, [], None)
        return _CitizenState(conversation, recent, list(pending), location)

    async def _new_ticket(self, native: WeChatRequest, inbound: Inbound, state: _CitizenState) -> Outcome:
        openid = native.message.from_user
        intake = _with_waiting_media(self._channel.normalize(native, inbound), state)
        conversation_s = self._settings.wechat_conversation_ttl_s

        def extra(event: TicketEvent, reply: IntakeReply) -> Writes:
            keys = [
                KeyWrite(
                    redis_keys.wechat_recent_ticket(openid),
                    event.ticket_no.encode(),
                    self._settings.wechat_media_window_s,
                )
            ]
            if event.decision is DecisionKind.NEEDS_INFO:
                keys.append(
                    KeyWrite(
                        redis_keys.wechat_conversation(openid),
                        event.model_dump_json(by_alias=True).encode(),
                        _conversation_state_ttl(conversation_s),
                    )
                )
            entry = json.dumps({"ticket_no": event.ticket_no, "received_at": event.received_at.isoformat()})
            return Writes(
                keys=tuple(keys),
                deletes=(redis_keys.wechat_pending_media(openid), redis_keys.wechat_location(openid)),
                pushes=(
                    ListPush(
                        redis_keys.wechat_tickets(openid),
                        entry.encode(),
                        RECENT_TICKETS_KEPT,
                        RECENT_TICKETS_TTL_S,
                    ),
                ),
            )

        reply = await self._pipeline.submit(intake, extra=extra, hold_needs_info_s=conversation_s)
        return self._outcome(reply, asking=True)

    async def _amend(self, held: TicketEvent, native: WeChatRequest, inbound: Inbound) -> Outcome:
        openid = native.message.from_user
        answer = self._channel.normalize(native, inbound)
        reply = await self._pipeline.amend(
            held,
            answer,
            extra=Writes(
                keys=(
                    KeyWrite(
                        redis_keys.wechat_recent_ticket(openid),
                        held.ticket_no.encode(),
                        self._settings.wechat_media_window_s,
                    ),
                ),
                deletes=(redis_keys.wechat_conversation(openid),),
            ),
        )
        return self._outcome(reply, asking=False)

    async def _join(self, ticket_no: str, native: WeChatRequest, inbound: Inbound) -> Outcome:
        message = native.message
        kind: SupplementKind = "location" if message.msg_type == "location" else "media"
        what = texts.MEDIA_NAMES.get(message.msg_type, "内容")
        reply = await self._pipeline.supplement(
            self._channel.normalize(native, inbound),
            ticket_no=ticket_no,
            kind=kind,
            message=texts.MEDIA_JOINED.format(what=what, ticket_no=ticket_no),
        )
        return self._outcome(reply)

    async def _hold_media(self, native: WeChatRequest, inbound: Inbound) -> Outcome:
        """Photos or a location before any text: kept for the text that opens the ticket."""
        message = native.message
        intake = self._channel.normalize(native, inbound)
        entry = json.dumps(
            {
                "msg_id": message.dedupe_key,
                "attachments": [a.model_dump(mode="json") for a in intake.content.attachments],
                "location": intake.content.location.model_dump(mode="json") if intake.content.location else None,
            }
        )
        await self._pipeline.write(
            Writes(
                pushes=(
                    ListPush(
                        redis_keys.wechat_pending_media(message.from_user),
                        entry.encode(),
                        keep=20,
                        ttl_s=self._settings.wechat_conversation_ttl_s,
                    ),
                )
            )
        )
        return Outcome(texts.MEDIA_FIRST)

    def _outcome(self, reply: IntakeReply, *, asking: bool = False) -> Outcome:
        """`asking`: a new ticket, whose question for missing facts the citizen may still answer;
        after the one answer the conversation is over and an operator follows up."""
        text = reply.message
        if reply.decision is DecisionKind.NEEDS_INFO:
            if asking:
                text += texts.ANSWER_WINDOW.format(minutes=self._settings.wechat_conversation_ttl_s // 60)
            else:
                missing = "、".join(map(fact_label, reply.missing_facts))
                text = texts.STILL_MISSING.format(ticket_no=reply.ticket_no, missing=missing)
        return Outcome(text, reply.ticket_no, owner=not reply.duplicate)

    # -- events -------------------------------------------------------------------------------

    async def _event(self, message: WeChatMessage) -> str | None:
        """The reply to an event, the same for WeChat's retries of it (None: no reply)."""
        key = redis_keys.dedupe("wechat", message.dedupe_key)
        token = await self._events.claim(key)
        if token is None:
            stored = await self._events.finished(key)
            if stored is not None:
                return stored.decode() or None
        text = await self._event_reply(message)
        await self._redis.set(key, (text or "").encode(), ex=self._settings.dedupe_ttl_s)
        return text

    async def _event_reply(self, message: WeChatMessage) -> str | None:
        event = (message.event or "").lower()
        if event in ("subscribe", "subscribe_scan", "scan"):
            return texts.WELCOME
        if event == "click":
            return await self._menu(message)
        if event == "location" and message.latitude is not None and message.longitude is not None:
            point = {"lat": message.latitude, "lng": message.longitude, "label": _reported_label(message)}
            await self._redis.set(
                redis_keys.wechat_location(message.from_user),
                json.dumps(point).encode(),
                ex=self._settings.wechat_location_ttl_s,
            )
        return None  # unsubscribe, VIEW, LOCATION and anything else: nothing to say

    async def _menu(self, message: WeChatMessage) -> str | None:
        action = self._settings.wechat_menu.get(message.event_key or "")
        if action == "complaint":
            return texts.MENU_COMPLAINT
        if action == "inquiry":
            return texts.MENU_INQUIRY
        if action == "suggestion":
            return texts.MENU_SUGGESTION
        if action == "help":
            return texts.WELCOME
        if action == "progress":
            return await self._progress(message.from_user)
        return None

    async def _progress(self, openid: str) -> str:
        entries = await self._redis.lrange(redis_keys.wechat_tickets(openid), 0, RECENT_TICKETS_KEPT - 1)
        if not entries:
            return texts.PROGRESS_NONE
        lines = []
        for raw in entries:
            entry = json.loads(raw)
            day = datetime.fromisoformat(entry["received_at"]).strftime("%Y-%m-%d %H:%M")
            lines.append(f"{entry['ticket_no']}（{day}受理）")
        return "\n".join([texts.PROGRESS_HEAD, *lines, texts.PROGRESS_TAIL])


def _reported_label(message: WeChatMessage) -> str:
    precision = f"，精度约{message.precision:.0f}米" if message.precision is not None else ""
    return f"微信上报的位置{precision}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _conversation_state_ttl(conversation_s: int) -> int:
    margin = max(1, min(MAX_CONVERSATION_MARGIN_S, conversation_s // 10))
    return max(1, conversation_s - margin)


def _with_waiting_media(intake: Intake, state: _CitizenState) -> Intake:
    """The ticket's intake with the photos sent before its text and the reported location."""
    attachments = list(intake.content.attachments)
    location = intake.content.location
    seen: set[str] = set()
    for raw in reversed(state.pending_media):  # oldest first
        entry = json.loads(raw)
        if entry["msg_id"] in seen:
            continue  # a WeChat retry of the same photo
        seen.add(entry["msg_id"])
        attachments.extend(Attachment.model_validate(item) for item in entry["attachments"])
        if location is None and entry["location"]:
            location = Location.model_validate(entry["location"])
    if location is None and state.reported_location is not None:
        point = json.loads(state.reported_location)
        location = Location(lat=point["lat"], lng=point["lng"], label=point.get("label"))
    if not seen and location is intake.content.location:
        return intake
    content = intake.content.model_copy(update={"attachments": tuple(attachments), "location": location})
    return replace(intake, content=content)
