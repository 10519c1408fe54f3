"""Routes of the machine-facing JSON channels: one handler shape for all of them."""

from __future__ import annotations

from aiohttp import web

from gateway import keys
from gateway.http import Handler, client_address, rate_subject, read_inbound
from gateway.settings import Settings

# Channel name → (method, path). The web form has its own routes (routes_webform).
JSON_ENDPOINTS: dict[str, tuple[str, str]] = {
    "app": ("POST", "/api/v1/app/messages"),
}


def channel_handler(name: str) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        settings = request.app[keys.SETTINGS]
        channel = request.app[keys.CHANNELS][name]
        client = client_address(request, settings.trusted_proxies)
        # Counted before the body is read: a flood is turned away at the cheapest point.
        await request.app[keys.SENDER_LIMITS].check(name, rate_subject(client))
        inbound = await read_inbound(request, settings.json_max_bytes, client)
        await channel.verify(inbound)
        native = channel.parse(inbound)
        intake = channel.normalize(native, inbound)
        reply = await request.app[keys.PIPELINE].submit(intake)
        return channel.reply(reply)

    handle.__name__ = f"{name}_messages"
    return handle


def add_routes(app: web.Application, settings: Settings) -> None:
    for name, (method, path) in JSON_ENDPOINTS.items():
        if name in settings.channels:
            app.router.add_route(method, path, channel_handler(name))
