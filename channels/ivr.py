"""The phone channel (第十六条: 7×24 人工接听和自助语音服务): call records posted by IVR systems.

One channel, `ivr`, with one wire format per endpoint:

- `POST /channels/ivr/calls` — the gateway's own JSON call record (`channels.ivr_model.IvrCall`),
  from any IVR that can post JSON;
- `POST /channels/ivr/freeswitch` — FreeSWITCH's mod_json_cdr and mod_xml_cdr posts, unchanged
  (`channels.freeswitch_cdr`);
- `POST /channels/ivr/twilio` — Twilio's voice, recording and transcription callbacks
  (`channels.twilio_voice`), when `HOTLINE_TWILIO_AUTH_TOKEN` is set.

The first two are authenticated by a per-IVR token (`channels.ivr_auth`), Twilio by its request
signature. Every format becomes the same `IvrCall`, and every call the same kind of `Intake`: a
non-interactive one, since nobody reads a question sent back to an IVR.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from aiohttp import web
from pydantic import SecretStr

from channels.base import Channel, ChannelServices, Inbound, InvalidPayload, Unauthenticated, json_response
from channels.form_body import decode_form
from channels.freeswitch_cdr import freeswitch_to_ivr_call, parse_freeswitch_post
from channels.ivr_auth import IvrTokens
from channels.ivr_model import IvrCall, MenuEntry, menu_choice
from channels.json_body import decode_json_model
from channels.twilio_voice import (
    CALL_ENDED,
    SIGNATURE_HEADER,
    callback_kind,
    parse_twilio_form,
    twilio_to_ivr_call,
    verify_twilio_signature,
)
from domain import Intake, IntakeReply
from normalizers.ivr import ivr_call_to_intake

CALLS_PATH = "/channels/ivr/calls"
FREESWITCH_PATH = "/channels/ivr/freeswitch"
TWILIO_PATH = "/channels/ivr/twilio"
# Twilio calls are one IVR of their own: its id in `source.platform` and idempotency keys.
TWILIO_IVR_ID = "twilio"
# Twilio reads the answer to a callback as TwiML; an empty document ends nothing and says nothing.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

Format = Literal["calls", "freeswitch", "twilio"]


class IvrSettings(Protocol):
    ivr_tokens: dict[str, SecretStr]
    ivr_menu: dict[str, MenuEntry]
    twilio_auth_token: SecretStr | None

    @property
    def base_url(self) -> str: ...


@dataclass(frozen=True, slots=True)
class MenuNote:
    """Keys a caller pressed at one menu of a call still going (a Twilio `<Gather>` action):
    nothing to file yet, but the menu path of the ticket the call opens later."""

    call_id: str
    keys: str
    note_id: str  # the same for a retry of the same callback


@dataclass(frozen=True, slots=True)
class IvrRecord:
    """One piece of a call, and the IVR that sent it. `call` is None for a piece that files
    nothing: Twilio's `ringing` and `in-progress` status callbacks, its `<Gather>` actions
    (`menu`), and FreeSWITCH's CDRs of an agent's leg."""

    ivr_id: str
    call: IvrCall | None
    format: Format
    menu: MenuNote | None = None


class IvrChannel(Channel[IvrRecord]):
    name: ClassVar[str] = "ivr"

    def __init__(
        self,
        tokens: Mapping[str, SecretStr],
        menu: Mapping[str, MenuEntry],
        *,
        twilio_auth_token: SecretStr | None = None,
        public_url: str = "",
    ) -> None:
        self._tokens = IvrTokens(tokens)
        self._menu = dict(menu)
        self._twilio_token = twilio_auth_token
        self._public_url = public_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: IvrSettings, services: ChannelServices) -> IvrChannel:
        return cls(
            settings.ivr_tokens,
            settings.ivr_menu,
            twilio_auth_token=settings.twilio_auth_token,
            public_url=settings.base_url,
        )

    async def verify(self, inbound: Inbound) -> None:
        if _format(inbound) == "twilio":
            self._verify_twilio(inbound)
        else:
            self._tokens.identify(inbound.headers)

    def _verify_twilio(self, inbound: Inbound) -> None:
        """X-Twilio-Signature over the URL Twilio requested: the gateway's public URL (what is
        configured at Twilio) and the path and query string exactly as they came."""
        signature = inbound.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise Unauthenticated(f"{SIGNATURE_HEADER} is required", code="missing_signature")
        if self._twilio_token is None:
            raise Unauthenticated("Twilio is not configured (HOTLINE_TWILIO_AUTH_TOKEN)", code="bad_signature")
        url = self._public_url + (inbound.raw_path or inbound.path)
        params = decode_form(inbound).fields
        if not verify_twilio_signature(self._twilio_token.get_secret_value(), url, params, signature):
            raise Unauthenticated("X-Twilio-Signature does not match", code="bad_signature")

    def parse(self, inbound: Inbound) -> IvrRecord:
        if _format(inbound) == "twilio":
            callback = parse_twilio_form(inbound)
            kind = callback_kind(callback)
            if kind == "gather":
                call = twilio_to_ivr_call(callback, inbound.received_at)
                note = MenuNote(callback.call_sid, call.menu_path, _note_id(inbound)) if call.menu_path else None
                return IvrRecord(TWILIO_IVR_ID, None, "twilio", menu=note)
            still_going = callback.call_status not in CALL_ENDED and callback.dial_call_status is None
            if kind == "status" and still_going:
                return IvrRecord(TWILIO_IVR_ID, None, "twilio")
            return IvrRecord(TWILIO_IVR_ID, twilio_to_ivr_call(callback, inbound.received_at), "twilio")
        ivr_id = self._tokens.identify(inbound.headers)
        if _format(inbound) == "freeswitch":
            cdr = parse_freeswitch_post(inbound)
            if cdr.is_b_leg:
                # An agent's phone leg (log-b-leg): the caller's A leg reports the call.
                return IvrRecord(ivr_id, None, "freeswitch")
            return IvrRecord(ivr_id, freeswitch_to_ivr_call(cdr), "freeswitch")
        return IvrRecord(ivr_id, decode_json_model(inbound, IvrCall), "calls")

    def normalize(self, native: IvrRecord, inbound: Inbound) -> Intake:
        if native.call is None:
            raise InvalidPayload("nothing to normalise: the piece carries no call record")
        choice = menu_choice(self._menu, native.call.keys())
        return ivr_call_to_intake(native.call, ivr_id=native.ivr_id, choice=choice)

    def reply(self, reply: IntakeReply) -> web.StreamResponse:
        return json_response(reply.to_json_dict())

    def acknowledge(self, native: IvrRecord) -> web.StreamResponse:
        """The answer to a piece that filed nothing: a 2xx, so the IVR does not send it again."""
        if native.format == "twilio":
            return self.twiml_reply()
        return json_response({"filed": False, "message": "nothing to file: the call's other records carry it"})

    def twiml_reply(self) -> web.StreamResponse:
        return web.Response(text=EMPTY_TWIML, content_type="application/xml")


def _note_id(inbound: Inbound) -> str:
    """Twilio sends the same parameters for two menus where the same key was pressed; their
    action URLs tell the menus apart."""
    return hashlib.sha256((inbound.raw_path or inbound.path).encode() + b"\n" + inbound.body).hexdigest()[:32]


def _format(inbound: Inbound) -> Format:
    if inbound.path == TWILIO_PATH:
        return "twilio"
    return "freeswitch" if inbound.path == FREESWITCH_PATH else "calls"
