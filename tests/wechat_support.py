"""The WeChat server's side of an end-to-end test: wechatpy's samples pushed to the gateway on
127.0.0.1, the passive replies read back; the gateway's WeChat settings."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

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
