"""Typed application state: every `web.AppKey` of the gateway, in one module."""

from __future__ import annotations

from typing import TYPE_CHECKING

import redis
from aiohttp import web
from redis.asyncio import Redis as AsyncRedis

if TYPE_CHECKING:
    from channels.base import Channel
    from gateway.enqueue import BatchingEnqueuer
    from gateway.pipeline import IntakePipeline
    from gateway.settings import Settings
    from gateway.signing import Signer
    from gateway.state import RateLimiter
    from gateway.uploads import UploadStore
    from queue_workers.ticket_store import TicketStore

SETTINGS = web.AppKey["Settings"]("settings")
REDIS = web.AppKey[AsyncRedis]("redis")
REDIS_SYNC = web.AppKey[redis.Redis]("redis_sync")
ENQUEUER = web.AppKey["BatchingEnqueuer"]("enqueuer")
PIPELINE = web.AppKey["IntakePipeline"]("pipeline")
CHANNELS = web.AppKey["dict[str, Channel[object]]"]("channels")
SIGNER = web.AppKey["Signer"]("signer")
FORM_RATE_LIMITER = web.AppKey["RateLimiter"]("form_rate_limiter")
UPLOADS = web.AppKey["UploadStore"]("uploads")
TICKET_STORE = web.AppKey["TicketStore"]("ticket_store")
