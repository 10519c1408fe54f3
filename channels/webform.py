"""The web form channel: a Chinese, mobile-friendly HTML form at `/form` for citizens without the app.

Authenticity is a CSRF check (double submit): the browser holds a random cookie, and the page carries
`"{issued_at}.{HMAC(cookie, issued_at)}"` in a hidden field. A token only works with the cookie it
was made for and for `CSRF_TTL_S`; the cookie is `SameSite=Strict` (and `__Host-` over HTTPS, so a
sibling sub-domain cannot plant one), so another site can neither read nor send the pair.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from aiohttp import web
from pydantic import ValidationError

from channels.base import Channel, ChannelServices, Forbidden, Inbound, InvalidPayload, TokenSigner
from channels.form_body import FilePart, FormBody, decode_form
from channels.webform_model import WebForm, field_messages
from channels.webform_pages import TEXT_FIELDS, FormPages
from domain import Intake, IntakeReply
from normalizers.webform import webform_to_intake

CSRF_FIELD = "csrf_token"
PHOTO_FIELD = "photos"
CSRF_TTL_S = 6 * 3600  # long enough to write a careful complaint on a phone
CSRF_CLOCK_SKEW_S = 60
# The cookie outlives its tokens, so an old page is told apart from a foreign one: the citizen then
# gets the form back with the input kept rather than a bare refusal.
CSRF_COOKIE_MAX_AGE_S = 7 * 24 * 3600
# Re-rendered input is the citizen's own; the cap only stops a crafted body from being echoed whole.
MAX_KEPT_VALUE_CHARS = 20_000

_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
_TOKEN = re.compile(r"^(\d{1,12})\.([A-Za-z0-9_-]{43})$")


class WebFormSettings(Protocol):
    @property
    def upload_max_bytes(self) -> int: ...

    @property
    def base_url(self) -> str: ...


class CsrfFailed(Forbidden):
    """No cookie, no token, or a token that was not made for this cookie."""

    code = "csrf_failed"

    def __init__(self, message: str, *, cookie_missing: bool = False) -> None:
        super().__init__(message)
        self.cookie_missing = cookie_missing


class CsrfExpired(Forbidden):
    """A genuine token that is too old: the citizen's input comes back so nothing typed is lost."""

    code = "csrf_expired"

    def __init__(self, values: dict[str, str], photos_to_reselect: int) -> None:
        super().__init__("页面停留时间过长，请确认内容后重新提交")
        self.values = values
        self.photos_to_reselect = photos_to_reselect


class FormInvalid(InvalidPayload):
    """Field-level messages (Chinese) and the input to show again."""

    code = "invalid_form"

    def __init__(self, fields: dict[str, str], values: dict[str, str], photos_to_reselect: int) -> None:
        super().__init__("请检查填写的内容", fields=fields)
        self.values = values
        self.photos_to_reselect = photos_to_reselect


@dataclass(frozen=True, slots=True)
class CsrfCookie:
    name: str
    value: str
    secure: bool


def read_cookie(header: str | None, name: str) -> str | None:
    """One cookie from a `Cookie` header; lenient about the rest of the header."""
    for pair in (header or "").split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name:
            return value.strip().strip('"')
    return None


def form_values(body: FormBody) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in ("request_id", *TEXT_FIELDS):
        value = body.first(name)
        if value is not None:
            values[name] = value[:MAX_KEPT_VALUE_CHARS]
    return values


def form_input(form: WebForm) -> dict[str, str]:
    """A validated form as the page's input values, to show it again after a failed submission."""
    return {
        "request_id": str(form.request_id),
        "category": form.category.value,
        "domain": form.domain.value if form.domain else "",
        "description": form.description,
        "name": form.name or "",
        "phone": form.phone or "",
        "place": form.place or "",
        "occurred_at": form.occurred_at.strftime("%Y-%m-%dT%H:%M") if form.occurred_at else "",
    }


def _photos(body: FormBody) -> list[FilePart]:
    # A file input left empty is still sent, as a part with no file name and no content.
    return [part for part in body.files if part.name == PHOTO_FIELD and (part.filename or part.data)]


