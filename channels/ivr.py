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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol

from aiohttp import web
from pydantic import SecretStr

from channels.base import Channel, ChannelServices, Inbound, json_response
from channels.ivr_auth import IvrTokens
from channels.ivr_model import IvrCall, MenuEntry, menu_choice
from channels.json_body import decode_json_model
from domain import Intake, IntakeReply
from normalizers.ivr import ivr_call_to_intake

CALLS_PATH = "/channels/ivr/calls"


class IvrSettings(Protocol):
    ivr_tokens: dict[str, SecretStr]
    ivr_menu: dict[str, MenuEntry]


@dataclass(frozen=True, slots=True)
class IvrRecord:
    """One piece of a call, and the IVR that sent it."""

    ivr_id: str
    call: IvrCall


class IvrChannel(Channel[IvrRecord]):
    name: ClassVar[str] = "ivr"

    def __init__(self, tokens: Mapping[str, SecretStr], menu: Mapping[str, MenuEntry]) -> None:
        self._tokens = IvrTokens(tokens)
        self._menu = dict(menu)

    @classmethod
    def from_settings(cls, settings: IvrSettings, services: ChannelServices) -> IvrChannel:
        return cls(settings.ivr_tokens, settings.ivr_menu)

    async def verify(self, inbound: Inbound) -> None:
        self._tokens.identify(inbound.headers)

    def parse(self, inbound: Inbound) -> IvrRecord:
        ivr_id = self._tokens.identify(inbound.headers)
        return IvrRecord(ivr_id, decode_json_model(inbound, IvrCall))

    def normalize(self, native: IvrRecord, inbound: Inbound) -> Intake:
        choice = menu_choice(self._menu, native.call.keys())
        return ivr_call_to_intake(native.call, ivr_id=native.ivr_id, choice=choice)

    def reply(self, reply: IntakeReply) -> web.StreamResponse:
        return json_response(reply.to_json_dict())
