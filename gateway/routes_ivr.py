"""Routes of the phone channel: every IVR format goes through the same flow (`gateway.ivr_flow`)."""

from __future__ import annotations

from aiohttp import web

from channels.ivr import CALLS_PATH, FREESWITCH_PATH, TWILIO_PATH, IvrChannel
from gateway import keys
from gateway.http import channel_of, client_address, read_inbound
from gateway.settings import Settings
from normalizers.text import normalize_phone


async def ivr_calls(request: web.Request) -> web.StreamResponse:
    """Every IVR endpoint: the channel tells the formats apart by path."""
    settings = request.app[keys.SETTINGS]
    channel = channel_of(request, IvrChannel)
    client = client_address(request, settings.trusted_proxies)
    inbound = await read_inbound(request, settings.json_max_bytes, client)
    await channel.verify(inbound)
    native = channel.parse(inbound)
    if native.call is not None:
        await request.app[keys.SENDER_LIMITS].check("ivr", normalize_phone(native.call.caller))
    reply = await request.app[keys.IVR_FLOW].take(native, inbound)
    if reply is None:
        return channel.acknowledge(native)
    if native.format == "twilio":
        return channel.twiml_reply()  # Twilio reads TwiML, not the ticket
    return channel.reply(reply)


def add_routes(app: web.Application, settings: Settings) -> None:
    app.router.add_post(CALLS_PATH, ivr_calls)
    app.router.add_post(FREESWITCH_PATH, ivr_calls)
    if settings.twilio_auth_token is not None:
        app.router.add_post(TWILIO_PATH, ivr_calls)
