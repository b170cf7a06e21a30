"""Topic names (configuration: a prefix before each topic kind) and their creation."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from lugang.contract import TOPIC_KINDS

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
    """No bootstrap server accepts connections."""


def require_broker(bootstrap: str, timeout: float = 5.0) -> None:
    """Fail fast, within ``timeout`` per server, when no bootstrap server accepts a TCP
    connection (kafka-python would otherwise retry for its full request timeout)."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                return
        except (OSError, ValueError):
            continue
    raise BrokerUnreachable(
        f"no Kafka broker answers at {bootstrap}; is it running? "
        "(set --bootstrap or LUGANG_KAFKA_BOOTSTRAP)"
    )


KEEP_FOREVER = -1


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
    created with ``retention.ms`` = ``retention_ms``, by default kept forever; ``compact``
    topics (a table's changelog) keep the latest record of each key instead."""
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
                        {"cleanup.policy": "compact"}
                        if compact
                        else {"retention.ms": str(retention_ms)}
                    ),
                )
                admin.create_topics([topic])
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # another producer created it meanwhile: that is what we wanted
        return created
    finally:
        admin.close()
