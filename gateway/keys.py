"""Typed application state: every `web.AppKey` of the gateway, in one module."""

from __future__ import annotations

import redis
from aiohttp import web
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis as AsyncRedis

from channels.base import Channel
from gateway.decide import Decider
from gateway.enqueue import BatchingEnqueuer
from gateway.ivr_flow import IvrFlow
from gateway.kb.live import LiveKnowledgeBase
from gateway.pipeline import IntakePipeline
from gateway.settings import Settings
from gateway.signing import Signer
from gateway.spool import Spool, SpoolReplayer
from gateway.state import RateLimiter, SenderLimits
from gateway.uploads import UploadStore
from gateway.wechat_flow import WeChatFlow
from queue_workers.ticket_store import TicketStore

SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey("redis", AsyncRedis)
REDIS_SYNC = web.AppKey("redis_sync", redis.Redis)
ENQUEUER = web.AppKey("enqueuer", BatchingEnqueuer)
PIPELINE = web.AppKey("pipeline", IntakePipeline)
CHANNELS = web.AppKey("channels", dict[str, Channel[object]])
SIGNER = web.AppKey("signer", Signer)
FORM_RATE_LIMITER = web.AppKey("form_rate_limiter", RateLimiter)
UPLOADS = web.AppKey("uploads", UploadStore)
TICKET_STORE = web.AppKey("ticket_store", TicketStore)
WECHAT_FLOW = web.AppKey("wechat_flow", WeChatFlow)
DECIDER = web.AppKey("decider", Decider)
KB = web.AppKey("kb", LiveKnowledgeBase)
IVR_FLOW = web.AppKey("ivr_flow", IvrFlow)
SPOOL = web.AppKey("spool", Spool)
METRICS = web.AppKey("metrics", CollectorRegistry)
REPLAYER = web.AppKey("replayer", SpoolReplayer)
SENDER_LIMITS = web.AppKey("sender_limits", SenderLimits)
