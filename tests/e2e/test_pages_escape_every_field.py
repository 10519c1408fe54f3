"""Every text field of a ticket and its supplements, written by a hostile sender, is shown as text
on every operator page: none of it becomes markup.

The event is not hand-picked: every string field the schema lets a channel fill gets a payload of
its own (numbered, so a field the pages drop is noticed too), whatever fields the schema gains.
The pages are read by an HTML parser, as a browser would, not searched for one spelling.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from domain import TicketEvent, TicketSupplement
from gateway.settings import Settings
from queue_workers.ticket_store import TicketStore
from tests.conftest import GatewayStarter
from tests.event_factory import make_event
from tests.supplement_factory import make_supplement

pytestmark = pytest.mark.e2e

BEARER = {"Authorization": "Bearer admin-token-for-tests"}
TICKET_NO = "12328-20261128-000007"


def _payloads(n: int) -> Iterator[str]:
    """Longest first; a field with a length limit takes the first that fits."""
    yield f'"><script>alert({n})</script><img src=x onerror=alert({n})><a href="javascript:alert({n})">{n}</a>'
    yield f"'><svg onload=alert({n})>"
    yield f"<b>{n}</b>"


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    elif isinstance(value, str):
        yield path, value


def _put(values: Any, path: tuple[Any, ...], value: str) -> None:
    for step in path[:-1]:
        values = values[step]
    values[path[-1]] = value


def hostile(model: type[BaseModel], rich: BaseModel, first: int) -> tuple[dict[str, Any], list[int]]:
    """`rich` with a numbered payload in every string field the schema accepts one in."""
    values = json.loads(rich.model_dump_json(by_alias=True))
    placed = []
    for n, (path, original) in enumerate(_leaves(values), start=first):
        for payload in _payloads(n):
            _put(values, path, payload)
            try:
                model.model_validate(values)
            except ValidationError:
                continue
            placed.append(n)
            break
        else:
            _put(values, path, original)  # a pattern (ticket number, region, enum): nothing to inject
    return values, placed


def rich_event() -> TicketEvent:
    return make_event(
        7,
        channel="hotline12345",
        decision="accepted",
        urgent=True,
        citizen={"channel_user_id": "u-7", "name": "张三", "phone": "13800138000"},
        content={
            "text": "出租车司机拒载。",
            "attachments": [
                {"kind": "image", "url": "https://cdn.example/a.jpg", "name": "a.jpg", "mime": "image/jpeg"},
                {"kind": "voice", "media_id": "MEDIA_ID_1", "name": "语音", "mime": "audio/amr"},
            ],
            "location": {"label": "广州南站", "region_code": "440100"},
            "occurred_at": "2026-11-27T20:00:00+08:00",
        },
        answer={"kb_id": "kb-1", "text": "出租车投诉请提供车牌号。"},
        missing_facts=("plate", "time"),
        deadlines={
            "transfer_by": "2026-11-29T09:07:00+08:00",
            "reply_by": "2026-12-12T09:07:00+08:00",
            "calendar": "official",
        },
        source={
            "request_id": "req-7",
            "app_key_id": "test-app",
            "message_id": "24000000007",
            "call_id": "call-7",
            "order_no": "GZ12345-7",
            "platform": "12345",
            "recording": {"url": "https://ivr.example/rec/7.wav", "duration_s": 30},
            "region_code": "440106",
            "origin_category": "投诉",
        },
    )


def rich_supplement() -> TicketSupplement:
    return make_supplement(
        1,
        ticket=7,
        kind="answer",
        content={
            "text": "车牌粤A12345。",
            "attachments": [{"kind": "image", "url": "https://media.example/7/1.jpg", "name": "b.jpg"}],
            "location": {"label": "体育西路"},
        },
        source={"message_id": "24000000007001", "platform": "wechat"},
    )


class Page(HTMLParser):
    """What a browser would build from the page: its elements, their attributes, its text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str) -> Page:
    page = Page(html)
    for tag, attrs in page.tags:
        assert tag not in {"script", "img", "svg", "iframe", "object", "embed", "b"}, (tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name, value)
    return page


@pytest.fixture
def stored(settings: Settings) -> tuple[list[int], list[int]]:
    event_values, event_fields = hostile(TicketEvent, rich_event(), first=1)
    supplement_values, supplement_fields = hostile(TicketSupplement, rich_supplement(), first=1000)
    store = TicketStore(settings.ticket_store_path)
    try:
        store.add(TicketEvent.model_validate(event_values))
        store.add_supplement(TicketSupplement.model_validate(supplement_values))
    finally:
        store.close()
    return event_fields, supplement_fields


def test_the_hostile_event_reaches_every_kind_of_field(stored: tuple[list[int], list[int]]) -> None:
    event_fields, supplement_fields = stored
    # citizen (3), content text, 2 attachments' strings, location label, answer (2), missing facts,
    # source (9 strings + recording): the walk is not silently skipping the schema.
    assert len(event_fields) >= 20, event_fields
    assert len(supplement_fields) >= 8, supplement_fields


async def test_every_field_is_text_on_the_ticket_page(
    settings: Settings, start_gateway: GatewayStarter, stored: tuple[list[int], list[int]]
) -> None:
    client = await start_gateway(settings)
    response = await client.get(f"/admin/tickets/{TICKET_NO}", headers=BEARER)
    assert response.status == 200
    page = assert_inert(await response.text())
    text = "".join(page.text)
    event_fields, supplement_fields = stored
    # Every payload is on the page, as the characters the sender typed (the raw event included).
    missing = [n for n in event_fields if f"alert({n})" not in text and f"<b>{n}</b>" not in text]
    assert missing == []
    shown = [n for n in supplement_fields if f"alert({n})" in text or f"<b>{n}</b>" in text]
    assert shown, "the supplement's fields are not on its ticket's page"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/tickets",
        "/admin/tickets?decision=accepted&channel=hotline12345",
        "/admin/tickets?page=1&per_page=5&q=%22%3E%3Cscript%3Ealert(9)%3C/script%3E",
        "/admin/tickets?channel=%22%3E%3Cscript%3Ealert(9)%3C/script%3E",
        "/admin/tickets/%22%3E%3Cscript%3Ealert(9)%3C%2Fscript%3E",
        "/admin/tickets/%3Cimg%20src=x%20onerror=alert(9)%3E",
    ],
)
async def test_lists_filters_and_unknown_tickets_stay_inert(
    settings: Settings, start_gateway: GatewayStarter, stored: tuple[list[int], list[int]], path: str
) -> None:
    client = await start_gateway(settings)
    response = await client.get(path, headers={**BEARER, "Accept": "text/html,*/*;q=0.8"})
    assert response.status in {200, 400, 404}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if response.content_type == "application/json":  # a filter value that is none: the error is data
        assert response.status == 400
        assert (await response.json())["error"]
        return
    assert response.content_type == "text/html"
    assert_inert(await response.text())
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Frame-Options"] == "DENY"
