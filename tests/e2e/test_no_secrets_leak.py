"""Secrets come only from configuration and go nowhere else: not into any answer a sender gets
(status, headers, body), not into any log line at DEBUG (the HTTP libraries' own included), not
into a start-up error.

Every credential the gateway knows is configured at once; every channel is sent good requests and
wrong ones (bad signatures, wrong tokens, bad bodies, forged WeChat and Twilio calls, a wrong
admin token, a bad CSRF token); the worker forwards to a ticketing core that refuses, and sends a
late WeChat answer through the customer-service API, whose access token is a secret too.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]  # twilio ships no types

from gateway import keys
from gateway.app import create_app
from gateway.logs import MaskLogs
from tests.app_support import app_message
from tests.cli_support import run_cli
from tests.conftest import APP_SECRET, TICKET_CORE_SECRET, WECHAT_APP_ID, WECHAT_APP_SECRET, signed_headers
from tests.fake_ticket_core import Answer, FakeTicketCore
from tests.fake_wechat_api import FakeWeChatApi
from tests.forwarding_support import core_settings, drain
from tests.hotline12345_support import RETURN_SECRET, order
from tests.hotline12345_support import TOKEN as TOKEN_12345
from tests.ivr_support import IVR_TOKEN, IVR_TOKENS, OTHER_IVR_TOKEN, as_json, call_record
from tests.twilio_samples import STATUS_COMPLETED
from tests.twilio_samples import TOKEN as TWILIO_TOKEN
from tests.wechat_samples import AES_KEY, WeChatServer, message_xml
from tests.wechat_samples import TOKEN as WECHAT_TOKEN
from tests.wechat_support import ScriptedDecider, WeChat

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = "admin-token-for-tests"
SECRET_KEY = "gateway-secret-key-for-tests-0123456789"
PUBLIC_URL = "https://hotline.example.cn"
CONFIGURED = {
    "app key": APP_SECRET,
    "admin token": ADMIN_TOKEN,
    "secret key": SECRET_KEY,
    "ticket core secret": TICKET_CORE_SECRET,
    "wechat token": WECHAT_TOKEN,
    "wechat aes key": AES_KEY,
    "wechat app secret": WECHAT_APP_SECRET,
    "ivr token": IVR_TOKEN,
    "other ivr token": OTHER_IVR_TOKEN,
    "twilio auth token": TWILIO_TOKEN,
    "12345 token": TOKEN_12345,
    "12345 return secret": RETURN_SECRET,
}


def _leaked(text: str, secrets: dict[str, str]) -> list[str]:
    return sorted(what for what, secret in secrets.items() if secret in text)


class Answers:
    """Everything the gateway said back: status line, headers and body of every response."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def keep(self, response: Any) -> Any:
        body = (await response.read()).decode("utf-8", "replace")
        headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
        self.seen.append(f"{response.method} {response.url} -> {response.status}\n{headers}\n\n{body}")
        return response


