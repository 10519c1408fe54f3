"""`GET /metrics`: Prometheus's text format, from a registry of the app's own (no global state).

The spool's figures are read from the spool's file at each scrape, so they are the same whichever
gateway process on the data dir is asked, and survive a restart.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.spool import Spool

log = logging.getLogger(__name__)


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


def build_registry(spool: Spool) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SpoolCollector(spool))
    return registry
