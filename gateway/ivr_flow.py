"""Phone calls: one ticket per call, whatever the IVR sends and however often (第十六条).

IVRs are machines that retry and send a call in pieces: a CDR when the call ends, a recording
callback, a transcription minutes later. The flow keeps the rule "one call, one ticket":

- the first piece of a call opens its ticket (idempotency key `{ivr id}:{call id}`, the event's
  `idempotency_key`);
- every later piece that brings something new (a transcript, the agent's notes, a recording)
  becomes a `TicketSupplement` of that ticket; a piece with nothing in it (a status callback after
  the recording) is acknowledged with the ticket's reply and forwards nothing;
- a piece the gateway has seen before — the same record, field for field, as a retry sends it —
  is a duplicate and gets the first reply again.

Each piece is known by a fingerprint of its parsed record (fields an IVR adds beyond the documented
ones do not count), stored with its reply in the same Redis transaction as the ticket or
supplement it made. Two pieces of one call racing each other are ordered by the pipeline's claim
on the call's key: the loser waits for the winner's ticket and joins it as a supplement.

A call that reached nobody (abandoned, or voicemail left without a message) and carries no content
is a `callback` event: the centre calls the citizen back (7×24 acceptance). One served on the phone
(by an agent or the self-service menu) and carrying no content is archived as `answered`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace

from channels.ivr_model import IvrCall
from domain import Decision, DecisionKind, Intake, IntakeReply, Routing, SupplementKind, TicketEvent
from gateway.enqueue import KeyWrite, Writes
from gateway.pipeline import IntakePipeline
from gateway.state import DedupeStore
from queue_workers import redis_keys

log = logging.getLogger(__name__)

MISSED = frozenset({"abandoned", "voicemail"})
SUPPLEMENT_MESSAGE = "已补充到该通话的工单，工单号：{ticket_no}。"


class IvrFlow:
    def __init__(self, *, pipeline: IntakePipeline, dedupe: DedupeStore, region_code: str, dedupe_ttl_s: int) -> None:
        self._pipeline = pipeline
        self._dedupe = dedupe
        self._region_code = region_code
        self._dedupe_ttl_s = dedupe_ttl_s

    async def take(self, call: IvrCall, intake: Intake) -> IntakeReply:
        """The reply to one piece of a call (`intake`: the call as the IVR channel normalised it):
        its ticket's, a supplement's, or a duplicate's."""
        channel = intake.channel.value
        # The piece as its own submission: a retry of it is a duplicate of whatever it made.
        piece = replace(intake, idempotency_key=f"{intake.idempotency_key}:{fingerprint(call)}")
        piece_key = redis_keys.dedupe(channel, piece.idempotency_key)
        seen = await self._dedupe.finished(piece_key)
        if seen is not None:
            return _replayed(seen)
        opened = await self._dedupe.finished(redis_keys.dedupe(channel, intake.idempotency_key))
        if opened is not None:
            return await self._join(_replayed(opened).ticket_no, call, piece)

        def remember_piece(event: TicketEvent, reply: IntakeReply) -> Writes:
            return Writes(keys=(KeyWrite(piece_key, reply.model_dump_json().encode(), self._dedupe_ttl_s),))

        reply = await self._pipeline.submit(intake, extra=remember_piece, decided=self._preset(call, intake))
        if not reply.duplicate:
            return reply
        # The call's ticket exists: this is a retry of its first piece, or a piece that raced it.
        seen = await self._dedupe.finished(piece_key)
        if seen is not None:
            return _replayed(seen)
        return await self._join(reply.ticket_no, call, piece)

    async def _join(self, ticket_no: str, call: IvrCall, piece: Intake) -> IntakeReply:
        message = SUPPLEMENT_MESSAGE.format(ticket_no=ticket_no)
        kind = supplement_kind(call)
        if kind is None:
            # Nothing new (a status callback after the recording): acknowledged, nothing forwarded.
            return IntakeReply(
                ticket_no=ticket_no,
                decision=DecisionKind.ACCEPTED,
                category=None,
                domain=None,
                urgent=False,
                message=message,
                duplicate=True,
            )
        return await self._pipeline.supplement(piece, ticket_no=ticket_no, kind=kind, message=message)

    def _preset(self, call: IvrCall, intake: Intake) -> Decision | None:
        """The decision of a call without content, which no classifier could make; None otherwise."""
        if intake.content.text or intake.content.attachments:
            return None
        kind = DecisionKind.CALLBACK if call.disposition in MISSED else DecisionKind.ANSWERED
        return Decision(
            decision=kind,
            category=intake.category_hint,
            domain=intake.domain_hint,
            routing=Routing(region_code=self._region_code, level="city"),
        )


def fingerprint(call: IvrCall) -> str:
    """Identical records (as a retry sends them) share it; any difference in a documented field
    changes it. JSON of the parsed model: the IVR's own field order and extra fields do not count."""
    return hashlib.sha256(call.model_dump_json().encode()).hexdigest()[:32]


def supplement_kind(call: IvrCall) -> SupplementKind | None:
    """What a later piece of a call adds to its ticket; None when it adds nothing."""
    if call.transcript:
        return "transcript"
    if call.agent_notes:
        return "text"
    if call.recording is not None:
        return "media"
    return None


def _replayed(stored: bytes) -> IntakeReply:
    return IntakeReply.model_validate_json(stored).model_copy(update={"duplicate": True})
