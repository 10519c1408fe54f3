"""Routes of the web form (`GET/POST /form`) and of the uploaded photos (`GET /files/{id}`).

The form is for people, so every outcome is an HTML page in Chinese, never the JSON the API routes
answer with. Order of work on a submission, cheapest refusal first: rate limit (before the body is
read), bounded body read (413), CSRF, validation (422, input kept), photos stored, then the intake
pipeline — which acknowledges only once the event is queued (503 otherwise, nothing acknowledged).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Mapping

import redis.exceptions
from aiohttp import web

from channels.base import ChannelError
from channels.webform import (
    CSRF_COOKIE_MAX_AGE_S,
    CsrfExpired,
    CsrfFailed,
    FormInvalid,
    WebFormChannel,
    form_input,
)
from channels.webform_model import PhotoUpload, WebForm
from channels.webform_pages import FormView
from gateway import keys
from gateway.http import PayloadTooLarge, channel_of, client_address, json_error, rate_subject, read_inbound
from gateway.pipeline import ServiceUnavailable, StillInProgress
from gateway.uploads import UploadRejected

log = logging.getLogger(__name__)

routes = web.RouteTableDef()
file_routes = web.RouteTableDef()

_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_BACK = "请返回表单页面重新填写并提交。"
_RETRY_S = ServiceUnavailable.retry_after_s
_BUSY = "系统繁忙，您的反映暂未提交成功。已为您保留填写的内容，请稍后再次点击“提交”。"
_IN_PROGRESS = "您的反映正在提交中，请稍候几秒再次点击“提交”，不会重复登记。"


def _masked(client: str) -> str:
    """A client address fit for a log line (第七条): the network, never the host."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return "unknown"
    prefix = 16 if address.version == 4 else 32
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _form_page(
    request: web.Request,
    channel: WebFormChannel,
    *,
    status: int = 200,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
    photos_to_reselect: int = 0,
    retry_after_s: int | None = None,
) -> web.Response:
    cookie = channel.csrf_cookie(request.headers.get("Cookie"))
    view = FormView(
        csrf_token=channel.csrf_token(cookie.value, time.time()),
        values=values or {},
        errors=errors or {},
        notice=notice,
        photos_to_reselect=photos_to_reselect,
    )
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    response = channel.pages.form(view, status=status, headers=headers)
    # Refreshed on every page, so a citizen who keeps the form open keeps a working pair.
    response.set_cookie(
        cookie.name,
        cookie.value,
        max_age=CSRF_COOKIE_MAX_AGE_S,
        path="/",
        secure=cookie.secure,
        httponly=True,
        samesite="Strict",
    )
    return response


@routes.get("/form")
async def show_form(request: web.Request) -> web.StreamResponse:
    return _form_page(request, channel_of(request, WebFormChannel))


