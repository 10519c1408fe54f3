"""The aiohttp application: `create_app(settings)` wires everything; nothing exists at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from channels import Channel, ChannelConfigError, ChannelServices
from channels.hotline12345 import Hotline12345Channel
from channels.ivr import IvrChannel
from channels.registry import REGISTRY
from channels.wechat import WeChatChannel
from gateway import (
    keys,
    redis_clients,
    routes_12345,
    routes_admin,
    routes_channels,
    routes_docs,
    routes_ivr,
    routes_kb,
    routes_ops,
    routes_webform,
    routes_wechat,
)
from gateway.decide import Decider, KnowledgeBaseDecider
from gateway.enqueue import BatchingEnqueuer
from gateway.http import error_middleware_factory
from gateway.ivr_flow import IvrFlow
from gateway.kb.live import KbConfigError, LiveKnowledgeBase
from gateway.kb.store import KbStore
from gateway.metrics import build_registry
from gateway.pipeline import IntakePipeline
from gateway.policy.bootstrap import policy_decider
from gateway.request_context import request_ids
from gateway.settings import Settings
from gateway.signing import Signer, load_or_create_secret
from gateway.spool import Spool, SpoolReplayer, node_id_of
from gateway.state import DedupeStore, RateLimiter, RedisNonceStore, SenderLimits, SpoolingNonceStore, TicketNumbers
from gateway.uploads import UploadStore
from gateway.wechat_flow import WeChatFlow
from queue_workers.ticket_store import TicketStore

log = logging.getLogger(__name__)


def build_channels(settings: Settings, services: ChannelServices) -> dict[str, Channel[object]]:
    """The enabled channels, each built from its settings; any misconfiguration stops start-up."""
    channels: dict[str, Channel[object]] = {}
    for name in settings.channels:
        try:
            channel_class = REGISTRY[name]
        except KeyError:
            raise ChannelConfigError(
                f"HOTLINE_CHANNELS names unknown channel {name!r}; known: {', '.join(sorted(REGISTRY))}"
            ) from None
        channels[name] = channel_class.from_settings(settings, services)
    return channels


def create_app(settings: Settings, *, decider: Decider | None = None) -> web.Application:
    """The gateway. `decider` replaces the decision step (tests: a slow or scripted one)."""
    if not settings.redis_url:
        raise ChannelConfigError("HOTLINE_REDIS_URL is required here (the CLI starts an embedded Redis)")
    # The form is the largest body we take; every route reads its own, smaller limit (gateway.http).
    app = web.Application(
        client_max_size=settings.form_max_bytes + 64 * 1024,
        middlewares=[request_ids, error_middleware_factory()],
    )
    app[keys.SETTINGS] = settings
    app[keys.KB] = kb = LiveKnowledgeBase(
        seed_path=settings.kb_path,
        cache_dir=settings.kb_cache_dir,
        threshold=settings.kb_threshold,
        interval_s=settings.kb_reload_interval_s,
    )
    # Instant answers from the knowledge base on every channel: the pipeline's decision step.
    app[keys.DECIDER] = decider or KnowledgeBaseDecider(policy_decider(settings), kb)
    key = (
        settings.secret_key.get_secret_value().encode()
        if settings.secret_key
        else load_or_create_secret(settings.data_dir / "secret_key")
    )
    app[keys.SIGNER] = Signer(key)
    app.cleanup_ctx.append(_redis_ctx)
    app.cleanup_ctx.append(_kb_ctx)
    app.cleanup_ctx.append(_pipeline_ctx)
    app.cleanup_ctx.append(_ticket_store_ctx)
    app.router.add_routes(routes_ops.routes)
    app.router.add_routes(routes_docs.routes)
    if settings.admin_enabled:
        app.router.add_routes(routes_admin.routes)
        app.router.add_routes(routes_kb.routes)
    routes_channels.add_routes(app, settings)
    if "webform" in settings.channels:
        app.router.add_routes(routes_webform.routes)
    if "wechat" in settings.channels:
        app.router.add_routes(routes_wechat.routes)
    if Hotline12345Channel.name in settings.channels:
        routes_12345.add_routes(app)
    if IvrChannel.name in settings.channels:
        routes_ivr.add_routes(app, settings)
    app.router.add_routes(routes_webform.file_routes)
    return app


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    if not settings.redis_url:
        raise ChannelConfigError("HOTLINE_REDIS_URL is required")
    app[keys.REDIS] = async_redis = redis_clients.async_client(settings.redis_url)
    app[keys.REDIS_SYNC] = sync_redis = redis_clients.sync_client(settings.redis_url)
    yield
    await redis_clients.close_async(async_redis)
    sync_redis.close()


async def _kb_ctx(app: web.Application) -> AsyncIterator[None]:
    kb = app[keys.KB]
    try:
        await kb.start(KbStore(app[keys.REDIS]))
    except KbConfigError as exc:
        raise ChannelConfigError(str(exc)) from exc
    yield
    await kb.stop()


async def _pipeline_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    client = app[keys.REDIS]
    enqueuer = BatchingEnqueuer(app[keys.REDIS_SYNC], job_timeout_s=int(settings.ticket_core_timeout_s * 3) + 30)
    app[keys.ENQUEUER] = enqueuer
    spool = Spool(settings.spool_path, settings.node_id or node_id_of(settings.data_dir))
    app[keys.SPOOL] = spool
    app[keys.METRICS] = build_registry(spool, app[keys.REDIS_SYNC], app[keys.KB])
    app[keys.PIPELINE] = IntakePipeline(
        dedupe=DedupeStore(client),
        numbers=TicketNumbers(client),
        decider=app[keys.DECIDER],
        enqueuer=enqueuer,
        dedupe_ttl_s=settings.dedupe_ttl_s,
        dedupe_wait_s=settings.dedupe_wait_s,
        forward_retry_schedule=tuple(settings.forward_retry_schedule),
        spool=spool,
    )
    # The web form's CSRF tokens are signed with the same key as the upload URLs.
    services = ChannelServices(nonces=SpoolingNonceStore(RedisNonceStore(client), spool), signer=app[keys.SIGNER])
    app[keys.CHANNELS] = build_channels(settings, services)
    app[keys.FORM_RATE_LIMITER] = RateLimiter(client, "form", settings.form_rate_limit, settings.form_rate_window_s)
    app[keys.SENDER_LIMITS] = SenderLimits(
        client,
        settings.form_rate_window_s,
        {"app": settings.app_rate_limit, "wechat": settings.wechat_rate_limit, "ivr": settings.ivr_rate_limit},
    )
    app[keys.UPLOADS] = UploadStore(
        settings.data_dir / "uploads",
        app[keys.SIGNER],
        settings.base_url,
        settings.upload_url_ttl_s,
        max_bytes=settings.upload_max_bytes,
    )
    wechat = app[keys.CHANNELS].get("wechat")
    if isinstance(wechat, WeChatChannel):
        app[keys.WECHAT_FLOW] = WeChatFlow(
            channel=wechat,
            pipeline=app[keys.PIPELINE],
            redis=client,
            settings=settings,
            limits=app[keys.SENDER_LIMITS],
        )
    ivr = app[keys.CHANNELS].get(IvrChannel.name)
    if isinstance(ivr, IvrChannel):
        app[keys.IVR_FLOW] = IvrFlow(
            channel=ivr,
            pipeline=app[keys.PIPELINE],
            redis=client,
            region_code=settings.region_code,
            dedupe_ttl_s=settings.dedupe_ttl_s,
        )
    enqueuer.start()
    replayer = SpoolReplayer(spool, enqueuer)
    app[keys.REPLAYER] = replayer
    replayer.start()
    yield
    # Runs after the server stopped taking requests: outcomes still being worked out for WeChat
    # citizens go out, and whatever is waiting still reaches Redis.
    if keys.WECHAT_FLOW in app:
        await app[keys.WECHAT_FLOW].drain(settings.shutdown_grace_s)
    await replayer.stop()
    await enqueuer.stop()
    spool.close()


async def _ticket_store_ctx(app: web.Application) -> AsyncIterator[None]:
    store = TicketStore(app[keys.SETTINGS].ticket_store_path)
    app[keys.TICKET_STORE] = store
    yield
    store.close()
