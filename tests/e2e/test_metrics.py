"""`GET /metrics`, as Prometheus parses it: requests by channel and status, decisions, queue depth
and dead letters, the spool, the knowledge-base version, delivery latency and failures.

Counters live in prometheus-client's registry of this test process (shared by every test), so
each test compares before and after."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.app_support import app_message
from tests.conftest import signed_headers
from tests.fake_ticket_core import Answer, FakeTicketCore
from tests.forwarding_support import core_settings, drain

pytestmark = pytest.mark.e2e

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _scrape(client: Any) -> Samples:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(await response.text())
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_intake_is_counted_and_the_gauges_read_where_the_truth_is(make_settings: Any, start_gateway: Any) -> None:
    client = await start_gateway(make_settings())
    before = await _scrape(client)
    body = app_message("出租车粤A12345拒载，今天上午9点在广州南站。", "u-metrics")
    reply = await (await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))).json()
    await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))  # a repeat
    await client.post("/api/v1/app/messages", data=b"{}")  # no signature
    after = await _scrape(client)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("hotline_http_requests_total", channel="app", status="200") == 2
    assert delta("hotline_http_requests_total", channel="app", status="401") == 1
    decided = {"channel": "app", "decision": reply["decision"], "category": reply["category"]}
    assert delta("hotline_intake_decisions_total", **decided, domain=reply["domain"] or "none") == 1  # not the repeat
    assert _value(after, "hotline_queue_depth", queue="hotline.forward") == 1
    assert _value(after, "hotline_dead_letters", queue="hotline.forward") == 0
    assert _value(after, "hotline_kb_version") == 1
    assert _value(after, "hotline_spool_depth") == 0


async def test_deliveries_are_timed_and_failures_counted(
    make_settings: Any, start_gateway: Any, ticket_core: FakeTicketCore
) -> None:
    settings = core_settings(make_settings, ticket_core)
    client = await start_gateway(settings)
    ticket_core.answer(Answer(status=503, body=json.dumps({"error": "busy"})))  # then 201s
    before = await _scrape(client)
    body = app_message("出租车粤A12345拒载，今天上午9点在广州南站。", "u-delivery")
    assert (await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body))).status == 200
    await drain(settings)  # the worker runs in this process: its counts are this registry's
    after = await _scrape(client)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("hotline_forward_failures_total", receiver="ticket_core", kind="transient") == 1
    assert delta("hotline_forward_seconds_count", receiver="ticket_core", outcome="delivered") == 1
    assert delta("hotline_forward_seconds_count", receiver="ticket_core", outcome="transient") == 1
    assert _value(after, "hotline_queue_depth", queue="hotline.forward") == 0