class WebFormChannel(Channel[WebForm]):
    name: ClassVar[str] = "webform"

    def __init__(
        self,
        signer: TokenSigner,
        pages: FormPages,
        *,
        photo_max_bytes: int,
        secure_cookie: bool,
        csrf_ttl_s: int = CSRF_TTL_S,
    ) -> None:
        self._signer = signer
        self.pages = pages
        self._photo_max_bytes = photo_max_bytes
        self._secure = secure_cookie
        self._csrf_ttl_s = csrf_ttl_s
        self.cookie_name = "__Host-hotline_form" if secure_cookie else "hotline_form"

    @classmethod
    def from_settings(cls, settings: WebFormSettings, services: ChannelServices) -> WebFormChannel:
        return cls(
            services.signer,
            FormPages.load(settings.upload_max_bytes),
            photo_max_bytes=settings.upload_max_bytes,
            secure_cookie=settings.base_url.startswith("https://"),
        )

    def csrf_cookie(self, cookie_header: str | None) -> CsrfCookie:
        """The browser's cookie when it has a usable one (two tabs share it), else a new one."""
        value = read_cookie(cookie_header, self.cookie_name)
        if value is not None and _COOKIE_VALUE.match(value):
            return CsrfCookie(self.cookie_name, value, self._secure)
        return CsrfCookie(self.cookie_name, secrets.token_urlsafe(32), self._secure)

    def csrf_token(self, cookie: str, now: float) -> str:
        issued = str(int(now))
        return f"{issued}.{self._signer.sign('csrf', cookie, issued)}"

    def _token_state(self, cookie: str, token: str, now: float) -> Literal["valid", "expired", "bad"]:
        match = _TOKEN.match(token)
        # The format check comes first: HMAC comparison of non-ASCII text would raise, not fail.
        if match is None or not _COOKIE_VALUE.match(cookie):
            return "bad"
        issued, signature = match.groups()
        if not self._signer.check(signature, "csrf", cookie, issued):
            return "bad"
        age = now - int(issued)
        if age < -CSRF_CLOCK_SKEW_S:
            return "bad"
        return "expired" if age > self._csrf_ttl_s else "valid"

    async def verify(self, inbound: Inbound) -> None:
        cookie = read_cookie(inbound.headers.get("Cookie"), self.cookie_name)
        if not cookie:
            raise CsrfFailed("missing CSRF cookie", cookie_missing=True)
        body = decode_form(inbound)
        token = body.first(CSRF_FIELD)
        state = self._token_state(cookie, token or "", inbound.received_at.timestamp())
        if state == "bad":
            raise CsrfFailed("CSRF token missing or not valid for this client")
        if state == "expired":
            raise CsrfExpired(form_values(body), len(_photos(body)))

    def parse(self, inbound: Inbound) -> WebForm:
        body = decode_form(inbound)
        photos = _photos(body)
        data: dict[str, object] = {name: body.first(name) for name in ("request_id", *TEXT_FIELDS)}
        data = {name: value for name, value in data.items() if value is not None}
        data["photos"] = [{"filename": part.filename, "data": part.data} for part in photos]
        context = {"now": inbound.received_at, "photo_max_bytes": self._photo_max_bytes}
        try:
            return WebForm.model_validate(data, context=context)
        except ValidationError as exc:
            fields = field_messages(exc)
            if len(fields) > 1:
                # A missing or mangled request_id only means the page is given a fresh one: not
                # worth a line of its own beside the citizen's real mistakes.
                fields.pop("request_id", None)
            # Every photo must be chosen again, good or not: a page cannot pre-fill a file input.
            raise FormInvalid(fields, form_values(body), len(photos)) from exc

    def normalize(self, native: WebForm, inbound: Inbound) -> Intake:
        return webform_to_intake(native, received_at=inbound.received_at)

    def reply(self, reply: IntakeReply) -> web.StreamResponse:
        return self.pages.result(reply)
