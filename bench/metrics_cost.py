"""What Prometheus's ``/metrics`` costs a worker per event (``bench.pipeline --metrics-cost``).

``/metrics`` counts nothing itself (``streams.metrics``): it reads, at scrape time, the
counters the agents keep anyway, and a batch adds one latency observation. So its cost is
the scrapes'. One worker processes the same topics twice, each time with a consumer group
of its own: once not scraped, once with ``/metrics`` scraped every ``--scrape-every``
seconds (1 s: fifteen times Prometheus's default interval, to make the cost visible). The
two runs' worker CPU time per event, and their throughput, differ by the scrapes' cost
(and the machine's noise); each scrape is also timed from the client, an upper bound of
the worker's time for it (a scrape waits for the batch in hand).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.harness import LUGANG_WORKER, BenchFailure, MetricsProbe, Throughput, topic_partitions
from bench.runs import Run
from lugang.topics import TopicNames

PROMETHEUS_DEFAULT_S = 15.0
"""Prometheus's default ``scrape_interval``."""


@dataclass(frozen=True, slots=True)
class Arm:
    """One run of one worker over the topics."""

    throughput: Throughput
    cpu_s: float
    probe: MetricsProbe


@dataclass(frozen=True, slots=True)
class MetricsCost:
    """The two runs, and the events each processed in all."""

    events: int
    every_s: float
    plain: Arm
    scraped: Arm

    def cpu_us(self, arm: Arm) -> float:
        """The worker's CPU time per event, start-up included (the same in both runs)."""
        return arm.cpu_s / self.events * 1e6

    def lines(self) -> list[str]:
        plain, scraped = self.plain, self.scraped
        change = scraped.throughput.rate / plain.throughput.rate - 1
        delta = self.cpu_us(scraped) - self.cpu_us(plain)
        at_default = delta * self.every_s / PROMETHEUS_DEFAULT_S
        probe = scraped.probe
        times = sorted(probe.scrapes_s)
        lines = [
            "",
            f"/metrics cost (one worker, scraped every {self.every_s:g} s against not scraped):",
            f"  throughput: {scraped.throughput.rate:,.0f} events/s scraped, "
            f"{plain.throughput.rate:,.0f} not scraped ({change:+.1%})",
            f"  worker CPU per event: {self.cpu_us(scraped):.2f} us scraped, "
            f"{self.cpu_us(plain):.2f} us not: {delta:+.3f} us per event at one scrape per "
            f"{self.every_s:g} s, {at_default:+.4f} us at Prometheus's default "
            f"{PROMETHEUS_DEFAULT_S:g} s",
        ]
        if times:
            per_event = sum(times) / self.events * 1e6
            lines.append(
                f"  scrapes: {len(times):,} ({probe.failed} failed), "
                f"p50 {_ms(times, 0.5)}, p99 {_ms(times, 0.99)}, max {times[-1] * 1000:.1f} ms, "
                f"{statistics.mean(probe.sizes) / 1000:.1f} kB each; their client-side time "
                f"over the events: {per_event:.4f} us per event (an upper bound)"
            )
        else:
            lines.append(f"  scrapes: none answered ({probe.failed} failed)")
        return lines


def _ms(ordered: Sequence[float], quantile: float) -> str:
    index = min(len(ordered) - 1, int(quantile * len(ordered)))
    return f"{ordered[index] * 1000:.1f} ms"


def metrics_cost(
    run: Run, copy: Callable[[str], tuple[TopicNames, list[str]]], every_s: float
) -> MetricsCost:
    """One worker, not scraped then scraped every ``every_s`` seconds, each over a copy of
    the inputs of its own (``copy``: the topics of a copy by name, and the followers to
    wait for; a run on another's topics would read that run's points and facts too)."""

    def arm(name: str, scrape_every: float | None) -> tuple[Arm, int]:
        topics, followers = copy(name)
        probe = MetricsProbe(scrape_every)
        throughput, _ = run.workers(name, LUGANG_WORKER, 1, topics, followers, probe)
        if throughput is None:
            raise BenchFailure(f"{name}: done within its first commit; measure more --events")
        _, events = topic_partitions(run.servers.bootstrap, topics.inputs)
        return Arm(throughput, probe.cpu_s, probe), events

    plain, events = arm("metrics-plain", None)
    scraped, _ = arm("metrics-scraped", every_s)
    return MetricsCost(events, every_s, plain, scraped)
