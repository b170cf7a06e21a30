"""Topic names (configuration: a prefix before each topic kind) and their creation."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from lugang.contract import TOPIC_KINDS
from lugang.net import short_reason, unreachable

DEAD_LETTER_KIND = "deadletter"


@dataclass(frozen=True, slots=True)
class TopicNames:
    """Maps topic kinds (``trains``, ``containers``, ``reefer``, ``deadletter``) to names."""

    prefix: str = ""

    def name(self, kind: str) -> str:
        """The topic name of a kind."""
        return f"{self.prefix}{kind}"

    def kind(self, name: str) -> str:
        """The topic kind of a topic name (the name without the prefix)."""
        return name.removeprefix(self.prefix)

    @property
    def inputs(self) -> list[str]:
        """The names of the three input topics."""
        return [self.name(kind) for kind in TOPIC_KINDS]

    @property
    def dead_letter(self) -> str:
        """The name of the dead-letter topic."""
        return self.name(DEAD_LETTER_KIND)


class BrokerUnreachable(ConnectionError):
    """No bootstrap server accepts connections.

    ``bootstrap`` is where it was looked for and ``reason`` why it failed; the message
    advises LUGANG_KAFKA_BOOTSTRAP, which every command reads (the command line names a
    command's ``--bootstrap`` too, where it has one)."""

    VARIABLE = "LUGANG_KAFKA_BOOTSTRAP"

    def __init__(self, bootstrap: str, reason: str) -> None:
        self.bootstrap = bootstrap
        self.reason = reason
        super().__init__(self.advising(self.VARIABLE))

    def advising(self, fix: str) -> str:
        """The message, advising to start the broker or set ``fix``."""
        return unreachable("Kafka", self.bootstrap, self.reason, f"start it or set {fix}")


def require_broker(bootstrap: str, timeout: float = 5.0) -> None:
    """Fail fast, within ``timeout`` per server, when no bootstrap server accepts a TCP
    connection (kafka-python would otherwise retry for its full request timeout)."""
    reason = "no server given"
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                return
        except ValueError:
            reason = f"{server.strip()!r} is not HOST:PORT"
        except OSError as exc:
            reason = short_reason(exc, timeout)
    raise BrokerUnreachable(bootstrap, reason)


KEEP_FOREVER = -1

SEGMENT_MS = 10 * 365 * 24 * 3600 * 1000
"""``segment.ms`` of the topics kept for ever: ten years, so their segments roll by size
(``segment.bytes``) only. Kafka also rolls a segment when a record's timestamp is
``segment.ms`` (7 days by default) past the segment's first, and records keep their event
times: a recording replayed in seconds was cut into a segment per week of event time, a
few thousand records each, and a consumer reads one segment of a partition per fetch. One
worker read the first 300,000 records of ``bench.pipeline``'s year at 7,719 events/s (CPU
120 µs an event) in weekly segments and at 9,468 (101 µs) in segments rolled by size; the
bare faust agent on Lugang's fetch loop at 25,200 and 43,200. With nothing deleted, rolling
by time bought nothing."""


def ensure_topics(
    bootstrap: str,
    names: list[str],
    partitions: int,
    retention_ms: int = KEEP_FOREVER,
    compact: bool = False,
) -> list[str]:
    """Create the topics among ``names`` that do not exist yet; return those created.

    Records keep their event time as Kafka timestamp (a replay of last year's recording
    too), and Kafka deletes by timestamp: with the broker's default retention (7 days) a
    replayed old recording would be deleted minutes after it was sent. So topics are
    created with ``retention.ms`` = ``retention_ms``, by default kept forever (and then with
    :data:`SEGMENT_MS`); ``compact`` topics (a table's changelog) keep the latest record of
    each key instead."""
    require_broker(bootstrap)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="lugang-admin")
    try:
        missing = sorted(set(names) - set(admin.list_topics()))
        created = []
        for name in missing:
            try:
                topic = NewTopic(
                    name,
                    partitions,
                    replication_factor=1,
                    topic_configs=(
                        {"cleanup.policy": "compact"} if compact else _kept_configs(retention_ms)
                    ),
                )
                admin.create_topics([topic])
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # another producer created it meanwhile: that is what we wanted
        return created
    finally:
        admin.close()


def _kept_configs(retention_ms: int) -> dict[str, str]:
    """The configs of a topic that deletes records after ``retention_ms`` (-1: never)."""
    configs = {"retention.ms": str(retention_ms)}
    # Only when nothing is deleted: retention deletes whole segments, each once its newest
    # record is old, so a topic that deletes keeps rolling by time.
    if retention_ms == KEEP_FOREVER:
        configs["segment.ms"] = str(SEGMENT_MS)
    return configs
