"""Alert latency: a steady feed of in-band readings with excursions injected into it, and
an HTTP listener standing in for on-call staff behind Alertmanager's webhook.

Latency is measured from the moment the readings that complete an excursion and settle
it are handed to the producer to the moment Alertmanager's webhook call for that exception
arrives: it includes the producer's batching (``linger_ms``), the worker's batch wait, its
InfluxDB flush, its post to Alertmanager and Alertmanager's dispatch (``group_wait`` 0 s in
the generated configuration). Both instants are read from one monotonic clock in this
process.

The worker pages a decision once it is final: once a reading of the container more than
the allowed lateness (10 min of event time) after the one that shows it has come, so that
a reading arriving late within the lateness can never change an exception's id and page it
twice (the domain's order-proof ids). Live, that wait is event time: a page comes the
lateness after the reading that shows it, plus this latency. The feed sends the settling
readings with the completing one, so this latency is the pipeline's own, apart from the
lateness the operator configures; sent one by one at the feed's pace (which packs minutes
of event time into seconds) the wait would measure the feed's compression, not the worker.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any

from kafka import KafkaProducer

from bench.synthetic import READING_INTERVAL, Excursion, container_number, in_band, reading
from lugang.topics import TopicNames
from producers.records import Record

TICK_S = 0.05


class WebhookListener:
    """Collects when Alertmanager first notifies each firing exception of one app id
    (the ``lugang`` label), by container."""

    def __init__(self) -> None:
        self.app_id: str | None = None
        self.kind = "HIGH"
        self.first_seen: dict[str, float] = {}
        self._lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length", "0"))
                listener.notified(json.loads(self.rfile.read(length)), arrived)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the benchmark's output clean."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def notified(self, body: dict[str, Any], arrived: float) -> None:
        for alert in body.get("alerts", []):
            labels = alert.get("labels", {})
            if (
                alert.get("status") == "firing"
                and labels.get("lugang") == self.app_id
                and labels.get("kind") == self.kind
            ):
                with self._lock:
                    self.first_seen.setdefault(labels["container"], arrived)

    def seen(self, container: str) -> float | None:
        with self._lock:
            return self.first_seen.get(container)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True, slots=True)
class AlertLatency:
    """What the feed measured."""

    latencies_s: list[float]
    injected: int
    feed_rate: float
    """Events per second the feed actually sent (background and excursions)."""
    lag_at_end: int = 0
    """Messages the worker had not committed when the feed stopped (its commits come every
    few seconds, so a worker that keeps up still shows a few seconds of the feed)."""
    caught_up_s: float | None = None
    """Seconds after the feed stopped until the worker had committed everything (None: not
    within the time allowed): a few seconds (the commit interval) if it kept up."""

    @property
    def missing(self) -> int:
        return self.injected - len(self.latencies_s)

    def percentile_ms(self, p: int) -> float:
        """The ``p``-th percentile of the latencies (at least one), in milliseconds."""
        if len(self.latencies_s) == 1:
            return self.latencies_s[0] * 1000
        cuts = statistics.quantiles(self.latencies_s, n=100, method="inclusive")
        return cuts[p - 1] * 1000


def background(owner: str, containers: int, start: datetime) -> Iterator[Record]:
    """In-band readings of ``containers`` reefers, round after round, for ever."""
    numbers = [container_number(owner, i) for i in range(containers)]
    spread = READING_INTERVAL / containers
    for r in count():
        for i, number in enumerate(numbers):
            at = start + r * READING_INTERVAL + i * spread
            yield reading(number, at, in_band(i, r), f"{number}-{r}")


def run_feed(
    producer: KafkaProducer,
    topics: TopicNames,
    listener: WebhookListener,
    feed: Iterator[Record],
    excursions: Sequence[Excursion],
    rate: float,
    warmup_s: float,
    spacing_s: float,
    drain_s: float,
) -> AlertLatency:
    """Send ``feed`` at ``rate`` events/s; after ``warmup_s`` the excursions' earlier
    readings, then one completing reading every ``spacing_s``; stop once every excursion
    has been notified, or ``drain_s`` after the last one was sent."""

    def send(record: Record) -> None:
        key = None if record.key is None else record.key.encode()
        producer.send(
            topics.name(record.topic), key=key, value=record.value, timestamp_ms=record.timestamp_ms
        )

    sent_at: dict[str, float] = {}
    prefixes_at = warmup_s
    first_completion = warmup_s + 3.0
    completions = [first_completion + k * spacing_s for k in range(len(excursions))]
    last_completion = completions[-1] if completions else first_completion
    started = time.monotonic()
    sent = 0
    prefixes_sent = False
    next_excursion = 0
    while True:
        elapsed = time.monotonic() - started
        for _ in range(int(elapsed * rate) - sent):
            send(next(feed))
            sent += 1
        if not prefixes_sent and elapsed >= prefixes_at:
            for shape in excursions:
                for record in shape.prefix:
                    send(record)
                    sent += 1
            prefixes_sent = True
        while next_excursion < len(excursions) and elapsed >= completions[next_excursion]:
            shape = excursions[next_excursion]
            sent_at[shape.container] = time.monotonic()
            for record in [shape.completing, *shape.settling]:
                send(record)
                sent += 1
            next_excursion += 1
        done = next_excursion == len(excursions) and all(
            listener.seen(container) is not None for container in sent_at
        )
        if done or elapsed > last_completion + drain_s:
            break
        time.sleep(TICK_S)
    producer.flush()
    elapsed = time.monotonic() - started
    latencies = []
    for container, at in sent_at.items():
        seen = listener.seen(container)
        if seen is not None:
            latencies.append(seen - at)
    return AlertLatency(sorted(latencies), len(excursions), sent / elapsed)
