"""Prometheus metrics: one registry per process, passed to whoever records (no module globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Command handling is expected in milliseconds; the platforms give up at 3 s.
COMMAND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LAG_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 7200)


class Metrics:
    """The bot's counters and histograms, registered in their own registry (tests build fresh ones)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.posts = Counter(
            "mlq_posts", "Daily and shared posts by outcome", ["platform", "outcome"], registry=self.registry
        )
        self.reveals = Counter(
            "mlq_reveals", "Answer reveals by outcome", ["platform", "outcome"], registry=self.registry
        )
        self.commands = Counter(
            "mlq_commands",
            "/mlquestion commands and button clicks",
            ["platform", "command"],
            registry=self.registry,
        )
        self.platform_errors = Counter(
            "mlq_platform_api_errors",
            "Platform API errors by code",
            ["platform", "code"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "mlq_command_seconds",
            "Time to handle a command in the core",
            ["platform"],
            buckets=COMMAND_BUCKETS,
            registry=self.registry,
        )
        self.post_lag_seconds = Histogram(
            "mlq_post_lag_seconds",
            "How long after its scheduled instant a daily post was sent",
            ["platform"],
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.scheduler_lag_seconds = Gauge(
            "mlq_scheduler_lag_seconds",
            "Lateness of the most recent scheduled post or reveal",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
