"""The intake pipeline: dedupe → decide → number → event → enqueue → reply.

A submission is acknowledged only after its job (and the reply a repeat will get) is in Redis.
If Redis fails, the citizen gets a 503 and nothing of the submission stays behind but, at most,
a ticket number that was never used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

import redis.exceptions

from domain import Intake, IntakeReply, TicketEvent
from gateway.decide import Decider
from gateway.enqueue import FORWARD_FUNC, BatchingEnqueuer, EnqueueFailed, JobSpec, KeyWrite, Writes
from gateway.replies import build_reply
from gateway.state import CLAIM_PREFIX, DedupeStore, TicketNumbers
from queue_workers import redis_keys
from queue_workers.settings import FORWARD_QUEUE

log = logging.getLogger(__name__)

_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, EnqueueFailed)


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
    ) -> None:
        self._dedupe = dedupe
        self._numbers = numbers
        self._decider = decider
        self._enqueuer = enqueuer
        self._dedupe_ttl_s = dedupe_ttl_s
        self._dedupe_wait_s = dedupe_wait_s
        self._forward_retry_schedule = forward_retry_schedule

    async def submit(self, intake: Intake) -> IntakeReply:
        key = redis_keys.dedupe(intake.channel.value, intake.idempotency_key)
        try:
            claim = await self._claim_or_replay(key)
            if isinstance(claim, IntakeReply):
                return claim
            try:
                return await self._accept(intake, key)
            except _UNAVAILABLE:
                await self._release(key, claim)
                raise
        except _UNAVAILABLE as exc:
            log.warning("intake via %s not taken: Redis unavailable (%s)", intake.channel, type(exc).__name__)
            raise ServiceUnavailable from exc

    async def _claim_or_replay(self, key: str) -> str | IntakeReply:
        """Our claim token when we are first; the stored reply when a first request finished."""
        deadline = time.monotonic() + self._dedupe_wait_s
        while True:
            token = await self._dedupe.claim(key)
            if token is not None:
                return token
            stored = await self._dedupe.get(key)
            if stored is not None and not stored.startswith(CLAIM_PREFIX.encode()):
                return IntakeReply.model_validate_json(stored).model_copy(update={"duplicate": True})
            # Another request holds the claim (or just released it): wait for its outcome.
            if time.monotonic() >= deadline:
                raise StillInProgress
            await asyncio.sleep(0.05)

    async def _accept(self, intake: Intake, key: str) -> IntakeReply:
        decision = await self._decider.decide(intake)
        ticket_no = await self._numbers.next(intake.received_at)
        event = TicketEvent(
            event_id=uuid.uuid4(),
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
        reply = build_reply(ticket_no, decision)
        await self._enqueuer.write(
            Writes(
                jobs=(self.forward_job(event),),
                keys=(KeyWrite(key, reply.model_dump_json().encode(), self._dedupe_ttl_s),),
            )
        )
        log.info(
            "ticket %s via %s: %s category=%s domain=%s",
            ticket_no,
            intake.channel,
            decision.decision,
            decision.category,
            decision.domain,
        )
        return reply

    def forward_job(self, event: TicketEvent) -> JobSpec:
        return JobSpec(
            queue=FORWARD_QUEUE,
            func=FORWARD_FUNC,
            payload=event.to_json_dict(),
            job_id=str(event.event_id),
            description=f"forward {event.ticket_no}",
            retry_schedule=self._forward_retry_schedule,
        )

    async def _release(self, key: str, token: str) -> None:
        # If Redis is gone the claim expires on its own; a retry before then gets StillInProgress.
        with contextlib.suppress(redis.exceptions.RedisError):
            await self._dedupe.release(key, token)
