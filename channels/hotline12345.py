"""Work orders transferred by the 12345 local government hotline (第三、十二、十六条): a bearer
token (`HOTLINE_12345_TOKEN`), the JSON work order, and a reply saying whether the centre took
the order or returns it, with the reason (第十九条: 退回，并说明理由).
"""

from __future__ import annotations

import hmac
from typing import Any, ClassVar, Literal, Protocol

from aiohttp import web
from pydantic import SecretStr

from channels.base import Channel, ChannelConfigError, ChannelServices, Inbound, Unauthenticated, json_response
from channels.hotline12345_model import WorkOrder
from channels.ivr_auth import MIN_TOKEN_CHARS
from channels.json_body import decode_json_model
from domain import DecisionKind, Intake, IntakeReply
from normalizers.hotline12345 import work_order_to_intake

ORDERS_PATH = "/channels/12345/orders"
# What the centre does not take goes back to 12345: refused (第十九条), another hotline's
# (第三条), or another region's order.
RETURNED = frozenset({DecisionKind.REJECTED, DecisionKind.REDIRECTED})

Outcome = Literal["accepted", "returned"]


class Hotline12345Settings(Protocol):
    hotline12345_token: SecretStr | None
    hotline12345_return_url: str | None


def outcome(decision: DecisionKind) -> Outcome:
    return "returned" if decision in RETURNED else "accepted"


class Hotline12345Channel(Channel[WorkOrder]):
    name: ClassVar[str] = "hotline12345"

    def __init__(self, token: SecretStr) -> None:
        self._token = token.get_secret_value().encode()

    @classmethod
    def from_settings(cls, settings: Hotline12345Settings, services: ChannelServices) -> Hotline12345Channel:
        token = settings.hotline12345_token
        if token is None or len(token.get_secret_value()) < MIN_TOKEN_CHARS:
            raise ChannelConfigError(
                f"hotline12345 channel: HOTLINE_12345_TOKEN must be set, ≥ {MIN_TOKEN_CHARS} chars"
            )
        if not settings.hotline12345_return_url:
            raise ChannelConfigError("hotline12345 channel: HOTLINE_12345_RETURN_URL is not set (returned orders)")
        return cls(token)

    async def verify(self, inbound: Inbound) -> None:
        scheme, _, token = inbound.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization: Bearer <HOTLINE_12345_TOKEN> is required", code="missing_token")
        if not hmac.compare_digest(self._token, token.strip().encode()):
            raise Unauthenticated("the 12345 token is not valid", code="bad_token")

    def parse(self, inbound: Inbound) -> WorkOrder:
        return decode_json_model(inbound, WorkOrder)

    def normalize(self, native: WorkOrder, inbound: Inbound) -> Intake:
        return work_order_to_intake(native, received_at=inbound.received_at)

    def reply(self, reply: IntakeReply) -> web.StreamResponse:
        return json_response(order_reply(reply))


def order_reply(reply: IntakeReply) -> dict[str, Any]:
    """The synchronous answer: the intake reply, the order number and `outcome`."""
    return {**reply.to_json_dict(), "outcome": outcome(reply.decision)}
