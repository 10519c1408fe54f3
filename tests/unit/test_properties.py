"""Property-based tests (hypothesis) over the parsers and normalisers: whatever bytes arrive, a
parser answers with a `ChannelError` (a 4xx) or a model, never anything else; whatever a valid
model holds, its normaliser makes an intake a `TicketEvent` accepts; masking leaves no number."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.app_model import AppMessage
from channels.base import ChannelError, Inbound
from channels.freeswitch_cdr import CONTENT_TYPES, parse_freeswitch_post
from channels.hotline12345_model import WorkOrder
from channels.ivr_model import IvrCall, default_menu, menu_choice
from channels.json_body import decode_json_model
from channels.twilio_voice import parse_twilio_form
from channels.wechat_model import WeChatXmlError, parse_xml
from domain import DecisionKind, Routing, TicketEvent
from normalizers.app import app_message_to_intake
from normalizers.hotline12345 import work_order_to_intake
from normalizers.ivr import ivr_call_to_intake
from normalizers.pii import mask_pii

RECEIVED = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text as citizens and systems send it: any Unicode (emoji, mixed scripts, control characters).
texts = st.text(min_size=0, max_size=300)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


def _inbound(body: bytes, content_type: str, path: str = "/x") -> Inbound:
    return Inbound(
        method="POST",
        path=path,
        query={},
        headers={"Content-Type": content_type},
        body=body,
        client="127.0.0.1",
        received_at=RECEIVED,
        content_type=content_type,
    )


def _refusal(parse: Callable[[], object]) -> int | None:
    """The status a parser refuses with; None when it parsed."""
    try:
        parse()
    except ChannelError as exc:
        return exc.status
    return None


@SETTINGS
@given(st.binary(max_size=2000) | json_values.map(lambda v: json.dumps(v).encode()))
def test_json_models_answer_any_body_with_a_4xx_or_a_model(body: bytes) -> None:
    for model in (AppMessage, IvrCall, WorkOrder):
        status = _refusal(lambda model=model: decode_json_model(_inbound(body, "application/json"), model))
        assert status is None or 400 <= status < 500


@SETTINGS
@given(st.binary(max_size=2000), st.sampled_from([*sorted(CONTENT_TYPES), "text/plain"]))
def test_freeswitch_answers_any_body_with_a_4xx_or_a_cdr(body: bytes, content_type: str) -> None:
    posted = b"cdr=" + body if "form" in content_type else body
    status = _refusal(lambda: parse_freeswitch_post(_inbound(posted, content_type)))
    assert status is None or 400 <= status < 500


@SETTINGS
@given(st.dictionaries(st.sampled_from(["CallSid", "From", "To", "CallStatus", "Digits", "RecordingUrl"]), texts))
def test_twilio_answers_any_form_with_a_4xx_or_a_callback(params: dict[str, str]) -> None:
    from urllib.parse import urlencode

    form = urlencode(params).encode()
    status = _refusal(lambda: parse_twilio_form(_inbound(form, "application/x-www-form-urlencoded")))
    assert status is None or 400 <= status < 500


@SETTINGS
@given(st.binary(max_size=2000) | texts.map(lambda t: f"<xml><Content>{t}</Content></xml>".encode()))
def test_wechat_xml_is_read_or_refused(body: bytes) -> None:
    with contextlib.suppress(WeChatXmlError):
        parse_xml(body)


def _event_from(intake: Any) -> TicketEvent:
    """What the pipeline makes of an intake: it must always be a valid event."""
    return TicketEvent(
        event_id=uuid.uuid4(),
        ticket_no="12328-20261129-000001",
        idempotency_key=intake.idempotency_key,
        channel=intake.channel,
        received_at=intake.received_at,
        citizen=intake.citizen,
        content=intake.content,
        category=intake.category_hint,
        domain=intake.domain_hint,
        decision=DecisionKind.ACCEPTED,
        routing=Routing(region_code="440100"),
        source=intake.source,
    )


@SETTINGS
@given(
    text=st.text(min_size=1, max_size=5000).filter(str.strip),
    name=st.none() | st.text(max_size=50),
    phone=st.none() | st.from_regex(r"\+?[0-9 \-]{5,20}", fullmatch=True),
)
def test_any_valid_app_message_becomes_a_valid_event(text: str, name: str | None, phone: str | None) -> None:
    payload: dict[str, Any] = {"request_id": "req-prop-1", "user_id": "u1", "text": text}
    if name or phone:
        payload["contact"] = {"name": name, "phone": phone}
    try:
        message = AppMessage.model_validate(payload)
    except ValueError:
        return  # the model refuses it: a 422, covered above
    _event_from(app_message_to_intake(message, key_id="k", received_at=RECEIVED))


@SETTINGS
@given(
    transcript=st.none() | st.text(max_size=3000),
    notes=st.none() | st.text(max_size=1000),
    caller=st.none() | st.text(max_size=32),
    keys=st.none() | st.from_regex(r"[0-9*#](-?[0-9*#]){0,15}", fullmatch=True),
    disposition=st.sampled_from(["agent", "self_service", "abandoned", "voicemail"]),
)
def test_any_valid_call_record_becomes_a_valid_event(
    transcript: str | None, notes: str | None, caller: str | None, keys: str | None, disposition: str
) -> None:
    call = IvrCall.model_validate(
        {
            "call_id": "c-1",
            "caller": caller,
            "started_at": "2026-11-29T09:00:00+08:00",
            "menu_path": keys,
            "disposition": disposition,
            "transcript": transcript,
            "agent_notes": notes,
        }
    )
    intake = ivr_call_to_intake(call, ivr_id="ivr-1", choice=menu_choice(default_menu(), call.keys()))
    _event_from(intake)


@SETTINGS
@given(content=st.text(min_size=1, max_size=3000).filter(str.strip), category=st.none() | st.text(max_size=64))
def test_any_valid_work_order_becomes_a_valid_event(content: str, category: str | None) -> None:
    order = WorkOrder.model_validate(
        {
            "order_no": "GZ-1",
            "region_code": "440106",
            "received_at": "2026-11-29T09:00:00+08:00",
            "content": content,
            "category": category,
            "citizen": {"name": "李四", "phone": "13900139000"},
        }
    )
    _event_from(work_order_to_intake(order, received_at=RECEIVED))


@SETTINGS
@given(
    before=st.text(max_size=40),
    after=st.text(max_size=40),
    mobile=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
)
def test_masking_leaves_no_mobile_number(before: str, after: str, mobile: str) -> None:
    masked = mask_pii(f"{before} {mobile} {after}")
    assert mobile not in masked
    assert mask_pii(masked) == masked  # masking twice changes nothing more
