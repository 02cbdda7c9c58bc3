"""The server's Prometheus metrics: requests, latency and refusals counted at the HTTP edge; jobs and
data-plane generations read from the database at each scrape.

Each server (each `create_app`) has its own registry, so servers started side by side in one
process (tests, benchmarks) count apart. Label values are bounded: a command the registry does not
know is counted as "unknown", so a caller cannot grow the series by inventing command names.
Beside each published generation, the one its agent reports having applied, and whether the agent's
last apply failed: `published - applied` is the lag an alert watches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from nicstack.api.registry import COMMANDS
from nicstack.db.database import Database
from nicstack.db.repos import observed
from nicstack.db.repos.networks import LOCK_WAITS
from nicstack.db.rows import now
from nicstack.domain.errors import CloudError

# The commands that take an address from a pool: their refusals are the allocation refusals.
ALLOCATING = frozenset({"addIpToNic", "updateVmNicIp", "associateIpAddress", "deployVirtualMachine",
                        "addNicToVirtualMachine"})
# Seconds: from a trivial command on SQLite (well under 1 ms) to a slow listing.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def reason_of(error: CloudError) -> str:
    """A refusal's reason label: its error class in snake case (resource_in_use, insufficient_capacity...)."""
    return _CAMEL.sub("_", type(error).__name__).lower()


def command_label(name: str) -> str:
    return name if name in COMMANDS else "unknown"


class _Stored(Collector):
    """Figures read from the database when scraped."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("nicstack_database_up", "1 when the database answered this scrape, else 0")
        try:
            with self._db.read() as conn:
                pending, oldest = observed.pending_jobs(conn)
                generations = observed.published_generations(conn)
                applied = observed.applied_generations(conn)
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("nicstack_jobs_pending", "Async jobs waiting for a worker (all servers)",
                                value=pending)
        age = (now() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily("nicstack_jobs_oldest_pending_age_seconds",
                                "Age of the oldest pending async job (0 when none is pending)", value=max(age, 0.0))
        published = GaugeMetricFamily(
            "nicstack_dataplane_published_generation",
            "Newest generation published for each data-plane target (a virtual router or a host)",
            labels=["kind", "id"])
        for target, generation in generations:
            kind, _, uuid = target.partition(":")
            published.add_metric([kind, uuid], generation)
        yield published
        held = GaugeMetricFamily("nicstack_dataplane_applied_generation",
                                 "Generation each data-plane target's agent reports having applied",
                                 labels=["kind", "id"])
        failing = GaugeMetricFamily("nicstack_dataplane_apply_failing",
                                    "1 when the agent's last apply failed (the error is in listRouters/listHosts)",
                                    labels=["kind", "id"])
        for target, generation, failed in applied:
            kind, _, uuid = target.partition(":")
            held.add_metric([kind, uuid], generation)
            failing.add_metric([kind, uuid], int(failed))
        yield held
        yield failing


class _LockWaits(Collector):
    """The network row locks this process took and waited for (all its servers together)."""

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily("nicstack_network_locks", "Network row locks taken (address allocations)",
                                  value=LOCK_WAITS.count)
        yield CounterMetricFamily("nicstack_network_lock_wait_seconds",
                                  "Time spent taking network row locks, waits for other transactions included",
                                  value=LOCK_WAITS.seconds)


class Metrics:
    """One server's metrics; `exposition()` is the body of GET /metrics."""

    def __init__(self, db: Database) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter("nicstack_api_requests", "API requests answered, by command and HTTP status",
                                 ["command", "status"], registry=self.registry)
        self._latency = Histogram("nicstack_api_request_duration_seconds",
                                  "Time from a request's arrival to its answer, by command", ["command"],
                                  buckets=LATENCY_BUCKETS, registry=self.registry)
        self._refusals = Counter("nicstack_allocation_refusals",
                                 "Refused address allocations, by command and reason (the error's class)",
                                 ["command", "reason"], registry=self.registry)
        ProcessCollector(registry=self.registry)
        self.registry.register(_Stored(db))
        self.registry.register(_LockWaits())

    def observe(self, command: str, status: int, seconds: float, error: CloudError | None) -> None:
        label = command_label(command)
        self._requests.labels(label, str(status)).inc()
        self._latency.labels(label).observe(seconds)
        if error is not None and label in ALLOCATING:
            self._refusals.labels(label, reason_of(error)).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