async def test_no_secret_in_any_answer_or_log_line(
    make_settings: Any,
    ticket_core: FakeTicketCore,
    wechat_api: FakeWeChatApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = core_settings(
        make_settings,
        ticket_core,
        channels=["app", "webform", "wechat", "ivr", "hotline12345"],
        secret_key=SECRET_KEY,
        public_url=PUBLIC_URL,
        ivr_tokens=IVR_TOKENS,
        twilio_auth_token=TWILIO_TOKEN,
        wechat_token=WECHAT_TOKEN,
        wechat_aes_key=AES_KEY,
        wechat_app_id=WECHAT_APP_ID,
        wechat_app_secret=WECHAT_APP_SECRET,
        wechat_api_url=wechat_api.url,
        wechat_reply_budget_s=0.2,
        hotline12345_token=TOKEN_12345,
        hotline12345_return_url=ticket_core.url,
        hotline12345_return_secret=RETURN_SECRET,
        reply_retry_schedule=[0],
    )
    # Log lines pass the filter `configure_logging` puts on the gateway's handler, at DEBUG.
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(MaskLogs(settings.secret_values()))
    # The first delivery is refused: a 401 is dead-lettered with the core's answer kept.
    ticket_core.answer(Answer(status=401, body=json.dumps({"error": "unauthorized"})))
    answers = Answers()
    app = create_app(settings, decider=ScriptedDecider(delay_s=0.5))  # late: the customer-service API
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        complaint = "出租车粤A12345拒载，今天上午9点在广州南站。"

        # The app: signed, wrong key, stale, no signature, malformed.
        body = app_message(complaint, "u-secret")
        await answers.keep(await client.post("/api/v1/app/messages", data=body, headers=signed_headers(body)))
        wrong = signed_headers(body, secret="x" * 32)
        await answers.keep(await client.post("/api/v1/app/messages", data=body, headers=wrong))
        stale = signed_headers(body, timestamp=1)
        await answers.keep(await client.post("/api/v1/app/messages", data=body, headers=stale))
        await answers.keep(await client.post("/api/v1/app/messages", data=b"{", headers=signed_headers(b"{")))

        # WeChat in safe mode: a message, a forged signature, a body encrypted with another key.
        wechat = WeChat(client, "safe")
        wechat.server = WeChatServer(app_id=WECHAT_APP_ID)
        assert (await wechat.text(complaint, msg_id="7100000000000000001"))[0] == 200
        query, xml = wechat.server.request(message_xml("text", Content=complaint, msg_id="2"), "safe")
        forged = {**query, "msg_signature": "0" * 40, "signature": "0" * 40}
        await answers.keep(await client.post("/channels/wechat", params=forged, data=xml))
        other = WeChatServer(app_id=WECHAT_APP_ID, aes_key="b" * 43)
        query, xml = other.request(message_xml("text", Content=complaint, msg_id="3"), "safe")
        await answers.keep(await client.post("/channels/wechat", params=query, data=xml))
        await answers.keep(await client.get("/channels/wechat", params={"echostr": "x", "signature": "y"}))

        # The phone: a call, a wrong token, Basic with a wrong password, a malformed record.
        call = as_json(call_record())
        for authorization in (f"Bearer {IVR_TOKEN}", "Bearer " + "w" * 32, "Basic aXZyLWd6Ondyb25n"):
            headers = {"Authorization": authorization, "Content-Type": "application/json"}
            await answers.keep(await client.post("/channels/ivr/calls", data=call, headers=headers))
        headers = {"Authorization": f"Bearer {IVR_TOKEN}", "Content-Type": "application/json"}
        await answers.keep(await client.post("/channels/ivr/calls", data=b"[]", headers=headers))
        await answers.keep(await client.post("/channels/ivr/freeswitch", data=b"<cdr>", headers=headers))

        # Twilio: signed with another token, and signed for another URL.
        for token, url in ((TWILIO_TOKEN[::-1], PUBLIC_URL), (TWILIO_TOKEN, "https://evil.example")):
            signature = RequestValidator(token).compute_signature(url + "/channels/ivr/twilio", STATUS_COMPLETED)
            await answers.keep(
                await client.post(
                    "/channels/ivr/twilio", data=STATUS_COMPLETED, headers={"X-Twilio-Signature": signature}
                )
            )

        # 12345: an order, a wrong token, a body that is not one.
        transfer = json.dumps(order()).encode()
        for token in (TOKEN_12345, "t" * 40):
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            await answers.keep(await client.post("/channels/12345/orders", data=transfer, headers=headers))
        await answers.keep(await client.post("/channels/12345/orders", data=b"null", headers=headers))

        # The web form without its CSRF cookie; the admin pages with a wrong and the right token.
        await answers.keep(await client.post("/form", data={"description": complaint, "csrf_token": "forged"}))
        await answers.keep(await client.get("/form"))
        await answers.keep(await client.get("/admin/tickets", headers={"Authorization": "Bearer wrong"}))
        await answers.keep(await client.get("/admin/tickets", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}))
        for path in ("/healthz", "/readyz", "/nowhere"):
            await answers.keep(await client.get(path))

        await app[keys.WECHAT_FLOW].drain(5)
    await drain(settings)

    assert wechat_api.tokens, "the late WeChat answer did not go through the customer-service API"
    assert wechat_api.delivered
    assert len(ticket_core.received) >= 4
    secrets = {**CONFIGURED, **{f"wechat access token {n}": t for n, t in enumerate(wechat_api.tokens)}}
    said = "\n\n".join(answers.seen)
    assert len(answers.seen) >= 20
    assert _leaked(said, secrets) == []

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "urllib3" in logged or "ticket" in logged  # the scenario did log, at DEBUG
    assert _leaked(logged, secrets) == []


def test_a_start_up_error_names_the_setting_not_its_value(tmp_path: Any) -> None:
    short = {
        "HOTLINE_ADMIN_TOKEN": "short-admin-tk",
        "HOTLINE_APP_KEYS": json.dumps({"k": "short-app-key"}),
        "HOTLINE_IVR_TOKENS": json.dumps({"ivr-1": "short-ivr-tk"}),
        "HOTLINE_DATA_DIR": str(tmp_path),
    }
    result = run_cli(["serve"], env=short)
    assert result.returncode == 2
    assert "HOTLINE_ADMIN_TOKEN is shorter than 16 chars" in result.stderr
    assert "HOTLINE_IVR_TOKENS" in result.stderr
    values = {name: value for name, value in short.items() if name != "HOTLINE_DATA_DIR"}
    assert [name for name, value in values.items() if value in result.stderr or "short-" in result.stderr] == []
