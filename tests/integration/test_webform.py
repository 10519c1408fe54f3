"""The web form through the real app, pipeline and Redis: what a citizen's browser sends and sees."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from channels.webform import CSRF_TTL_S, WebFormChannel
from gateway import keys
from gateway.app import create_app
from gateway.pipeline import ServiceUnavailable, StillInProgress
from gateway.settings import Settings
from tests.forwarding_support import queued_events
from tests.webform_support import BOUNDARY, SCRIPT, hidden_fields, image_bytes, multipart_body

Client = TestClient[web.Request, web.Application]
PAYLOAD = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
VALID: dict[str, str] = {
    "category": "complaint",
    "domain": "urban_transit",
    "description": "出租车司机拒载，车牌粤A12345，态度恶劣。",
    "name": "张三",
    "phone": "+86 138-0013-8000",
    "place": "广州南站东广场",
    "occurred_at": "2026-01-05T20:15",
}


@contextlib.asynccontextmanager
async def _serve(settings: Settings) -> AsyncIterator[Client]:
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client


async def _open_form(client: Client) -> tuple[str, str]:
    response = await client.get("/form")
    assert response.status == 200
    return hidden_fields(await response.text())


def _form_data(fields: dict[str, str], photos: Sequence[tuple[str, str, bytes]] = ()) -> FormData:
    data = FormData()
    for name, value in fields.items():
        data.add_field(name, value)
    for filename, content_type, content in photos:
        data.add_field("photos", content, filename=filename, content_type=content_type)
    return data


async def _submit(
    client: Client,
    fields: dict[str, str] | None = None,
    photos: Sequence[tuple[str, str, bytes]] = (),
) -> tuple[int, str, Any]:
    token, request_id = await _open_form(client)
    values = {"csrf_token": token, "request_id": request_id, **VALID, **(fields or {})}
    response = await client.post("/form", data=_form_data(values, photos))
    return response.status, await response.text(), response


def _ticket_no(html: str) -> str:
    match = re.search(r'id="ticket-no">(12328-\d{8}-\d{6})<', html)
    assert match is not None, html
    return match.group(1)


def _cookie(client: Client) -> str:
    return next(cookie.value for cookie in client.session.cookie_jar if cookie.key == "hotline_form")


async def test_form_page_has_csrf_token_and_security_headers(client: Client) -> None:
    response = await client.get("/form")
    html = await response.text()
    assert response.status == 200
    assert response.content_type == "text/html"
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"style-src 'nonce-([A-Za-z0-9_-]+)'", csp)
    assert nonce is not None
    assert f'<style nonce="{nonce.group(1)}">' in html
    assert "script-src" not in csp
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=Strict" in set_cookie
    token, request_id = hidden_fields(html)
    assert re.fullmatch(r"\d+\.[A-Za-z0-9_-]{43}", token)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", request_id)
    assert '<html lang="zh-CN">' in html
    assert 'name="viewport"' in html
    assert 'enctype="multipart/form-data"' in html
    for label in (
        "咨询",
        "投诉",
        "建议",
        "公路",
        "水路",
        "道路运输",
        "城市客运",
        "海事",
        "救助打捞",
        "海上搜救",
    ):
        assert label in html
    for field in ("description", "name", "phone", "place", "occurred_at", "photos", "domain", "category"):
        assert f'name="{field}"' in html
    assert "<script" not in html


async def test_each_visit_gets_a_new_request_id_and_keeps_the_cookie(client: Client) -> None:
    first = await _open_form(client)
    cookie = _cookie(client)
    second = await _open_form(client)
    assert first[1] != second[1]
    assert _cookie(client) == cookie


async def test_valid_submission_is_queued_once_with_its_photo(
    client: Client, redis_client: redis.Redis, settings: Settings
) -> None:
    photo = image_bytes("PNG", (48, 32))
    token, request_id = await _open_form(client)
    values = {"csrf_token": token, "request_id": request_id, **VALID}
    response = await client.post("/form", data=_form_data(values, [("现场.txt", "text/plain", photo)]))
    html = await response.text()
    assert response.status == 200, html
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    ticket_no = _ticket_no(html)
    assert "提交成功" in html
    assert "10个工作日" in html
    assert 'href="/form"' in html

    (event,) = queued_events(redis_client)
    assert event.ticket_no == ticket_no
    assert event.channel == "webform"
    assert event.idempotency_key == request_id
    assert event.source.request_id == request_id
    assert event.category == "complaint"
    assert event.domain == "urban_transit"
    assert event.decision == "accepted"
    assert event.citizen.name == "张三"
    assert event.citizen.phone == "13800138000"
    assert event.content.text == VALID["description"]
    assert event.content.location is not None
    assert event.content.location.label == "广州南站东广场"
    assert event.content.occurred_at is not None
    assert event.content.occurred_at.isoformat() == "2026-01-05T20:15:00+08:00"
    assert event.received_at.isoformat().endswith("+08:00")
    (attachment,) = event.content.attachments
    assert (attachment.kind, attachment.mime, attachment.size, attachment.name) == (
        "image",
        "image/png",
        len(photo),
        "现场.png",  # named for what it is, not what its name said
    )
    assert attachment.url is not None
    assert attachment.url.startswith(f"{settings.base_url}/files/")
    assert "现场" not in attachment.url

    url = urlsplit(attachment.url)
    fetched = await client.get(f"{url.path}?{url.query}")
    assert fetched.status == 200
    assert await fetched.read() == photo
    assert fetched.headers["Content-Type"] == "image/png"
    assert fetched.headers["X-Content-Type-Options"] == "nosniff"
    assert fetched.headers["Content-Disposition"].startswith("inline")


async def test_urlencoded_submission_without_photos(client: Client, redis_client: redis.Redis) -> None:
    token, request_id = await _open_form(client)
    values = {"csrf_token": token, "request_id": request_id, **VALID, "category": "inquiry", "domain": ""}
    response = await client.post("/form", data=values)  # a dict is sent urlencoded
    html = await response.text()
    assert response.status == 200, html
    (event,) = queued_events(redis_client)
    assert event.ticket_no == _ticket_no(html)
    # A plate and a refusal to carry: the policy files a complaint whatever box was ticked.
    assert (event.category, event.domain, event.content.attachments) == ("complaint", "urban_transit", ())


async def test_empty_post_shows_chinese_field_errors(client: Client, redis_client: redis.Redis) -> None:
    token, _ = await _open_form(client)
    response = await client.post("/form", data=_form_data({"csrf_token": token}))
    html = await response.text()
    assert response.status == 422
    assert response.content_type == "text/html"
    assert "请修改以下2处内容后重新提交" in html
    assert "请选择诉求类别" in html
    assert "请填写问题描述（至少10个字）" in html
    assert 'aria-invalid="true"' in html
    hidden_fields(html)  # a fresh token and request_id to send it again with
    assert queued_events(redis_client) == []


async def test_invalid_post_keeps_the_citizens_input(client: Client, redis_client: redis.Redis) -> None:
    status, html, _ = await _submit(
        client, {"phone": "12345", "description": "站台上的电梯坏了一个星期", "place": "体育西路站B口"}
    )
    assert status == 422
    assert "手机号码格式不正确" in html
    assert ">站台上的电梯坏了一个星期</textarea>" in html
    assert 'value="体育西路站B口"' in html
    assert 'value="张三"' in html
    assert 'value="12345"' in html
    assert 'value="2026-01-05T20:15"' in html
    assert re.search(r'value="complaint"\s+checked', html)
    assert re.search(r'value="urban_transit"\s+selected', html)
    assert queued_events(redis_client) == []


async def test_resubmitting_after_errors_reuses_the_request_id(client: Client, redis_client: redis.Redis) -> None:
    _, first_request_id = await _open_form(client)
    token, _ = await _open_form(client)
    values = {"csrf_token": token, "request_id": first_request_id, **VALID, "description": "太短"}
    response = await client.post("/form", data=_form_data(values))
    assert response.status == 422
    token, request_id = hidden_fields(await response.text())
    assert request_id == first_request_id
    fixed = {"csrf_token": token, "request_id": request_id, **VALID}
    response = await client.post("/form", data=_form_data(fixed))
    assert response.status == 200
    assert [e.idempotency_key for e in queued_events(redis_client)] == [first_request_id]


async def test_everything_typed_is_escaped(client: Client, redis_client: redis.Redis) -> None:
    fields = dict.fromkeys(("category", "domain", "description", "name", "phone", "place", "occurred_at"), PAYLOAD)
    token, _ = await _open_form(client)
    response = await client.post("/form", data=_form_data({"csrf_token": token, "request_id": PAYLOAD, **fields}))
    html = await response.text()
    assert response.status == 422
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert 'value=""><' not in html
    # description (textarea), name, phone, place and occurred_at (value attributes) come back escaped
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 5
    assert PAYLOAD not in html

    accepted = {"description": f"司机说：{PAYLOAD}", "name": "<script>alert(1)</script>", "place": PAYLOAD}
    status, html, _ = await _submit(client, accepted, [(f"{PAYLOAD}.png", "image/png", image_bytes())])
    assert status == 200, html
    assert "<script>" not in html
    assert "<img src=x" not in html
    (event,) = queued_events(redis_client)
    assert event.citizen.name == "<script>alert(1)</script>"  # stored as typed: escaping is for pages
    assert event.content.attachments[0].name is not None
    assert "<" not in event.content.attachments[0].name


@pytest.mark.parametrize("case", ["no_cookie", "other_cookie", "tampered", "no_token", "foreign_token"])
async def test_bad_csrf_is_refused_with_a_page(client: Client, redis_client: redis.Redis, case: str) -> None:
    token, request_id = await _open_form(client)
    values = {"csrf_token": token, "request_id": request_id, **VALID}
    headers: dict[str, str] = {}
    if case == "no_cookie":
        client.session.cookie_jar.clear()
    elif case == "other_cookie":
        client.session.cookie_jar.clear()
        headers["Cookie"] = "hotline_form=" + "x" * 43
    elif case == "tampered":
        issued, signature = token.split(".")
        values["csrf_token"] = f"{int(issued) + 1}.{signature}"
    elif case == "no_token":
        del values["csrf_token"]
    elif case == "foreign_token":
        channel = client.app[keys.CHANNELS]["webform"]
        assert isinstance(channel, WebFormChannel)
        values["csrf_token"] = channel.csrf_token("y" * 43, time.time())
    response = await client.post("/form", data=_form_data(values), headers=headers)
    html = await response.text()
    assert response.status == 403
    assert response.content_type == "text/html"
    assert "页面已失效" in html
    assert 'href="/form"' in html
    assert ("Cookie" in html) is (case == "no_cookie")
    assert queued_events(redis_client) == []


async def test_expired_token_gives_the_form_back_filled_in(client: Client, redis_client: redis.Redis) -> None:
    _, request_id = await _open_form(client)
    channel = client.app[keys.CHANNELS]["webform"]
    assert isinstance(channel, WebFormChannel)
    old_token = channel.csrf_token(_cookie(client), time.time() - CSRF_TTL_S - 60)
    values = {"csrf_token": old_token, "request_id": request_id, **VALID}
    response = await client.post("/form", data=_form_data(values))
    html = await response.text()
    assert response.status == 403
    assert "已为您保留填写的内容" in html
    assert f">{VALID['description']}</textarea>" in html
    assert hidden_fields(html)[1] == request_id
    assert queued_events(redis_client) == []


async def test_repeated_submission_shows_the_same_ticket(client: Client, redis_client: redis.Redis) -> None:
    token, request_id = await _open_form(client)
    values = {"csrf_token": token, "request_id": request_id, **VALID}
    first = await client.post("/form", data=_form_data(values))
    second = await client.post("/form", data=_form_data(values))
    first_html, second_html = await first.text(), await second.text()
    assert (first.status, second.status) == (200, 200)
    assert _ticket_no(first_html) == _ticket_no(second_html)
    assert "您已提交过" not in first_html
    assert "您已提交过" in second_html
    assert len(queued_events(redis_client)) == 1


async def test_oversized_body_is_refused(make_settings: Any, redis_client: redis.Redis) -> None:
    settings = make_settings(form_max_bytes=64 * 1024)
    async with _serve(settings) as client:
        big = image_bytes("PNG", (8, 8)) + b"\0" * (100 * 1024)
        status, html, response = await _submit(client, photos=[("big.png", "image/png", big)])
        assert status == 413
        assert response.content_type == "text/html"
        assert "提交的内容过大" in html

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
            for _ in range(20):
                yield b"x" * 8192

        response = await client.post(
            "/form", data=chunks(), headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        )
        assert response.status == 413
    assert queued_events(redis_client) == []


async def test_photo_errors_are_field_errors(make_settings: Any, redis_client: redis.Redis) -> None:
    settings = make_settings(upload_max_bytes=16 * 1024)
    async with _serve(settings) as client:
        png = image_bytes()
        status, html, _ = await _submit(client, photos=[(f"{n}.png", "image/png", png) for n in range(4)])
        assert status == 422
        assert "最多上传3张照片" in html

        status, html, _ = await _submit(client, photos=[("a.png", "image/png", png), ("b.jpg", "image/jpeg", SCRIPT)])
        assert status == 422
        assert "第2张照片：只能上传JPG、PNG、WebP或GIF格式的图片" in html
        assert "您之前选择的2张照片未能保留，请重新选择" in html

        big = image_bytes("PNG", (8, 8)) + b"\0" * (20 * 1024)
        status, html, _ = await _submit(client, photos=[("big.png", "image/png", big)])
        assert status == 422
        assert "单张照片不能超过16KB" in html
    assert queued_events(redis_client) == []
    uploads = settings.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.rglob("*.*")), "photos of a refused form were stored"


# (file name as the browser sent it, content, name on the ticket or None when the form is refused)
UPLOAD_NAMES: list[tuple[str, bytes, str | None]] = [
    ("../../etc/passwd.png", image_bytes("PNG"), "passwd.png"),
    # A quoted file name reads `\\` as an escape (RFC 7578 quoted-string): Windows paths lose theirs.
    ("..\\..\\Windows\\win.ini", image_bytes("PNG"), "Windowswin.png"),
    ("C:\\fakepath\\现场.jpg", image_bytes("JPEG"), "Cfakepath现场.jpg"),
    ("invoice.exe", image_bytes("PNG"), "invoice.png"),
    ("投诉材料.pdf.exe", image_bytes("JPEG"), "投诉材料.pdf.jpg"),
    ("\u202egnp.exe", image_bytes("PNG"), "gnp.png"),
    ("photo.jpg\x00.exe", image_bytes("JPEG"), "photo.jpg.jpg"),
    ("page.html", image_bytes("GIF"), "page.gif"),
    ("photo.png", b"MZ\x90\x00\x03" + b"\x00" * 200, None),
    ("photo.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, None),
    ("photo.png", SCRIPT, None),
    ("map.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', None),
    ("photo.gif", b"<html><script>alert(1)</script></html>", None),
]


@pytest.mark.parametrize(("filename", "content", "shown"), UPLOAD_NAMES, ids=[row[0] for row in UPLOAD_NAMES])
async def test_upload_names_never_reach_the_disk_and_programs_are_refused(
    client: Client, redis_client: redis.Redis, settings: Settings, filename: str, content: bytes, shown: str | None
) -> None:
    # Raw bytes as a hand-made request sends them (aiohttp's own encoder refuses a NUL in a name).
    token, request_id = await _open_form(client)
    body = multipart_body(
        {"csrf_token": token, "request_id": request_id, **VALID},
        [("photos", filename, "application/octet-stream", content)],
    )
    response = await client.post(
        "/form", data=body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    )
    status, html = response.status, await response.text()
    uploads = settings.data_dir / "uploads"
    stored = sorted(path.relative_to(uploads).as_posix() for path in uploads.rglob("*") if path.is_file())
    if shown is None:
        assert status == 422
        assert "只能上传JPG、PNG、WebP或GIF格式的图片" in html
        assert queued_events(redis_client) == []
        assert stored == []
        return
    assert status == 200, html
    (event,) = queued_events(redis_client)
    (attachment,) = event.content.attachments
    assert attachment.name == shown
    # One file, named by the gateway (shard/random id.type), nothing the browser sent in its path.
    (path,) = stored
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}\.(?:png|jpg|gif)", path), path
    assert path.endswith(shown.rsplit(".", 1)[1])


async def test_rate_limit_per_client(make_settings: Any, redis_client: redis.Redis) -> None:
    async with _serve(make_settings(form_rate_limit=2, form_rate_window_s=600)) as client:
        for _ in range(2):
            status, _, _ = await _submit(client, {"description": "太短"})
            assert status == 422
        status, html, response = await _submit(client)
        assert status == 429
        assert response.content_type == "text/html"
        assert 1 <= int(response.headers["Retry-After"]) <= 600
        assert "提交过于频繁" in html
        assert "12328" in html
        form = await client.get("/form")  # reading the form is never limited
        assert form.status == 200
    assert queued_events(redis_client) == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),
        (f"multipart/form-data; boundary={BOUNDARY}", b"not multipart at all"),
        (f"multipart/form-data; boundary={BOUNDARY}", f"--{BOUNDARY}\r\nContent-Disp".encode()),
        (f"multipart/form-data; boundary={BOUNDARY}", multipart_body({"a": "b"})[:-30]),
        (f"multipart/form-data; boundary={BOUNDARY}", b"\xff" * 1000),
        ("application/x-www-form-urlencoded", b"description=%ff%fe%fd"),
        ("text/plain", b"description=hello"),
        ("application/json", b'{"description": "hello"}'),
    ],
)
async def test_malformed_bodies_are_4xx_pages(
    client: Client, redis_client: redis.Redis, content_type: str, body: bytes
) -> None:
    await _open_form(client)  # has the cookie: the body itself is what is wrong
    response = await client.post("/form", data=body, headers={"Content-Type": content_type})
    assert 400 <= response.status < 500
    assert response.content_type == "text/html"
    assert 'href="/form"' in await response.text()
    assert queued_events(redis_client) == []


async def test_pipeline_outage_renders_a_page_and_acknowledges_nothing(
    client: Client, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unavailable(intake: Any) -> Any:
        raise ServiceUnavailable

    async def in_progress(intake: Any) -> Any:
        raise StillInProgress

    pipeline = client.app[keys.PIPELINE]
    monkeypatch.setattr(pipeline, "submit", unavailable)
    status, html, response = await _submit(client, photos=[("a.png", "image/png", image_bytes())])
    assert status == 503
    assert response.content_type == "text/html"
    assert response.headers["Retry-After"] == str(ServiceUnavailable.retry_after_s)
    assert "系统繁忙" in html
    assert f">{VALID['description']}</textarea>" in html
    assert "ticket-no" not in html

    monkeypatch.setattr(pipeline, "submit", in_progress)
    status, html, response = await _submit(client)
    assert status == 409
    assert "Retry-After" in response.headers
    assert "不会重复登记" in html
    assert queued_events(redis_client) == []


async def test_a_redis_outage_at_the_rate_limiter_does_not_turn_the_citizen_away(
    client: Client, monkeypatch: pytest.MonkeyPatch, redis_client: redis.Redis
) -> None:
    async def down(subject: str, now: float) -> int:
        raise redis.exceptions.ConnectionError("down")

    monkeypatch.setattr(client.app[keys.FORM_RATE_LIMITER], "hit", down)
    status, html, _ = await _submit(client)
    assert status == 200
    assert "12328-" in html
    assert len(queued_events(redis_client)) == 1


async def test_file_urls_are_signed_and_expire(client: Client) -> None:
    store = client.app[keys.UPLOADS]
    stored = await store.save(image_bytes("JPEG"))
    good = urlsplit(store.signed_url(stored.upload_id, now=time.time()))
    ok = await client.get(f"{good.path}?{good.query}")
    assert ok.status == 200
    assert ok.headers["Content-Type"] == "image/jpeg"

    expired = urlsplit(store.signed_url(stored.upload_id, now=time.time() - 10**8))
    assert (await client.get(f"{expired.path}?{expired.query}")).status == 403
    assert (await client.get(good.path)).status == 403
    assert (await client.get(f"{good.path}?{good.query.replace('sig=', 'sig=A')}")).status == 403

    unknown_id = "0" * 32 + ".png"
    unknown = urlsplit(store.signed_url(unknown_id, now=time.time()))
    assert (await client.get(f"{unknown.path}?{unknown.query}")).status == 404
    assert (await client.get("/files/..%2Fsecret_key")).status == 404
    assert (await client.get("/files/secret_key")).status == 404


async def test_form_routes_absent_when_the_channel_is_off(make_settings: Any) -> None:
    async with _serve(make_settings(channels=["app"])) as client:
        assert (await client.get("/form")).status == 404
        assert (await client.get("/files/" + "0" * 32 + ".png")).status == 403


async def test_the_policy_decides_what_the_form_page_says(client: Client, redis_client: redis.Redis) -> None:
    # Another hotline's business: the page says where to go, and the event is archived.
    status, html, _ = await _submit(client, {"category": "complaint", "description": "寄的快递丢件了，快递员不接电话"})
    assert status == 200, html
    assert "无法受理" not in html
    assert "12305" in html
    # A complaint without facts (no place, no time in the form either): the page lists what is
    # missing, in Chinese.
    status, html, _ = await _submit(
        client,
        {
            "category": "complaint",
            "description": "公交车司机开得太猛了，急刹车差点把我摔倒",
            "place": "",
            "occurred_at": "",
        },
    )
    assert status == 200, html
    assert "还需要您补充" in html
    assert "<li>线路</li>" in html
    decisions = [(event.decision, event.redirect) for event in queued_events(redis_client)]
    assert decisions == [("redirected", "postal"), ("needs_info", None)]
