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

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import replace

import redis.exceptions
from redis.asyncio import Redis as AsyncRedis

from channels.base import Inbound
from channels.ivr import IvrChannel, IvrRecord, MenuNote
from channels.ivr_model import IvrCall
from domain import Decision, DecisionKind, Intake, IntakeReply, Routing, SupplementKind, TicketEvent
from gateway.enqueue import KeyWrite, Writes
from gateway.pipeline import IntakePipeline
from queue_workers import redis_keys

log = logging.getLogger(__name__)

_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
MISSED = frozenset({"abandoned", "voicemail"})
SUPPLEMENT_MESSAGE = "已补充到该通话的工单，工单号：{ticket_no}。"
_MENU_FIELD = "menu:"
_RECORDING_FIELD = "recording:"


class IvrFlow:
    def __init__(
        self,
        *,
        channel: IvrChannel,
        pipeline: IntakePipeline,
        redis: AsyncRedis,
        region_code: str,
        dedupe_ttl_s: int,
    ) -> None:
        self._channel = channel
        self._pipeline = pipeline
        self._redis = redis
        self._region_code = region_code
        self._dedupe_ttl_s = dedupe_ttl_s

    async def take(self, native: IvrRecord, inbound: Inbound) -> IntakeReply | None:
        """The reply to one piece of a call: its ticket's, a supplement's, or a duplicate's; None
        for a piece that files nothing (a menu choice is remembered for the call's ticket)."""
        if native.call is None:
            if native.menu is not None:
                await self._note_menu(native.ivr_id, native.menu)
            return None
        piece = native.call
        call, filed = await self._with_call_notes(native.ivr_id, piece)

        def intake_of(call: IvrCall) -> Intake:
            return self._channel.normalize(replace(native, call=call), inbound)

        intake = intake_of(call)
        channel = intake.channel.value
        # The piece as its own submission: a retry of it is a duplicate of whatever it made.
        piece_id = f"{intake.idempotency_key}:{fingerprint(piece)}"
        piece_key = redis_keys.dedupe(channel, piece_id)
        seen = await self._pipeline.stored(piece_key)
        if seen is not None:
            return _replayed(seen)
        opened = await self._pipeline.stored(redis_keys.dedupe(channel, intake.idempotency_key))
        if opened is None:

            def remember_piece(event: TicketEvent, reply: IntakeReply) -> Writes:
                return Writes(keys=(KeyWrite(piece_key, reply.model_dump_json().encode(), self._dedupe_ttl_s),))

            reply = await self._pipeline.submit(intake, extra=remember_piece, decided=self._preset(call, intake))
            if not reply.duplicate:
                await self._note_filed(native.ivr_id, call)
                return reply
            # The call's ticket exists: a retry of its first piece, or a piece that raced it.
            seen = await self._pipeline.stored(piece_key)
            if seen is not None:
                return _replayed(seen)
            ticket_no = reply.ticket_no
            filed |= await self._filed(native.ivr_id, call.call_id)
        else:
            ticket_no = _replayed(opened).ticket_no
        if call.recording is not None and str(call.recording.url) in filed:
            call = call.model_copy(update={"recording": None})  # the ticket has it already
            intake = intake_of(call)
        return await self._join(native.ivr_id, ticket_no, call, replace(intake, idempotency_key=piece_id))

    async def _join(self, ivr_id: str, ticket_no: str, call: IvrCall, piece: Intake) -> IntakeReply:
        message = SUPPLEMENT_MESSAGE.format(ticket_no=ticket_no)
        kind = supplement_kind(call)
        if kind is None:
            # Nothing new (a status callback after the recording): acknowledged, nothing forwarded.
            return IntakeReply.joined(ticket_no, message, duplicate=True)
        reply = await self._pipeline.supplement(piece, ticket_no=ticket_no, kind=kind, message=message)
        await self._note_filed(ivr_id, call)
        return reply

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

    # -- what earlier pieces told about the call ------------------------------------------------

    # The notes are context, not submissions: while Redis is away the pieces are still taken (and
    # spooled), only without what earlier pieces told.

    async def _note_menu(self, ivr_id: str, note: MenuNote) -> None:
        """Keys pressed at one menu, in the order the menus were left; a retry keeps its place."""
        key = redis_keys.ivr_call(ivr_id, note.call_id)
        with _best_effort("menu keys not noted"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hsetnx(key, _MENU_FIELD + note.note_id, f"{time.time_ns():020d}:{note.keys}")
                pipe.expire(key, self._dedupe_ttl_s)
                await pipe.execute()

    async def _with_call_notes(self, ivr_id: str, piece: IvrCall) -> tuple[IvrCall, set[str]]:
        """`piece` completed with what earlier pieces told (the menu path; the numbers, which a
        Twilio recording callback does not carry), its own numbers noted for later pieces; and
        the recordings already filed for the call."""
        key = redis_keys.ivr_call(ivr_id, piece.call_id)
        notes: dict[str, str] = {}
        with _best_effort("the call's notes not read"):
            async with self._redis.pipeline(transaction=True) as pipe:
                if piece.caller:
                    pipe.hsetnx(key, "caller", piece.caller)
                if piece.callee:
                    pipe.hsetnx(key, "callee", piece.callee)
                pipe.expire(key, self._dedupe_ttl_s)
                pipe.hgetall(key)
                notes = {_text(k): _text(v) for k, v in (await pipe.execute())[-1].items()}
        menus = sorted(value for field, value in notes.items() if field.startswith(_MENU_FIELD))
        menu_path = "-".join(value.partition(":")[2] for value in menus) or None
        call = piece.model_copy(
            update={
                "caller": piece.caller or notes.get("caller"),
                "callee": piece.callee or notes.get("callee"),
                "menu_path": piece.menu_path or menu_path,
            }
        )
        return call, _recordings(notes)

    async def _note_filed(self, ivr_id: str, call: IvrCall) -> None:
        """The call's recording is in its ticket now: a later piece repeating it adds nothing.
        Noted after the filing, so at worst a crash in between sends the recording twice."""
        if call.recording is not None:
            key = redis_keys.ivr_call(ivr_id, call.call_id)
            with _best_effort("recording not noted as filed"):
                await self._redis.hset(key, _RECORDING_FIELD + str(call.recording.url), b"1")

    async def _filed(self, ivr_id: str, call_id: str) -> set[str]:
        notes: dict[bytes | str, bytes | str] = {}
        with _best_effort("filed recordings not read"):
            notes = await self._redis.hgetall(redis_keys.ivr_call(ivr_id, call_id))
        return _recordings({_text(k): _text(v) for k, v in notes.items()})


# Times say when a piece was sent as much as what it says: a Twilio transcription callback has no
# time of its own (its start is when it arrived), and a resent CDR may carry a later end.
_NOT_CONTENT = frozenset({"started_at", "answered_at", "ended_at"})


def fingerprint(call: IvrCall) -> str:
    """What a piece says about its call: records that say the same (a retry, a resent CDR) share
    it; any difference in another documented field changes it. JSON of the parsed model, so the
    IVR's own field order and its extra fields do not count."""
    return hashlib.sha256(call.model_dump_json(exclude=set(_NOT_CONTENT)).encode()).hexdigest()[:32]


def supplement_kind(call: IvrCall) -> SupplementKind | None:
    """What a later piece of a call adds to its ticket; None when it adds nothing."""
    if call.transcript:
        return "transcript"
    if call.agent_notes:
        return "text"
    if call.recording is not None:
        return "media"
    return None


@contextlib.contextmanager
def _best_effort(what: str) -> Iterator[None]:
    """Redis failing here costs context, never the piece: logged and passed over."""
    try:
        yield
    except _REDIS_DOWN:
        log.warning("ivr: %s (Redis unavailable)", what)


def _recordings(notes: dict[str, str]) -> set[str]:
    return {field.removeprefix(_RECORDING_FIELD) for field in notes if field.startswith(_RECORDING_FIELD)}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _replayed(stored: bytes) -> IntakeReply:
    return IntakeReply.model_validate_json(stored).model_copy(update={"duplicate": True})
