"""The web form's HTML: Jinja2 with autoescape, and the security headers every page carries.

Templates ship as package data of `gateway` (`gateway/templates/`, see pyproject), so they are
loaded through the package loader: only the files are read, none of the gateway's code. Pages need
no script at all: the policy allows none, and the one inline `<style>` is admitted by a nonce.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import jinja2
from aiohttp import web

from channels.webform_model import (
    DESCRIPTION_MAX_CHARS,
    DESCRIPTION_MIN_CHARS,
    MAX_PHOTOS,
    NAME_MAX_CHARS,
    PLACE_MAX_CHARS,
)
from domain import Category, DecisionKind, Domain, IntakeReply, fact_label
from domain.taxonomy import CATEGORY_LABELS, DOMAIN_LABELS
from normalizers.time import now_shanghai, to_shanghai

# The form offers the three kinds of business (第三十一条) under the short names citizens use.
CATEGORY_CHOICES: tuple[tuple[str, str, str], ...] = (
    (Category.INQUIRY.value, "咨询", "了解政策、线路、票价等信息"),
    (Category.COMPLAINT.value, "投诉", "反映服务质量问题或违法违规行为"),
    (Category.SUGGESTION.value, "建议", "对交通运输服务提出意见建议"),
)
DOMAIN_CHOICES: tuple[tuple[str, str], ...] = tuple((d.value, DOMAIN_LABELS[d]) for d in Domain)

# The text fields re-rendered after an error (the files cannot be: browsers do not allow it).
TEXT_FIELDS: tuple[str, ...] = (
    "category",
    "domain",
    "description",
    "place",
    "occurred_at",
    "name",
    "phone",
)
FIELD_ORDER: tuple[str, ...] = ("request_id", *TEXT_FIELDS, "photos")

HEADLINES: dict[DecisionKind, str] = {
    DecisionKind.ACCEPTED: "提交成功",
    DecisionKind.ANSWERED: "已为您解答",
    DecisionKind.REJECTED: "无法受理",
    DecisionKind.REDIRECTED: "请联系其他热线",
    DecisionKind.NEEDS_INFO: "请补充信息",
    DecisionKind.CALLBACK: "我们将回电",
}


def security_headers(nonce: str, cache_control: str = "no-store") -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": cache_control,
    }


@dataclass(frozen=True, slots=True)
class FormView:
    """What the form page shows: the citizen's input (as typed) and the messages about it."""

    csrf_token: str
    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    notice: str | None = None
    photos_to_reselect: int = 0


def _request_id(values: Mapping[str, str]) -> str:
    """The submitted idempotency key when it is one we could have issued, else a fresh one: the
    same key comes back on a page shown again, so sending that page cannot make a second ticket."""
    submitted = values.get("request_id", "")
    try:
        if len(submitted) == 36 and uuid.UUID(submitted).version == 4:
            return submitted
    except ValueError:
        pass
    return str(uuid.uuid4())


class FormPages:
    def __init__(self, environment: jinja2.Environment, photo_max_bytes: int) -> None:
        self._environment = environment
        self._photo_max_mb = max(1, photo_max_bytes // (1024 * 1024))

    @classmethod
    def load(cls, photo_max_bytes: int) -> FormPages:
        environment = jinja2.Environment(
            loader=jinja2.PackageLoader("gateway", "templates"),
            autoescape=True,  # everything a citizen typed is escaped, on every page
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.filters["fact_label"] = fact_label
        return cls(environment, photo_max_bytes)

    def render(
        self,
        template: str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        cache_control: str = "no-store",  # results and errors: nothing kept on a shared phone
        **context: object,
    ) -> web.Response:
        nonce = secrets.token_urlsafe(16)
        html = self._environment.get_template(template).render(nonce=nonce, **context)
        response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
        response.headers.update(security_headers(nonce, cache_control))
        if headers:
            response.headers.update(headers)
        return response

    def form(self, view: FormView, *, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
        errors = [(name, view.errors[name]) for name in FIELD_ORDER if name in view.errors]
        errors += [(name, message) for name, message in view.errors.items() if name not in FIELD_ORDER]
        return self.render(
            "form.html",
            status=status,
            headers=headers,
            # Not no-store: the back button may then restore a filled-in form with the same
            # request_id, and sending it again shows the first ticket instead of making a second.
            cache_control="private, no-cache",
            view=view,
            request_id=_request_id(view.values),
            error_list=errors,
            categories=CATEGORY_CHOICES,
            domains=DOMAIN_CHOICES,
            now_local=now_shanghai().strftime("%Y-%m-%dT%H:%M"),
            limits={
                "description_min": DESCRIPTION_MIN_CHARS,
                "description_max": DESCRIPTION_MAX_CHARS,
                "name_max": NAME_MAX_CHARS,
                "place_max": PLACE_MAX_CHARS,
                "photos": MAX_PHOTOS,
                "photo_mb": self._photo_max_mb,
            },
        )

    def result(self, reply: IntakeReply) -> web.Response:
        deadlines = reply.deadlines
        return self.render(
            "form_result.html",
            reply=reply,
            headline=HEADLINES[reply.decision],
            category_label=CATEGORY_LABELS[reply.category] if reply.category else None,
            domain_label=DOMAIN_LABELS[reply.domain] if reply.domain else None,
            reply_by=_date_text(deadlines.reply_by) if deadlines else None,
        )

    def error(
        self,
        status: int,
        title: str,
        message: str,
        *,
        retry_after_s: int | None = None,
        hint: str | None = None,
    ) -> web.Response:
        headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
        return self.render(
            "form_error.html",
            status=status,
            headers=headers,
            title=title,
            message=message,
            hint=hint,
            retry_text=_wait_text(retry_after_s) if retry_after_s is not None else None,
        )


def _date_text(moment: datetime) -> str:
    local = to_shanghai(moment)
    return f"{local.year}年{local.month}月{local.day}日"


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}秒"
    return f"{(seconds + 59) // 60}分钟"
