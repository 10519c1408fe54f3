"""The intake pipeline: dedupe → decide → number → event → enqueue → reply.

A submission is acknowledged only after its job (and the reply a repeat will get) is in Redis —
or, while Redis cannot take it, in the durable spool (`gateway.spool`), numbered from the spool's
own counter and replayed into Redis as soon as it answers. Only when neither takes it does the
citizen get a 503, and nothing of the submission stays behind but, at most, a ticket number that
was never used.

Besides new tickets it takes supplements (more material for an existing ticket) and amendments
(the answer to a question for missing facts, merged into a ticket that is being held).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import redis.exceptions

from domain import (
    DecisionKind,
    Intake,
    IntakeReply,
    SupplementKind,
    TicketEvent,
    TicketSupplement,
)
from domain.intake import Decision
from gateway.decide import Decider
from gateway.enqueue import FORWARD_FUNC, BatchingEnqueuer, EnqueueFailed, JobSpec, KeyWrite, Writes
from gateway.replies import build_reply
from gateway.request_context import current_request_id, note
from gateway.spool import AlreadySpooled, Spool, SpoolFailed
from gateway.state import DedupeStore, TicketNumbers
from queue_workers import redis_keys
from queue_workers.metrics import DECISIONS
from queue_workers.settings import FORWARD_QUEUE

log = logging.getLogger(__name__)

FORWARD_SUPPLEMENT_FUNC = "queue_workers.forward.forward_supplement"
_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, EnqueueFailed)

# What a caller adds to a new ticket's writes (conversation state, say), given the event and reply.
ExtraWrites = Callable[[TicketEvent, IntakeReply], Writes]
NO_WRITES = Writes()


class ServiceUnavailable(Exception):
    """Redis cannot be reached: the submission was not taken; the sender should retry."""

    retry_after_s = 5


class StillInProgress(Exception):
    """The same submission is being handled by another request right now."""

    retry_after_s = 2


class IntakePipeline:
    def __init__(
        self,
        *,
        dedupe: DedupeStore,
        numbers: TicketNumbers,
        decider: Decider,
        enqueuer: BatchingEnqueuer,
        dedupe_ttl_s: int,
        dedupe_wait_s: float,
        forward_retry_schedule: tuple[int, ...] = (),
        spool: Spool | None = None,
    ) -> None:
        self._dedupe = dedupe
        self._numbers = numbers
        self._decider = decider
        self._enqueuer = enqueuer
        self._dedupe_ttl_s = dedupe_ttl_s
        self._dedupe_wait_s = dedupe_wait_s
        self._forward_retry_schedule = forward_retry_schedule
        self._spool = spool

    async def submit(
        self,
        intake: Intake,
        *,
        extra: ExtraWrites | None = None,
        hold_needs_info_s: int | None = None,
        decided: Decision | None = None,
    ) -> IntakeReply:
        """A new ticket. With `hold_needs_info_s`, a `needs_info` ticket is not forwarded at once:
        its delivery is scheduled that much later, so an answer can still be merged in (`amend`).
        `decided`: the channel already knows the outcome (a call that reached nobody is a
        `callback`), so the decision step is skipped."""
        return await self._once(intake, lambda key: self._accept(intake, key, extra, hold_needs_info_s, decided))

    async def supplement(
        self, intake: Intake, *, ticket_no: str, kind: SupplementKind, message: str, extra: Writes = NO_WRITES
    ) -> IntakeReply:
        """More material for `ticket_no`, forwarded as a `TicketSupplement`; `message` is the reply."""
        return await self._once(intake, lambda key: self._add_supplement(intake, key, ticket_no, kind, message, extra))

    async def amend(self, held: TicketEvent, answer: Intake, *, extra: Writes = NO_WRITES) -> IntakeReply:
        """Merge the citizen's answer into a held ticket, decide again and forward it now.

        The held delivery (scheduled job, same id) is taken off the schedule in the same
        transaction as the amended event is queued under that id, so exactly one version reaches
        the ticketing core, with the same `event_id` and `ticket_no`.
        """
        return await self._once(answer, lambda key: self._amend(held, answer, key, extra))

    async def stored(self, key: str) -> bytes | None:
        """What a submission stored at `key` (its reply, a channel's own key): from the spool while
        it waits there, else from Redis; None when neither has it, or Redis cannot say."""
        spooled = await self._spooled(key)
        if spooled is not None:
            return spooled
        try:
            return await self._dedupe.finished(key)
        except _UNAVAILABLE:
            if self._spool is None:
                raise
            return None

    async def _once(self, intake: Intake, work: Callable[[str], Awaitable[IntakeReply]]) -> IntakeReply:
        reply = await self._once_or_replay(intake, work)
        note(
            channel=intake.channel.value,
            ticket_no=reply.ticket_no,
            decision=reply.decision.value,
            category=reply.category.value if reply.category else None,
            duplicate=reply.duplicate,
        )
        if not reply.duplicate:
            DECISIONS.labels(
                channel=intake.channel.value,
                decision=reply.decision.value,
                category=reply.category.value if reply.category else "none",
                domain=reply.domain.value if reply.domain else "none",
            ).inc()
        return reply

    async def _once_or_replay(self, intake: Intake, work: Callable[[str], Awaitable[IntakeReply]]) -> IntakeReply:
        key = redis_keys.dedupe(intake.channel.value, intake.idempotency_key)
        spooled = await self._spooled(key)
        if spooled is not None:
            return _duplicate(spooled)
        claim: str | None = None
        try:
            try:
                found = await self._claim_or_replay(key)
            except _UNAVAILABLE:
                if self._spool is None:
                    raise
                found = None  # Redis is away: the spool's unique key stands for the claim
            if isinstance(found, IntakeReply):
                return found
            claim = found
            return await work(key)
        except AlreadySpooled as first:
            return _duplicate(first.value)
        except (*_UNAVAILABLE, SpoolFailed) as exc:
            if claim is not None:
                await self._release(key, claim)
            log.warning("intake via %s not taken: Redis unavailable (%s)", intake.channel, type(exc).__name__)
            raise ServiceUnavailable from exc

    async def _spooled(self, key: str) -> bytes | None:
        if self._spool is None or not self._spool.waiting:
            return None
        try:
            return await asyncio.to_thread(self._spool.lookup, key)
        except sqlite3.Error:
            return None  # an unreadable spool cannot answer; Redis, or the work, decides

    async def _ticket_no(self, intake: Intake) -> str:
        try:
            return await self._numbers.next(intake.received_at)
        except _UNAVAILABLE:
            if self._spool is None:
                raise
            day = intake.received_at.strftime("%Y%m%d")
            try:
                return await asyncio.to_thread(self._spool.next_ticket_no, day)
            except sqlite3.Error as exc:
                raise SpoolFailed(str(exc)) from exc

    async def write(self, writes: Writes) -> None:
        """Writes of a channel's own (a late reply's job, photos waiting for their text), into Redis
        or, while it is away, the spool; `ServiceUnavailable` when neither takes them."""
        try:
            await self._write(writes, None)
        except (*_UNAVAILABLE, SpoolFailed) as exc:
            raise ServiceUnavailable from exc

    async def _write(self, writes: Writes, key: str | None) -> None:
        """Into Redis; into the spool when Redis cannot take them (`key`: the submission's own).
        Jobs carry the id of the request that queued them (to the ticketing core's logs)."""
        writes = writes.stamped(current_request_id())
        try:
            await self._enqueuer.write(writes)
        except EnqueueFailed:
            if self._spool is None:
                raise
            try:
                await asyncio.to_thread(self._spool.add, writes, unique=key)
            except sqlite3.Error as exc:
                raise SpoolFailed(str(exc)) from exc
            log.warning("Redis unavailable: a submission was spooled (%d waiting)", self._spool.waiting)

    async def _claim_or_replay(self, key: str) -> str | IntakeReply:
        """Our claim token when we are first; the stored reply when a first request finished."""
        deadline = time.monotonic() + self._dedupe_wait_s
        while True:
            token = await self._dedupe.claim(key)
            if token is not None:
                return token
            stored = await self._dedupe.finished(key)
            if stored is not None:
                return _duplicate(stored)
            # Another request holds the claim (or just released it): wait for its outcome.
            if time.monotonic() >= deadline:
                raise StillInProgress
            await asyncio.sleep(0.05)

    async def _accept(
        self,
        intake: Intake,
        key: str,
        extra: ExtraWrites | None,
        hold_needs_info_s: int | None,
        decided: Decision | None,
    ) -> IntakeReply:
        decision = decided or await self._decider.decide(intake)
        ticket_no = await self._ticket_no(intake)
        event = _event(uuid.uuid4(), ticket_no, intake, decision)
        reply = build_reply(ticket_no, decision)
        job = self.forward_job(event)
        if hold_needs_info_s is not None and decision.decision is DecisionKind.NEEDS_INFO:
            job = replace(job, run_at=intake.received_at + timedelta(seconds=hold_needs_info_s))
        writes = Writes(jobs=(job,), keys=(self._reply_write(key, reply),))
        if extra is not None:
            writes = writes + extra(event, reply)
        await self._write(writes, key)
        log.info(
            "ticket %s via %s: %s category=%s domain=%s%s",
            ticket_no,
            intake.channel,
            decision.decision,
            decision.category,
            decision.domain,
            " (held for the missing facts)" if job.run_at else "",
        )
        return reply

    async def _add_supplement(
        self, intake: Intake, key: str, ticket_no: str, kind: SupplementKind, message: str, extra: Writes
    ) -> IntakeReply:
        supplement = TicketSupplement(
            event_id=uuid.uuid4(),
            ticket_no=ticket_no,
            kind=kind,
            idempotency_key=intake.idempotency_key,
            channel=intake.channel,
            received_at=intake.received_at,
            citizen=intake.citizen,
            content=intake.content,
            source=intake.source,
        )
        reply = IntakeReply.joined(ticket_no, message)
        job = JobSpec(
            queue=FORWARD_QUEUE,
            func=FORWARD_SUPPLEMENT_FUNC,
            payload=supplement.to_json_dict(),
            job_id=str(supplement.event_id),
            description=f"supplement {ticket_no} ({kind})",
            retry_schedule=self._forward_retry_schedule,
        )
        await self._write(Writes(jobs=(job,), keys=(self._reply_write(key, reply),)) + extra, key)
        log.info("ticket %s via %s: supplement (%s)", ticket_no, intake.channel, kind)
        return reply

    async def _amend(self, held: TicketEvent, answer: Intake, key: str, extra: Writes) -> IntakeReply:
        merged = Intake(
            channel=held.channel,
            idempotency_key=held.idempotency_key,
            received_at=held.received_at,
            citizen=held.citizen,
            content=held.content.model_copy(
                update={
                    "text": f"{held.content.text}\n【补充】{answer.content.text}".strip(),
                    "attachments": held.content.attachments + answer.content.attachments,
                    "location": held.content.location or answer.content.location,
                }
            ),
            source=held.source,
            interactive=False,  # one question only: what is still missing goes to an operator
        )
        decision = await self._decider.decide(merged)
        event = _event(held.event_id, held.ticket_no, merged, decision)
        reply = build_reply(held.ticket_no, decision)
        writes = Writes(
            jobs=(self.forward_job(event),),
            keys=(self._reply_write(key, reply),),
            unschedule=((FORWARD_QUEUE, str(held.event_id)),),
        )
        await self._write(writes + extra, key)
        log.info("ticket %s amended via %s: %s", held.ticket_no, answer.channel, decision.decision)
        return reply

    def forward_job(self, event: TicketEvent) -> JobSpec:
        return forward_job(event, self._forward_retry_schedule)

    def _reply_write(self, key: str, reply: IntakeReply) -> KeyWrite:
        return KeyWrite(key, reply.model_dump_json().encode(), self._dedupe_ttl_s)

    async def _release(self, key: str, token: str) -> None:
        # If Redis is gone the claim expires on its own; a retry before then gets StillInProgress.
        with contextlib.suppress(redis.exceptions.RedisError):
            await self._dedupe.release(key, token)


def _duplicate(stored: bytes) -> IntakeReply:
    return IntakeReply.model_validate_json(stored).model_copy(update={"duplicate": True})


def _event(event_id: uuid.UUID, ticket_no: str, intake: Intake, decision: Decision) -> TicketEvent:
    return TicketEvent(
        event_id=event_id,
        ticket_no=ticket_no,
        idempotency_key=intake.idempotency_key,
        channel=intake.channel,
        received_at=intake.received_at,
        citizen=intake.citizen,
        content=intake.content,
        category=decision.category,
        domain=decision.domain,
        decision=decision.decision,
        reason=decision.reason,
        redirect=decision.redirect,
        urgent=decision.urgent,
        answer=decision.answer,
        missing_facts=decision.missing_facts,
        routing=decision.routing,
        deadlines=decision.deadlines,
        source=intake.source,
    )


def forward_job(event: TicketEvent, retry_schedule: tuple[int, ...]) -> JobSpec:
    """The RQ job that delivers `event` to the ticketing core (its id is the event's)."""
    return JobSpec(
        queue=FORWARD_QUEUE,
        func=FORWARD_FUNC,
        payload=event.to_json_dict(),
        job_id=str(event.event_id),
        description=f"forward {event.ticket_no}",
        retry_schedule=retry_schedule,
    )
