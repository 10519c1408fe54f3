"""The operator pages under /admin: auth, negotiation, filters, paging, escaping, headers."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.settings import Settings
from queue_workers.ticket_store import TicketStore
from tests.conftest import TICKET_CORE_SECRET, GatewayStarter
from tests.event_factory import make_event

pytestmark = pytest.mark.e2e

TOKEN = "admin-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
JSON = {**BEARER, "Accept": "application/json"}


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _store(settings: Settings, *events: Any) -> None:
    """Written through a connection of its own, as the worker (another process) would."""
    store = TicketStore(settings.ticket_store_path)
    try:
        for event in events:
            store.add(event)
    finally:
        store.close()


@pytest.fixture
async def admin(settings: Settings, start_gateway: GatewayStarter) -> TestClient[Any, Any]:
    _store(
        settings,
        make_event(1, channel="app", decision="accepted", category="complaint"),
        make_event(
            2,
            channel="wechat",
            decision="answered",
            category="inquiry",
            domain="highway",
            answer={"kb_id": "kb-7", "text": "高速公路通行费标准请查阅公告。"},
        ),
        make_event(3, channel="ivr", decision="rejected", reason="out_of_scope", category=None, domain=None),
    )
    return await start_gateway(settings)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Token {TOKEN}"},
        _basic("operator", "wrong-token"),
        {"Authorization": "Basic not-base64!"},
    ],
    ids=["none", "wrong-bearer", "empty-bearer", "other-scheme", "wrong-basic", "malformed-basic"],
)
@pytest.mark.parametrize("path", ["/admin/tickets", "/admin/tickets/12328-20261128-000001"])
async def test_without_the_token_the_answer_is_401_with_a_basic_challenge(
    admin: TestClient[Any, Any], headers: dict[str, str], path: str
) -> None:
    response = await admin.get(path, headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="hotline admin"')
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["error"] == "unauthorized"
    assert "13800138000" not in await response.text()


@pytest.mark.parametrize("headers", [BEARER, _basic("operator", TOKEN), _basic("", TOKEN)])
async def test_bearer_or_basic_with_the_token_as_password(admin: TestClient[Any, Any], headers: dict[str, str]) -> None:
    response = await admin.get("/admin/tickets", headers=headers)
    assert response.status == 200
    assert "12328-20261128-000001" in await response.text()


async def test_no_token_configured_means_admin_disabled(make_settings: Any, start_gateway: GatewayStarter) -> None:
    client = await start_gateway(make_settings(admin_token=None))
    for headers in ({}, BEARER, _basic("operator", "")):
        response = await client.get("/admin/tickets", headers=headers)
        assert response.status == 403
        assert (await response.json())["error"] == "admin_disabled"


async def test_html_list_with_chinese_labels_and_security_headers(admin: TestClient[Any, Any]) -> None:
    response = await admin.get("/admin/tickets", headers={**BEARER, "Accept": "text/html,*/*;q=0.8"})
    assert response.status == 200
    assert response.content_type == "text/html"
    html = await response.text()
    for label in (
        "移动应用",
        "微信公众号",
        "电话",
        "已受理",
        "即时解答",
        "不予受理",
        "投诉举报",
        "信息咨询",
        "公路",
    ):
        assert label in html
    assert html.index("12328-20261128-000003") < html.index("12328-20261128-000001")
    assert "已配置工单系统" not in html
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # falls back to default-src 'none': no script at all
    nonce = csp.split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'<style nonce="{nonce}">' in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("accept", "json_wanted"),
    [
        ("application/json", True),
        ("application/json, text/plain, */*", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("text/html;q=0.5, application/json", True),
        ("text/html, application/json;q=0.9", False),
        ("*/*", False),
        ("", False),
    ],
)
async def test_json_when_the_client_asks(admin: TestClient[Any, Any], accept: str, json_wanted: bool) -> None:
    response = await admin.get("/admin/tickets", headers={**BEARER, "Accept": accept})
    assert response.status == 200
    assert response.content_type == ("application/json" if json_wanted else "text/html")


async def test_json_filters_and_paging(admin: TestClient[Any, Any]) -> None:
    async def numbers(query: str) -> tuple[int, list[str]]:
        response = await admin.get(f"/admin/tickets?{query}", headers=JSON)
        assert response.status == 200, await response.text()
        data = await response.json()
        return data["total"], [t["event"]["ticket_no"][-1] for t in data["tickets"]]

    assert await numbers("") == (3, ["3", "2", "1"])
    assert await numbers("channel=wechat") == (1, ["2"])
    assert await numbers("decision=rejected") == (1, ["3"])
    assert await numbers("category=complaint") == (1, ["1"])
    assert await numbers("domain=highway") == (1, ["2"])
    assert await numbers("channel=&decision=&category=") == (3, ["3", "2", "1"])  # an empty form
    assert await numbers("ticket_no=12328-20261128-000002") == (1, ["2"])
    assert await numbers("ticket_no=12328-2026") == (3, ["3", "2", "1"])
    assert await numbers("per_page=2") == (3, ["3", "2"])
    assert await numbers("per_page=2&page=2") == (3, ["1"])
    assert await numbers("per_page=2&page=3") == (3, [])


@pytest.mark.parametrize(
    "query",
    ["channel=fax", "decision=maybe", "category=x", "page=0", "page=abc", "per_page=1000", "ticket_no=%25"],
)
async def test_bad_query_is_a_400(admin: TestClient[Any, Any], query: str) -> None:
    response = await admin.get(f"/admin/tickets?{query}", headers=BEARER)
    assert response.status == 400
    assert (await response.json())["error"] == "bad_query"


async def test_html_paging_links_keep_the_filters(admin: TestClient[Any, Any]) -> None:
    response = await admin.get("/admin/tickets?category=&per_page=1&page=2", headers=BEARER)
    html = await response.text()
    assert "第 2 / 3 页" in html
    assert 'href="/admin/tickets?category=&amp;per_page=1&amp;page=1"' in html
    assert 'href="/admin/tickets?category=&amp;per_page=1&amp;page=3"' in html


async def test_one_ticket_whole(admin: TestClient[Any, Any]) -> None:
    response = await admin.get("/admin/tickets/12328-20261128-000002", headers=BEARER)
    assert response.status == 200
    html = await response.text()
    assert "12328-20261128-000002" in html
    assert "13800138000" in html  # operators call the citizen back
    assert "张三" in html
    assert "高速公路通行费标准请查阅公告。" in html
    assert "原始事件 JSON" in html
    assert "&#34;schema&#34;: &#34;hotline.ticket-event/v1&#34;" in html  # pretty, escaped raw event

    as_json = await admin.get("/admin/tickets/12328-20261128-000002", headers=JSON)
    data = await as_json.json()
    assert data["event"]["answer"] == {"kb_id": "kb-7", "text": "高速公路通行费标准请查阅公告。"}
    assert data["forwarding"] == "local_store"
    assert data["stored_at"]


async def test_unknown_ticket_is_404_in_both_forms(admin: TestClient[Any, Any]) -> None:
    html = await admin.get("/admin/tickets/12328-20261128-999999", headers=BEARER)
    assert html.status == 404
    assert "未找到工单" in await html.text()
    as_json = await admin.get("/admin/tickets/12328-20261128-999999", headers=JSON)
    assert as_json.status == 404
    assert (await as_json.json())["error"] == "not_found"


async def test_everything_a_citizen_wrote_is_escaped(settings: Settings, start_gateway: GatewayStarter) -> None:
    script = "<script>alert('x')</script>"
    _store(
        settings,
        make_event(
            1,
            citizen={
                "channel_user_id": '"><img src=x onerror=alert(1)>',
                "name": "<b>张</b>",
                "phone": "13800138000",
            },
            content={
                "text": f"司机态度恶劣 {script}",
                "attachments": [
                    {"kind": "link", "url": "javascript:alert(1)", "name": "<i>点我</i>"},
                    {"kind": "image", "url": "https://cdn.example.com/a.jpg?x=1&y=<2>", "name": "照片"},
                ],
                "location": {"label": "<svg onload=alert(1)>广州南站"},
            },
        ),
    )
    client = await start_gateway(settings)
    pages = [
        await (await client.get("/admin/tickets", headers=BEARER)).text(),
        await (await client.get("/admin/tickets/12328-20261128-000001", headers=BEARER)).text(),
    ]
    for html in pages:
        assert "<script" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    detail = pages[1]
    for raw in ("<b>张</b>", "<img src=x", "<svg", "<i>点我</i>"):
        assert raw not in detail
    assert "&lt;b&gt;张&lt;/b&gt;" in detail
    assert 'href="javascript:' not in detail  # shown as text, never a link
    assert 'href="https://cdn.example.com/a.jpg?x=1&amp;y=&lt;2&gt;"' in detail


async def test_with_a_ticket_core_configured_the_page_says_the_store_is_unused(
    make_settings: Any, start_gateway: GatewayStarter
) -> None:
    settings = make_settings(ticket_core_url="http://127.0.0.1:9/api/tickets", ticket_core_secret=TICKET_CORE_SECRET)
    client = await start_gateway(settings)
    html = await (await client.get("/admin/tickets", headers=BEARER)).text()
    assert "已配置工单系统" in html
    assert "没有符合条件的工单" in html
    data = await (await client.get("/admin/tickets", headers=JSON)).json()
    assert data == {"forwarding": "ticket_core", "total": 0, "page": 1, "per_page": 50, "tickets": []}


async def test_a_token_that_is_not_utf8_is_a_401_not_a_500(admin: TestClient[Any, Any]) -> None:
    reader, writer = await asyncio.open_connection(admin.host, admin.port)
    try:
        writer.write(
            b"GET /admin/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \xff\xfe\r\n"
            b"Connection: close\r\n\r\n"
        )
        await writer.drain()
        status_line = await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()
    assert status_line.split()[1] == b"401"
