"""The counters and histograms the gateway and its workers record (exported at `GET /metrics`).

Multi-process safe: `serve`, `serve --workers N`, `up` and the workers they run on one machine set
`PROMETHEUS_MULTIPROC_DIR` (`<data dir>/metrics`, by `queue_workers.metrics_dir`) before anything
imports prometheus-client, so every process writes its values to files there and the `/metrics`
of any of them adds them up (`gateway.metrics.scrape`). Gauges are not kept here: they are read at
scrape time from where the truth is (Redis, the spool, the loaded knowledge base).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from queue_workers.metrics_dir import MULTIPROC_ENV

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "hotline_http_requests", "HTTP requests answered, by channel (or `other`) and status", ["channel", "status"]
)
DECISIONS = Counter(
    "hotline_intake_decisions",
    "New submissions decided, by channel, decision, category and domain",
    ["channel", "decision", "category", "domain"],
)
WECHAT_LATE_REPLIES = Counter(
    "hotline_wechat_late_replies", "WeChat outcomes not ready in time, sent later through the customer-service API"
)
FORWARD_SECONDS = Histogram(
    "hotline_forward_seconds",
    "Deliveries to the ticketing core (and returns to 12345), seconds, by receiver and outcome",
    ["receiver", "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
FORWARD_FAILURES = Counter(
    "hotline_forward_failures",
    "Failed delivery attempts, by receiver and kind (transient: retried; permanent: dead-lettered)",
    ["receiver", "kind"],
)


class _ThisProcess(Collector):
    """prometheus-client's default registry: this process's counters, when not multi-process."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def counters() -> CollectorRegistry:
    """The counts to export: every process's of this machine in multi-process mode, else ours."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped in prometheus-client
    else:
        registry.register(_ThisProcess())
    return registry


def serve_worker_metrics(host: str, port: int) -> None:
    """A worker on a host of its own: its delivery counts at http://host:port/metrics (a thread)."""
    start_http_server(port, addr=host, registry=counters())
    log.info("worker metrics on http://%s:%d/metrics", host, port)
