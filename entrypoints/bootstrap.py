"""The composition root: the one place that reads the settings, loads the reference and
builds the worker with its sinks.

Everything below the roof takes its ``Settings`` and ``Reference`` as parameters; the
command handlers get theirs from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lugang.reference import Reference, load_reference
from lugang.settings import Settings
from lugang.topics import TopicNames, ensure_topics

if TYPE_CHECKING:
    from streams.app import Monitor


def settings() -> Settings:
    """The settings, read from the ``LUGANG_*`` environment variables."""
    return Settings()


def reference(path: Path | None, configured: Settings | None = None) -> Reference:
    """The reference configuration in ``path`` (``--reference``), else in the file that
    ``LUGANG_REFERENCE`` names (``configured``, or the settings read now), else the packaged
    one: a deployment mounts its port's file once and names it for every command.

    Raises:
        ReferenceConfigError: the file is not a consistent reference.
        OSError: the file cannot be read.
    """
    if path is None:
        path = (configured or settings()).reference
    return load_reference(path)


def build_worker(settings: Settings, reference: Reference) -> Monitor:
    """Create the topics a worker needs and the monitor (faust app, tables, sinks)."""
    from streams.acknowledgements import SILENCES_TIMEOUT_S
    from streams.app import create_monitor
    from streams.sinks import build_sinks
    from streams.sinks.silences import AlertmanagerSilences

    topics = TopicNames(settings.topic_prefix)
    # The worker subscribes to the input topics: create them now rather than ignore them.
    ensure_topics(
        settings.kafka_bootstrap, [*topics.inputs, topics.dead_letter], settings.topic_partitions
    )
    metrics, alerts = build_sinks(settings)
    silences = None
    if settings.alertmanager_url:  # where the acknowledgements of its pages are
        fix = "start it or set LUGANG_ALERTMANAGER_URL"
        silences = AlertmanagerSilences(settings.alertmanager_url, fix, SILENCES_TIMEOUT_S)
    monitor = create_monitor(settings, reference, metrics, alerts, silences=silences)
    for name, partitions in monitor.internal_topics().items():
        ensure_topics(settings.kafka_bootstrap, [name], partitions)
    # faust creates missing changelog topics as it starts, and a partition assignment made
    # before the broker lists one leaves that table out: a worker then waits forever for
    # its global tables to recover. So they are created first.
    for name, partitions in monitor.changelog_topics().items():
        ensure_topics(settings.kafka_bootstrap, [name], partitions, compact=True)
    return monitor
