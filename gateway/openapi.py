"""The gateway's HTTP contract as OpenAPI 3.1 (`GET /openapi.json`, and as a page at `GET /api`).

Request and answer bodies are the pydantic models the gateway itself validates and answers with,
so the contract cannot drift from the code; every route the app serves must have an operation
here (tests/integration/test_openapi.py checks, and schemathesis runs the contract against a live
gateway in CI). Channels the configuration leaves out are left out of the document too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from channels.app_model import AppMessage
from channels.hotline12345_model import WorkOrder
from channels.ivr_model import IvrCall
from channels.twilio_voice import TwilioCallback
from domain.reply import IntakeReply
from gateway.settings import Settings

REF = "#/components/schemas/{model}"


class ErrorBody(BaseModel):
    """Every refusal of a machine-facing endpoint: a stable code and a message."""

    error: str = Field(description="Stable code, e.g. `bad_signature`, `invalid_payload`, `rate_limited`")
    message: str = Field(description="What was wrong, in Chinese or English")
    fields: dict[str, str] | None = Field(default=None, description="Per-field problems of a 422")


class OrderAnswer(IntakeReply):
    """The answer to a 12345 transfer: the usual reply, its order and whether it was returned."""

    order_no: str
    outcome: str = Field(description="`accepted` (the centre handles it) or `returned` (sent back to 12345)")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    channel: str | None = None  # served only when this channel is configured
    admin: bool = False
    security: tuple[str, ...] = ()
    body: dict[str, Any] | None = None  # media type → schema
    parameters: tuple[dict[str, Any], ...] = ()
    answers: dict[str, tuple[str, dict[str, Any] | None]] = field(default_factory=dict)  # status → (text, content)


def _json(model: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(model=model)}}}


def _query(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": {"type": "string"}}


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description, "schema": {"type": "string"}}


TEXT = {"text/plain": {"schema": {"type": "string"}}}
HTML = {"text/html": {"schema": {"type": "string"}}}
XML = {"text/xml": {"schema": {"type": "string"}}}
ANY_JSON = {"application/json": {"schema": {"type": "object"}}}
ERROR = _json("ErrorBody")
REFUSALS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "400": ("Malformed body", ERROR),
    "401": ("Missing or wrong credentials, stale timestamp, replayed nonce", ERROR),
    "413": ("Body over the limit (refused before it is read)", ERROR),
    "415": ("Wrong content type", ERROR),
    "422": ("Invalid fields", ERROR),
    "429": ("Too many requests from this sender (`Retry-After`)", ERROR),
    "503": ("Neither Redis nor the spool can take it (`Retry-After`)", ERROR),
}
ADMIN = ("adminBearer", "adminBasic")
TICKET_FILTERS = tuple(
    _query(name, description)
    for name, description in (
        ("ticket_no", "ticket number prefix"),
        ("channel", "channel name"),
        ("decision", "decision"),
        ("category", "category"),
        ("domain", "domain"),
        ("page", "page number, from 1"),
        ("per_page", "tickets per page"),
    )
)

OPERATIONS: tuple[Operation, ...] = (
    Operation("get", "/healthz", "Liveness: the process answers (and which process)", "operations",
              answers={"200": ("Alive", ANY_JSON)}),
    Operation("get", "/readyz", "Readiness: Redis, queue and spool depths", "operations",
              answers={"200": ("Ready, or spooling while Redis is away", ANY_JSON),
                       "503": ("Neither Redis nor the spool can take submissions", ANY_JSON)}),
    Operation("get", "/metrics", "Prometheus metrics", "operations", answers={"200": ("Text format", TEXT)}),
    Operation("get", "/openapi.json", "This document", "operations", answers={"200": ("OpenAPI 3.1", ANY_JSON)}),
    Operation("get", "/api", "This document as a page", "operations", answers={"200": ("HTML", HTML)}),
    Operation(
        "post", "/api/v1/app/messages", "A citizen's message from the mobile app", "channels", channel="app",
        security=("appSignature",), body=_json("AppMessage"),
        parameters=(
            _header("X-Hotline-Key", "key id"),
            _header("X-Hotline-Timestamp", "Unix seconds, within ±300 s"),
            _header("X-Hotline-Nonce", "16–64 URL-safe characters, used once"),
            _header("X-Hotline-Signature", "hex HMAC-SHA256 over method, path, timestamp, nonce and body"),
        ),
        answers={"200": ("Taken (or a repeat: `duplicate`)", _json("IntakeReply")), **REFUSALS},
    ),
    Operation(
        "get", "/channels/wechat", "WeChat's server-configuration handshake", "channels", channel="wechat",
        parameters=(_query("signature", "SHA-1 of Token, timestamp, nonce"), _query("timestamp", "Unix seconds"),
                    _query("nonce", "random"), _query("echostr", "echoed when the signature is right")),
        answers={"200": ("`echostr`", TEXT), "403": ("Wrong signature", ERROR)},
    ),
    Operation(
        "post", "/channels/wechat", "A push from the WeChat official account (plaintext, compatible, safe mode)",
        "channels", channel="wechat", body=XML,
        parameters=(_query("signature", "SHA-1 of Token, timestamp, nonce"), _query("timestamp", "Unix seconds"),
                    _query("nonce", "random"), _query("openid", "the citizen"),
                    _query("encrypt_type", "`aes` in compatible and safe mode"),
                    _query("msg_signature", "signature over the encrypted message")),
        answers={"200": ("A passive reply (XML), or `success`", {**XML, **TEXT}), "400": ("Malformed XML", ERROR),
                 "403": ("Wrong signature, stale timestamp", ERROR), "413": ("Too large", ERROR)},
    ),
    Operation(
        "post", "/channels/ivr/calls", "An IVR's call record (DESIGN.md's generic form)", "phone", channel="ivr",
        security=("ivrBearer", "ivrBasic"), body=_json("IvrCall"),
        answers={"200": ("Taken", _json("IntakeReply")), **REFUSALS},
    ),
    Operation(
        "post", "/channels/ivr/freeswitch", "A FreeSWITCH mod_json_cdr or mod_xml_cdr post, unchanged", "phone",
        channel="ivr", security=("ivrBearer", "ivrBasic"),
        body={**ANY_JSON, **XML, "application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
        parameters=(_query("uuid", "the call leg's uuid (mod_xml_cdr)"),),
        answers={"200": ("Taken (an agent's B leg: acknowledged, nothing filed)", ANY_JSON), **REFUSALS},
    ),
    Operation(
        "post", "/channels/ivr/twilio", "A Twilio voice callback", "phone", channel="twilio",
        security=("twilioSignature",),
        body={"application/x-www-form-urlencoded": {"schema": {"$ref": REF.format(model="TwilioCallback")}}},
        answers={"200": ("Empty TwiML `<Response/>`", XML), **REFUSALS},
    ),
    Operation(
        "post", "/channels/12345/orders", "A work order transferred by a 12345 hotline", "channels",
        channel="hotline12345", security=("bearer12345",), body=_json("WorkOrder"),
        answers={"200": ("Accepted or returned", _json("OrderAnswer")), **REFUSALS},
    ),
    Operation("get", "/form", "The web form (Chinese, mobile-first)", "web form", channel="webform",
              answers={"200": ("The form", HTML)}),
    Operation(
        "post", "/form", "A web form submission (CSRF token bound to the browser's cookie)", "web form",
        channel="webform",
        body={"multipart/form-data": {"schema": {"type": "object"}},
              "application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
        answers={"200": ("The ticket number", HTML), "400": ("Malformed", HTML), "403": ("CSRF", HTML),
                 "413": ("Too large", HTML), "422": ("Field errors, input kept", HTML),
                 "429": ("Too many", HTML), "503": ("Try again", HTML)},
    ),
    Operation(
        "get", "/files/{upload_id}", "A photo uploaded with the form, by signed expiring URL", "web form",
        parameters=({"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    _query("exp", "expiry, Unix seconds", required=True),
                    _query("sig", "signature", required=True)),
        answers={"200": ("The image", {"image/*": {"schema": {"type": "string", "format": "binary"}}}),
                 "403": ("Wrong or expired signature", ERROR), "404": ("No such photo", ERROR)},
    ),
    Operation("get", "/admin/tickets", "The local ticket store (HTML, or JSON to `Accept: application/json`)",
              "admin", admin=True, security=ADMIN, parameters=TICKET_FILTERS,
              answers={"200": ("A page of tickets", {**ANY_JSON, **HTML}), "400": ("Bad filter", ERROR),
                       "401": ("No or wrong token", ERROR)}),
    Operation("get", "/admin/tickets/{ticket_no}", "One ticket with its supplements", "admin", admin=True,
              security=ADMIN,
              parameters=({"name": "ticket_no", "in": "path", "required": True, "schema": {"type": "string"}},),
              answers={"200": ("The ticket", {**ANY_JSON, **HTML}), "401": ("No or wrong token", ERROR),
                       "404": ("Not in the store", {**ERROR, **HTML})}),
    Operation("get", "/admin/kb", "The knowledge base in use", "admin", admin=True, security=ADMIN,
              answers={"200": ("Version and counts", ANY_JSON), "401": ("No or wrong token", ERROR)}),
    Operation(
        "put", "/admin/kb", "Publish a new knowledge base (JSON lines, CSV or YAML)", "admin", admin=True,
        security=ADMIN,
        body={media: {"schema": {"type": "string"}} for media in
              ("application/x-ndjson", "application/jsonl", "text/csv", "application/yaml", "text/yaml")},
        answers={"200": ("Published", ANY_JSON), "401": ("No or wrong token", ERROR), "413": ("Too large", ERROR),
                 "415": ("Not a KB format", ERROR), "422": ("A bad entry (its line named)", ERROR)},
    ),
)  # fmt: skip

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "appSignature": {"type": "apiKey", "in": "header", "name": "X-Hotline-Signature",
                     "description": "HMAC-SHA256 with the key of X-Hotline-Key (README: the app channel)"},
    "ivrBearer": {"type": "http", "scheme": "bearer", "description": "the IVR's token (HOTLINE_IVR_TOKENS)"},
    "ivrBasic": {"type": "http", "scheme": "basic", "description": "any user, the IVR's token as password"},
    "twilioSignature": {"type": "apiKey", "in": "header", "name": "X-Twilio-Signature",
                        "description": "Twilio's HMAC-SHA1 over the public URL and parameters"},
    "bearer12345": {"type": "http", "scheme": "bearer", "description": "HOTLINE_12345_TOKEN"},
    "adminBearer": {"type": "http", "scheme": "bearer", "description": "HOTLINE_ADMIN_TOKEN"},
    "adminBasic": {"type": "http", "scheme": "basic", "description": "any user, HOTLINE_ADMIN_TOKEN as password"},
}  # fmt: skip

MODELS: tuple[tuple[type[BaseModel], Literal["validation", "serialization"]], ...] = (
    (AppMessage, "validation"),
    (IvrCall, "validation"),
    (WorkOrder, "validation"),
    (TwilioCallback, "validation"),
    (IntakeReply, "serialization"),
    (OrderAnswer, "serialization"),
    (ErrorBody, "serialization"),
)


def served(operation: Operation, settings: Settings) -> bool:
    if operation.admin and not settings.admin_enabled:
        return False
    if operation.channel == "twilio":
        return "ivr" in settings.channels and settings.twilio_auth_token is not None
    return operation.channel is None or operation.channel in settings.channels


def document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a gateway configured by `settings`."""
    _, definitions = models_json_schema(MODELS, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        if not served(operation, settings):
            continue
        spec: dict[str, Any] = {
            "summary": operation.summary,
            "tags": [operation.tag],
            "operationId": _operation_id(operation),
            "responses": {
                status: {"description": text, **({"content": content} if content else {})}
                for status, (text, content) in operation.answers.items()
            },
        }
        if operation.security:
            spec["security"] = [{scheme: []} for scheme in operation.security]
        if operation.parameters:
            spec["parameters"] = list(operation.parameters)
        if operation.body is not None:
            spec["requestBody"] = {"required": True, "content": operation.body}
        paths.setdefault(operation.path, {})[operation.method] = spec
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hotline-gateway",
            "version": _version(),
            "description": "The multi-channel intake gateway of a 12328 transport service supervision hotline.",
        },
        "servers": [{"url": settings.base_url}],
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {}), "securitySchemes": SECURITY_SCHEMES},
    }


def _operation_id(operation: Operation) -> str:
    words = operation.path.strip("/").replace("{", "").replace("}", "").replace(".", "_").split("/")
    return "_".join([operation.method, *words])


def _version() -> str:
    try:
        return version("hotline-gateway")
    except PackageNotFoundError:  # pragma: no cover - a checkout not installed
        return "0"
