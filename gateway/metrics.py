"""`GET /metrics`: Prometheus's text format.

Two parts: the counters and histograms every process records (`queue_workers.metrics`; added up
across the machine's processes in multi-process mode), and gauges read at the scrape from where
the truth is — the queues and dead letters in Redis, the spool's file (so the same whichever
process is asked, and kept across restarts), the knowledge base this process answers from.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from rq import Queue
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from gateway.kb.live import LiveKnowledgeBase
from gateway.spool import Spool
from queue_workers.metrics import counters
from queue_workers.settings import FORWARD_QUEUE, REPLY_QUEUE

log = logging.getLogger(__name__)

QUEUES = (FORWARD_QUEUE, REPLY_QUEUE)


class SpoolCollector(Collector):
    def __init__(self, spool: Spool) -> None:
        self._spool = spool

    def collect(self) -> Iterator[Metric]:
        try:
            totals = self._spool.totals()
        except sqlite3.Error as exc:
            # A scrape must not fail for it: the spool's own failure shows on /readyz and in logs.
            log.warning("metrics: the spool cannot be read (%s)", exc)
            return
        yield GaugeMetricFamily(
            "hotline_spool_depth", "Submissions in the local spool, waiting for Redis", value=totals.depth
        )
        yield CounterMetricFamily(
            "hotline_spool_spooled",
            "Submissions written to the local spool because Redis could not take them",
            value=totals.spooled,
        )
        yield CounterMetricFamily(
            "hotline_spool_replayed", "Spooled submissions written into Redis since", value=totals.replayed
        )


class QueueCollector(Collector):
    """Jobs waiting in each queue, and dead letters (failed for good), read from Redis."""

    def __init__(self, connection: redis.Redis) -> None:
        self._queues = [Queue(name, connection=connection, serializer=JSONSerializer) for name in QUEUES]

    def collect(self) -> Iterator[Metric]:
        waiting = GaugeMetricFamily("hotline_queue_depth", "Jobs waiting in the queue", labels=["queue"])
        dead = GaugeMetricFamily("hotline_dead_letters", "Jobs failed for good (hotline-gateway dlq)", labels=["queue"])
        try:
            for queue in self._queues:
                waiting.add_metric([queue.name], queue.count)
                registry = FailedJobRegistry(queue=queue, serializer=JSONSerializer)
                dead.add_metric([queue.name], registry.count)
        except redis.exceptions.RedisError as exc:
            log.warning("metrics: Redis cannot be read (%s)", type(exc).__name__)
            return
        yield waiting
        yield dead


class KnowledgeBaseCollector(Collector):
    def __init__(self, kb: LiveKnowledgeBase) -> None:
        self._kb = kb

    def collect(self) -> Iterator[Metric]:
        loaded = self._kb.loaded
        if loaded is not None and loaded.version is not None:
            yield GaugeMetricFamily("hotline_kb_version", "Knowledge-base version answered from", value=loaded.version)


def build_registry(spool: Spool, connection: redis.Redis, kb: LiveKnowledgeBase) -> CollectorRegistry:
    """The gauges read at each scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SpoolCollector(spool))
    registry.register(QueueCollector(connection))
    registry.register(KnowledgeBaseCollector(kb))
    return registry


def scrape(gauges: CollectorRegistry) -> bytes:
    """The whole exposition: every process's counters, then the gauges (blocking: off the loop)."""
    return generate_latest(counters()) + generate_latest(gauges)
