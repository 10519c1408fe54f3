"""The web-form channel without HTTP: multipart decoding, CSRF, validation messages, parsing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web

from channels.base import ChannelServices, Inbound, InvalidPayload, UnsupportedMediaType
from channels.form_body import MAX_PARTS, decode_form, parse_multipart
from channels.webform import CSRF_TTL_S, CsrfExpired, CsrfFailed, FormInvalid, WebFormChannel, read_cookie
from channels.webform_pages import FormPages
from domain import Category, Deadlines, DecisionKind, Domain, IntakeReply
from gateway.signing import Signer
from tests.webform_support import BOUNDARY, SCRIPT, image_bytes, multipart_body

RECEIVED = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)
COOKIE = "c" * 43
REQUEST_ID = "3b0f6a4e-9a3c-4d2b-8f1e-2c5d7e9a1b3c"


class _Nonces:
    async def use_once(self, scope: str, token: str, ttl_s: int) -> bool:
        return True


class _Settings:
    upload_max_bytes = 64 * 1024
    base_url = "http://127.0.0.1:8328"


@pytest.fixture
def channel() -> WebFormChannel:
    services = ChannelServices(nonces=_Nonces(), signer=Signer(b"s" * 32))
    return WebFormChannel.from_settings(_Settings(), services)


def _inbound(
    body: bytes,
    *,
    cookie: str | None = COOKIE,
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}",
    received_at: datetime = RECEIVED,
) -> Inbound:
    headers = {"Content-Type": content_type}
    if cookie is not None:
        headers["Cookie"] = f"theme=dark; hotline_form={cookie}; other=1"
    return Inbound(
        method="POST",
        path="/form",
        query={},
        headers=headers,
        body=body,
        client="203.0.113.9",
        received_at=received_at,
        content_type=content_type.split(";")[0],
    )


def _fields(**overrides: str) -> dict[str, str]:
    fields = {
        "request_id": REQUEST_ID,
        "category": "inquiry",
        "domain": "highway",
        "description": "高速公路服务区充电桩收费标准是什么？",
        "name": "",
        "phone": "",
        "place": "",
        "occurred_at": "",
    }
    fields.update(overrides)
    return fields


def test_read_cookie() -> None:
    assert read_cookie("a=1; hotline_form=xyz; b=2", "hotline_form") == "xyz"
    assert read_cookie("hotline_form_x=1", "hotline_form") is None
    assert read_cookie(None, "hotline_form") is None


async def test_valid_token_passes(channel: WebFormChannel) -> None:
    token = channel.csrf_token(COOKIE, RECEIVED.timestamp() - 60)
    await channel.verify(_inbound(multipart_body(_fields(csrf_token=token))))


@pytest.mark.parametrize(
    ("cookie", "token_for", "issued_delta", "cookie_missing"),
    [
        (None, COOKIE, 0, True),  # no cookie at all
        (COOKIE, "d" * 43, 0, False),  # token made for another client
        (COOKIE, None, 0, False),  # no token
        ("short", "short", 0, False),  # a cookie we never issue
        (COOKIE, COOKIE, 3600, False),  # issued in the future
    ],
)
async def test_bad_tokens_are_refused(
    channel: WebFormChannel,
    cookie: str | None,
    token_for: str | None,
    issued_delta: int,
    cookie_missing: bool,
) -> None:
    fields = _fields()
    if token_for is not None:
        fields["csrf_token"] = channel.csrf_token(token_for, RECEIVED.timestamp() + issued_delta)
    with pytest.raises(CsrfFailed) as caught:
        await channel.verify(_inbound(multipart_body(fields), cookie=cookie))
    assert caught.value.status == 403
    assert caught.value.cookie_missing is cookie_missing


@pytest.mark.parametrize("token", ["", "abc", "1.2", "١٢٣.签名签名", "9" * 13 + "." + "a" * 43])
async def test_malformed_tokens_fail_cleanly(channel: WebFormChannel, token: str) -> None:
    with pytest.raises(CsrfFailed):
        await channel.verify(_inbound(multipart_body(_fields(csrf_token=token))))


async def test_tampered_token_is_refused(channel: WebFormChannel) -> None:
    token = channel.csrf_token(COOKIE, RECEIVED.timestamp())
    issued, signature = token.split(".")
    for forged in (f"{int(issued) + 1}.{signature}", f"{issued}.{signature[::-1]}"):
        with pytest.raises(CsrfFailed):
            await channel.verify(_inbound(multipart_body(_fields(csrf_token=forged))))


async def test_expired_token_gives_the_input_back(channel: WebFormChannel) -> None:
    token = channel.csrf_token(COOKIE, RECEIVED.timestamp() - CSRF_TTL_S - 1)
    body = multipart_body(_fields(csrf_token=token, name="赵六"), [("photos", "a.png", "image/png", image_bytes())])
    with pytest.raises(CsrfExpired) as caught:
        await channel.verify(_inbound(body))
    assert caught.value.values["name"] == "赵六"
    assert caught.value.values["request_id"] == REQUEST_ID
    assert caught.value.photos_to_reselect == 1


def test_parse_recorded_chromium_body(channel: WebFormChannel) -> None:
    png = image_bytes()
    body = multipart_body(
        _fields(
            category="complaint",
            domain="urban_transit",
            phone="138 0013 8000",
            occurred_at="2026-11-27T20:15",
        ),
        [
            ("photos", "相册/现场 照片.txt", "text/plain", png),
            ("photos", "", "application/octet-stream", b""),
        ],
    )
    form = channel.parse(_inbound(body))
    assert form.category is Category.COMPLAINT
    assert form.domain is Domain.URBAN_TRANSIT
    assert str(form.request_id) == REQUEST_ID
    assert form.occurred_at == datetime(2026, 11, 27, 20, 15)
    (photo,) = form.photos  # the empty file input is not a photo
    assert (photo.mime, photo.size, photo.data, photo.filename) == (
        "image/png",
        len(png),
        png,
        "相册/现场 照片.txt",
    )


def test_parse_urlencoded(channel: WebFormChannel) -> None:
    body = urlencode(_fields(name="李四")).encode()
    form = channel.parse(_inbound(body, content_type="application/x-www-form-urlencoded"))
    assert form.name == "李四"
    assert form.photos == ()


def _errors(channel: WebFormChannel, fields: dict[str, str], files: list[Any] | None = None) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        channel.parse(_inbound(multipart_body(fields, files or [])))
    assert caught.value.status == 422
    return caught.value.fields


def test_empty_form_gets_chinese_messages(channel: WebFormChannel) -> None:
    errors = _errors(channel, {})
    assert errors == {
        "category": "请选择诉求类别（咨询、投诉或建议）",
        "description": "请填写问题描述（至少10个字）",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "太短了", "请填写问题描述（至少10个字）"),
        ("description", "\u200b" * 20 + "短", "请填写问题描述（至少10个字）"),
        ("description", "长" * 5001, "问题描述不能超过5000个字（现有5001个字）"),
        ("category", "praise", "请选择诉求类别（咨询、投诉或建议）"),
        ("domain", "railway", "请选择列表中的业务领域"),
        ("phone", "12345", "手机号码格式不正确（固定电话请加区号）"),
        ("phone", "87654321", "手机号码格式不正确（固定电话请加区号）"),
        ("phone", "1380013800x", "手机号码格式不正确（固定电话请加区号）"),
        ("name", "名" * 51, "姓名不能超过50个字"),
        ("place", "地" * 201, "事发地点不能超过200个字"),
        ("occurred_at", "昨天晚上", "事发时间格式不正确"),
        ("occurred_at", "2026-13-40T25:00", "事发时间格式不正确"),
        ("occurred_at", "2027-01-01T08:00", "事发时间不能晚于当前时间"),
        ("occurred_at", "1999-12-31T23:59", "事发时间不正确，请检查年份"),
    ],
)
def test_field_messages(channel: WebFormChannel, field: str, value: str, message: str) -> None:
    assert _errors(channel, _fields(**{field: value})) == {field: message}


@pytest.mark.parametrize(
    "phone", ["13800138000", "+86 139-0000-1111", "010-12345678", "0755 8888 6666", "0871-6123456"]
)
def test_accepted_phones(channel: WebFormChannel, phone: str) -> None:
    assert channel.parse(_inbound(multipart_body(_fields(phone=phone)))).phone == phone


def test_photo_errors(channel: WebFormChannel) -> None:
    png = image_bytes()
    too_many = [("photos", f"{n}.png", "image/png", png) for n in range(4)]
    assert _errors(channel, _fields(), too_many) == {"photos": "最多上传3张照片（您选择了4张）"}
    script = [("photos", "a.png", "image/png", png), ("photos", "photo.jpg", "image/jpeg", SCRIPT)]
    assert _errors(channel, _fields(), script) == {"photos": "第2张照片：只能上传JPG、PNG、WebP或GIF格式的图片"}
    big = [("photos", "big.png", "image/png", png + b"\0" * (64 * 1024))]
    assert _errors(channel, _fields(), big) == {"photos": "第1张照片：单张照片不能超过64KB"}


def test_valid_photos_must_be_chosen_again_after_other_errors(channel: WebFormChannel) -> None:
    with pytest.raises(FormInvalid) as caught:
        channel.parse(
            _inbound(multipart_body(_fields(description=""), [("photos", "a.png", "image/png", image_bytes())]))
        )
    assert caught.value.photos_to_reselect == 1
    assert caught.value.values["description"] == ""


def test_missing_request_id_alone_is_reported(channel: WebFormChannel) -> None:
    fields = _fields()
    del fields["request_id"]
    assert _errors(channel, fields) == {"request_id": "页面已失效，请重新提交"}
    assert "request_id" not in _errors(channel, {**fields, "description": ""})


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"garbage",
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end'.encode(),
        f"--{BOUNDARY}\r\n\r\nheaderless\r\n--{BOUNDARY}--\r\n".encode(),
        f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
        f'--{BOUNDARY}\nContent-Disposition: form-data; name="a"\n\nlf only\n--{BOUNDARY}--\n'.encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\n'.encode()
        + b"\xff\xfe"
        + f"\r\n--{BOUNDARY}--\r\n".encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: attachment; name="a"\r\n\r\nx\r\n--{BOUNDARY}--\r\n'.encode(),
        f"--{BOUNDARY}\r\nno colon here\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
        f"preamble--{BOUNDARY}\r\n".encode(),
        b"".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\nx\r\n'.encode()
            for n in range(MAX_PARTS + 1)
        )
        + f"--{BOUNDARY}--\r\n".encode(),
    ],
    ids=[
        "empty",
        "garbage",
        "unterminated",
        "no-headers",
        "no-disposition",
        "lf-only",
        "not-utf8",
        "not-form-data",
        "bad-header",
        "preamble-without-crlf",
        "too-many-parts",
    ],
)
def test_malformed_multipart_is_a_400(body: bytes) -> None:
    with pytest.raises(InvalidPayload) as caught:
        decode_form(_inbound(body))
    assert caught.value.status == 400


def test_multipart_without_boundary_and_other_types() -> None:
    with pytest.raises(InvalidPayload):
        decode_form(_inbound(b"", content_type="multipart/form-data"))
    with pytest.raises(UnsupportedMediaType):
        decode_form(_inbound(b"{}", content_type="application/json"))
    with pytest.raises(InvalidPayload):
        decode_form(_inbound(b"a=%ff%fe", content_type="application/x-www-form-urlencoded"))


def test_multipart_details() -> None:
    body = (
        "preamble ignored\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="quoted"; filename="a \\"b\\".png"\r\n'
        "Content-Type: image/png\r\n\r\n"
        "x\r\n"
        f"--{BOUNDARY}\r\n"
        "Content-Disposition: form-data; name=\"ext\"; filename*=UTF-8''%E7%85%A7%E7%89%87.jpg\r\n\r\n"
        "y\r\n"
        f"--{BOUNDARY}\r\n"
        'content-disposition: FORM-DATA; name="text"\r\n\r\n'
        f"line one\r\nline two --{BOUNDARY}x\r\n"
        f"--{BOUNDARY}--\r\nepilogue ignored"
    ).encode()
    form = parse_multipart(body, BOUNDARY)
    assert [(f.name, f.filename, f.declared_type, f.data) for f in form.files] == [
        ("quoted", 'a "b".png', "image/png", b"x"),
        ("ext", "照片.jpg", "", b"y"),
    ]
    assert form.fields == {"text": [f"line one\r\nline two --{BOUNDARY}x"]}


def test_csrf_token_carries_its_issue_time(channel: WebFormChannel) -> None:
    now = time.time()
    issued, _ = channel.csrf_token(COOKIE, now).split(".")
    assert int(issued) == int(now)


def test_pages_load_with_autoescape() -> None:
    pages = FormPages.load(5 * 1024 * 1024)
    response = pages.error(400, "<b>标题</b>", "<script>x</script>")
    assert response.text is not None
    assert "<script>x</script>" not in response.text
    assert "&lt;script&gt;x&lt;/script&gt;" in response.text


@pytest.mark.parametrize("decision", list(DecisionKind))
def test_result_page_for_every_decision(channel: WebFormChannel, decision: DecisionKind) -> None:
    shanghai = timezone(timedelta(hours=8))
    reply = IntakeReply(
        ticket_no="12328-20261128-000042",
        decision=decision,
        category=Category.COMPLAINT,
        domain=Domain.MARITIME,
        urgent=False,
        message="<b>说明</b>",
        answer="<i>答复</i>" if decision is DecisionKind.ANSWERED else None,
        missing_facts=("事发时间",) if decision is DecisionKind.NEEDS_INFO else (),
        deadlines=Deadlines(
            transfer_by=datetime(2026, 11, 29, 9, tzinfo=shanghai),
            reply_by=datetime(2026, 12, 11, 17, tzinfo=shanghai),
            calendar="official",
        ),
        duplicate=True,
    )
    response = channel.reply(reply)
    assert isinstance(response, web.Response)
    html = response.text or ""
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert 'id="ticket-no">12328-20261128-000042<' in html
    assert "&lt;b&gt;说明&lt;/b&gt;" in html
    assert "2026年12月11日前" in html
    assert "海事" in html
    assert "您已提交过" in html
    assert ("&lt;i&gt;答复&lt;/i&gt;" in html) is (decision is DecisionKind.ANSWERED)
    assert ("事发时间" in html) is (decision is DecisionKind.NEEDS_INFO)