@routes.post("/form")
async def submit_form(request: web.Request) -> web.StreamResponse:
    app = request.app
    settings = app[keys.SETTINGS]
    channel = channel_of(request, WebFormChannel)
    pages = channel.pages
    client = client_address(request, settings.trusted_proxies)

    # Counted before the body is read: every POST costs up to HOTLINE_FORM_MAX_BYTES of reading and
    # parsing, valid or not, so a flood is turned away at the cheapest point.
    limiter = app[keys.FORM_RATE_LIMITER]
    try:
        wait_s = await limiter.hit(rate_subject(client), time.time())
    except _REDIS_DOWN:
        # The counts live in Redis: while it is away, a citizen's submission (spooled) comes before
        # the limit, which holds again as soon as Redis answers.
        log.warning("web form: rate limit not counted, Redis unavailable")
        wait_s = 0
    if wait_s:
        log.info("web form: rate limit reached by %s", _masked(client))
        return pages.error(
            429,
            "提交过于频繁",
            f"同一网络每{limiter.window_s // 60 or 1}分钟内最多提交{limiter.limit}次，请稍后再试。"
            "如情况紧急，请直接拨打12328热线。",
            retry_after_s=wait_s,
        )

    try:
        inbound = await read_inbound(request, settings.form_max_bytes, client)
        await channel.verify(inbound)
        form = channel.parse(inbound)
    except CsrfExpired as exc:
        return _form_page(
            request,
            channel,
            status=403,
            values=exc.values,
            notice="页面停留时间较长，已为您保留填写的内容，请确认后重新提交。",
            photos_to_reselect=exc.photos_to_reselect,
        )
    except FormInvalid as exc:
        log.info("web form: not accepted, fields %s", ",".join(sorted(exc.fields)))
        return _form_page(
            request,
            channel,
            status=422,
            values=exc.values,
            errors=exc.fields,
            photos_to_reselect=exc.photos_to_reselect,
        )
    except CsrfFailed as exc:
        hint = "如果多次出现此提示，请确认浏览器没有禁用Cookie。" if exc.cookie_missing else None
        return pages.error(403, "页面已失效", "为保护您的信息安全，" + _BACK, hint=hint)
    except PayloadTooLarge:
        total_mb = max(1, settings.form_max_bytes // (1024 * 1024))
        photo_mb = max(1, settings.upload_max_bytes // (1024 * 1024))
        return pages.error(
            413,
            "提交的内容过大",
            f"照片合计不能超过{total_mb}MB，单张不能超过{photo_mb}MB。请减少或压缩照片后重新提交。",
        )
    except ChannelError as exc:  # malformed body, wrong Content-Type: not what our page sends
        return pages.error(exc.status, "无法识别提交的内容", _BACK)

    try:
        urls = await _store_photos(app, form.photos)
    except UploadRejected:
        # parse() checked every photo the same way already; this only guards against a disagreement.
        return _form_again(request, channel, form, 422, errors={"photos": "照片无法识别，请重新选择"})
    except OSError as exc:
        log.error("web form: photos could not be stored (%s)", type(exc).__name__)
        return _form_again(request, channel, form, 503, notice=_BUSY, retry_after_s=_RETRY_S)

    intake = channel.normalize(form.with_photo_urls(urls), inbound)
    try:
        reply = await app[keys.PIPELINE].submit(intake)
    except (ServiceUnavailable, *_REDIS_DOWN):
        return _form_again(request, channel, form, 503, notice=_BUSY, retry_after_s=_RETRY_S)
    except StillInProgress as exc:
        return _form_again(request, channel, form, 409, notice=_IN_PROGRESS, retry_after_s=exc.retry_after_s)
    return channel.reply(reply)


def _form_again(
    request: web.Request,
    channel: WebFormChannel,
    form: WebForm,
    status: int,
    *,
    notice: str | None = None,
    errors: Mapping[str, str] | None = None,
    retry_after_s: int | None = None,
) -> web.Response:
    """The form once more, filled in as submitted, with the same request_id: sending it again
    cannot make a second ticket. Nothing was acknowledged; stored photos stay as harmless orphans."""
    return _form_page(
        request,
        channel,
        status=status,
        values=form_input(form),
        errors=errors,
        notice=notice,
        photos_to_reselect=len(form.photos),
        retry_after_s=retry_after_s,
    )


async def _store_photos(app: web.Application, photos: tuple[PhotoUpload, ...]) -> list[str]:
    """Signed URLs of the stored photos, in order (only ever called for a valid submission)."""
    store = app[keys.UPLOADS]
    now = time.time()
    urls: list[str] = []
    for photo in photos:
        stored = await store.save(photo.data)
        urls.append(store.signed_url(stored.upload_id, now=now))
    return urls


@file_routes.get("/files/{upload_id}")
async def get_file(request: web.Request) -> web.StreamResponse:
    """A stored photo for whoever holds its signed URL (the ticketing core, an operator)."""
    store = request.app[keys.UPLOADS]
    upload_id = request.match_info["upload_id"]
    if not store.is_upload_id(upload_id):
        return json_error(404, "not_found", "no such file")
    expires = request.query.get("exp", "")
    signature = request.query.get("sig", "")
    if not store.signature_valid(upload_id, expires, signature, now=time.time()):
        return json_error(403, "bad_signature", "the link is not valid or has expired")
    located = store.locate(upload_id)
    if located is None:
        return json_error(404, "not_found", "no such file")
    path, mime = located
    return web.FileResponse(
        path,
        headers={
            "Content-Type": mime,
            "Content-Disposition": f'inline; filename="{upload_id}"',
            "X-Content-Type-Options": "nosniff",
            # Opened directly in a browser, a citizen's file can run nothing and frame nothing.
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )
