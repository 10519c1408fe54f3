"""The WeChat server's side of an end-to-end test: wechatpy's samples pushed to the gateway on
127.0.0.1, the passive replies read back; the gateway's WeChat settings."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from domain import Answer, Category, Decision, DecisionKind, Intake, Routing
from gateway.settings import Settings
from tests.wechat_samples import AES_KEY, APP_ID, APP_SECRET, TOKEN, WeChatServer, message_xml

OPENID = "oCitizen0000000000000000001"


def wechat_settings(make_settings: Any, **overrides: Any) -> Settings:
    values = {
        "channels": ["app", "webform", "wechat"],
        "wechat_token": TOKEN,
        "wechat_aes_key": AES_KEY,
        "wechat_app_id": APP_ID,
        "wechat_app_secret": APP_SECRET,
        **overrides,
    }
    settings: Settings = make_settings(**values)
    return settings


class WeChat:
    """The WeChat server's side of one test: pushes messages, reads the passive replies."""

    def __init__(self, client: TestClient[web.Request, web.Application], mode: str = "plaintext") -> None:
        self.client = client
        self.server = WeChatServer()
        self.mode = mode

    async def push(self, xml: str) -> tuple[int, str]:
        query, body = self.server.request(xml, self.mode)  # type: ignore[arg-type]
        response = await self.client.post(
            "/channels/wechat", params=query, data=body, headers={"Content-Type": "text/xml"}
        )
        raw = await response.read()
        if response.status != 200 or raw == b"success":
            return response.status, raw.decode()
        return response.status, self.server.reply_fields(raw, query)["Content"]

    async def text(self, content: str, msg_id: str, openid: str = OPENID) -> tuple[int, str]:
        return await self.push(message_xml("text", Content=content, msg_id=msg_id, from_user=openid))


LONG_ANSWER = "高速公路通行费按车型和里程收取。" * 120  # ~5,400 bytes: more than one passive reply


class ScriptedDecider:
    """A complaint without a plate number needs facts; "咨询" gets a long answer; slow on request."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls = 0

    async def decide(self, intake: Intake) -> Decision:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        routing = Routing(region_code="440100")
        text = intake.content.text
        if "咨询" in text:
            return Decision(
                decision=DecisionKind.ANSWERED,
                category=Category.INQUIRY,
                domain=None,
                routing=routing,
                answer=Answer(kb_id="kb-toll-1", text=LONG_ANSWER),
            )
        if "粤A" not in text:
            return Decision(
                decision=DecisionKind.NEEDS_INFO,
                category=Category.COMPLAINT,
                domain=None,
                routing=routing,
                missing_facts=("车牌号", "时间"),
            )
        return Decision(decision=DecisionKind.ACCEPTED, category=Category.COMPLAINT, domain=None, routing=routing)
