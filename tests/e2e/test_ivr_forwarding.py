"""A phone call end to end: its pieces posted by the IVR, a worker in burst mode, and a real HTTP
server on 127.0.0.1 standing in for the ticketing core — one ticket and its supplements, each
delivered exactly once, whatever the IVR resends and however the core fails."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.fake_ticket_core import FakeTicketCore
from tests.forwarding_support import core_settings, drain
from tests.ivr_support import IVR_TOKENS, call_record, post_call

pytestmark = pytest.mark.e2e


@pytest.fixture
def settings(make_settings: Any, ticket_core: FakeTicketCore) -> Any:
    return core_settings(make_settings, ticket_core, channels=["ivr"], ivr_tokens=IVR_TOKENS)


async def test_a_call_in_pieces_reaches_the_core_once_each(
    settings: Any, start_gateway: Any, ticket_core: FakeTicketCore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway = await start_gateway(settings)
    ticket_core.answer(503, 500)  # the core is down for the first two deliveries
    pieces = [
        call_record(transcript=None, agent_notes=None),
        call_record(agent_notes=None),
        call_record(transcript=None, recording=None),
    ]
    replies = [await (await post_call(gateway, piece)).json() for piece in pieces]
    for piece in pieces:  # the IVR resends everything
        assert (await (await post_call(gateway, piece)).json())["duplicate"] is True
    for _ in range(4):
        await drain(settings)

    tickets = [r for r in ticket_core.accepted if r.event["schema"] == "hotline.ticket-event/v1"]
    supplements = [r for r in ticket_core.accepted if r.event["schema"] == "hotline.ticket-supplement/v1"]
    assert len(tickets) == 1
    assert tickets[0].event["ticket_no"] == replies[0]["ticket_no"]
    assert sorted(s.event["kind"] for s in supplements) == ["text", "transcript"]
    assert {s.event["ticket_no"] for s in supplements} == {replies[0]["ticket_no"]}
    assert sorted(r.answered for r in ticket_core.received) == [200, 200, 200, 500, 503]
    keys = [r.headers["Idempotency-Key"] for r in ticket_core.accepted]
    assert len(keys) == len(set(keys)) == 3
    assert all(r.signature_ok for r in ticket_core.received)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "13800138000" not in logged  # 第七条
