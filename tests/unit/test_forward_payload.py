"""`forward_ticket` refuses a payload that is not a TicketEvent, without quoting personal data."""

from __future__ import annotations

import pytest

from queue_workers.forward import InvalidTicketEvent, PermanentDeliveryError, forward_ticket
from tests.event_factory import make_event


def test_invalid_payload_is_permanent_and_names_the_fields_only() -> None:
    payload = make_event(1).to_json_dict()
    payload["ticket_no"] = "13700001111"  # does not match the pattern
    payload["citizen"]["phone"] = "x" * 40  # too long
    payload["note"] = "13900001111"  # extra fields are forbidden
    with pytest.raises(InvalidTicketEvent) as raised:
        forward_ticket(payload)
    assert isinstance(raised.value, PermanentDeliveryError)
    message = str(raised.value)
    assert "ticket_no" in message
    assert "citizen.phone" in message
    assert "note" in message
    # 第七条: the failure text is logged and stored; it must not carry the submitted values.
    assert "13700001111" not in message
    assert "13900001111" not in message
    assert "x" * 40 not in message
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


@pytest.mark.parametrize("payload", [None, "not an object", [], {}])
def test_non_event_payloads_are_permanent(payload: object) -> None:
    with pytest.raises(InvalidTicketEvent):
        forward_ticket(payload)  # type: ignore[arg-type]
