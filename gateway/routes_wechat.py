"""`/channels/wechat`: the echostr handshake (GET) and message pushes (POST)."""

from __future__ import annotations

from aiohttp import web

from channels.wechat import WeChatChannel
from gateway import keys
from gateway.http import channel_of, client_address, read_inbound

routes = web.RouteTableDef()


@routes.get("/channels/wechat")
async def handshake(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    inbound = await read_inbound(request, settings.json_max_bytes, client_address(request, settings.trusted_proxies))
    return web.Response(text=channel_of(request, WeChatChannel).handshake(inbound), content_type="text/plain")


@routes.post("/channels/wechat")
async def push(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    channel = channel_of(request, WeChatChannel)
    inbound = await read_inbound(request, settings.json_max_bytes, client_address(request, settings.trusted_proxies))
    await channel.verify(inbound)
    native = channel.parse(inbound)
    return await request.app[keys.WECHAT_FLOW].handle(native, inbound)
