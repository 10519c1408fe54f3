"""One request id from the edge to the ticketing core: answered in `X-Request-Id`, on every JSON
log line of the request (one access line with channel, decision and latency), on the worker's
lines for its job, and sent to the core with the event."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.logs import JsonFormatter, MaskLogs
from queue_workers.request_ids import RequestIdFilter
from tests.app_support import app_message
from tests.conftest import signed_headers
from tests.fake_ticket_core import FakeTicketCore
from tests.forwarding_support import core_settings, drain

pytestmark = pytest.mark.e2e

MOBILE = "13912345678"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The root logger writing JSON lines, as `configure_logging(fmt="json")` sets it up."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(MaskLogs())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


async def _post(client: Any, body: bytes, request_id: str | None = None) -> Any:
    headers = signed_headers(body)
    if request_id is not None:
        headers["X-Request-Id"] = request_id
    return await client.post("/api/v1/app/messages", data=body, headers=headers)


@pytest.mark.parametrize(
    ("given", "kept"),
    [(None, False), ("lb-7f3a9c2e1d04", True), ("has spaces in it", False), ("x" * 65, False), ("short", False)],
)
async def test_the_id_is_the_senders_when_usable(
    make_settings: Any, start_gateway: Any, given: str | None, kept: bool
) -> None:
    client = await start_gateway(make_settings())
    response = await _post(client, app_message("出租车粤A12345拒载，今天上午9点在广州南站。", "u-1"), given)
    assert response.status == 200
    answered = response.headers["X-Request-Id"]
    if kept:
        assert answered == given
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", answered)
    refused = await client.post("/api/v1/app/messages", data=b"{}")  # errors carry one too
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-Id"])


async def test_one_id_from_the_answer_through_the_logs_to_the_core(
    make_settings: Any, start_gateway: Any, ticket_core: FakeTicketCore, json_lines: io.StringIO
) -> None:
    settings = core_settings(make_settings, ticket_core)
    client = await start_gateway(settings)
    body = app_message("出租车粤A12345拒载，今天上午9点在广州南站。", "u-2", contact={"name": "张三", "phone": MOBILE})
    response = await _post(client, body)
    assert response.status == 200
    request_id = response.headers["X-Request-Id"]
    ticket_no = (await response.json())["ticket_no"]
    await drain(settings)

    (delivered,) = ticket_core.accepted
    assert delivered.headers["X-Request-Id"] == request_id

    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]  # every line is JSON
    ours = [line for line in lines if line["request_id"] == request_id]
    (access,) = [line for line in ours if line["logger"] == "hotline.access"]
    assert access["method"] == "POST"
    assert access["path"] == "/api/v1/app/messages"
    assert access["status"] == 200
    assert isinstance(access["latency_ms"], float)
    assert (access["channel"], access["decision"], access["ticket_no"]) == ("app", "accepted", ticket_no)
    assert access["duplicate"] is False
    # The worker's lines for the job carry the same id: the delivery is traceable to the request.
    assert any(line["logger"] == "queue_workers.delivery" and "delivered" in line["message"] for line in ours)
    assert MOBILE not in json_lines.getvalue()
