"""The pipeline-health schema: the points a worker reports about itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from streams.schema import health
from streams.schema.health import SinkHealth, TopicHealth

CST = timezone(timedelta(hours=8))


def test_health_samples_one_point_per_topic_and_sink_at_the_interval_end() -> None:
    at = datetime(2026, 3, 15, 9, 20, 37, 500_000, tzinfo=CST)
    samples = health.health_samples(
        "host-a:6066",
        at,
        {"trains": TopicHealth(12, 0, 3), "reefer": TopicHealth(400, 2, 0)},
        {"influxdb": SinkHealth(retries=1, errors=1), "alertmanager": SinkHealth(0, 0)},
    )
    assert [(s.measurement, dict(s.tags), dict(s.fields)) for s in samples] == [
        (
            health.PIPELINE,
            {"topic": "reefer", "worker": "host-a:6066"},
            {"events": 400, "dead_letters": 2, "lag": 0},
        ),
        (
            health.PIPELINE,
            {"topic": "trains", "worker": "host-a:6066"},
            {"events": 12, "dead_letters": 0, "lag": 3},
        ),
        (
            health.PIPELINE_SINK,
            {"sink": "alertmanager", "worker": "host-a:6066"},
            {"retries": 0, "errors": 0},
        ),
        (
            health.PIPELINE_SINK,
            {"sink": "influxdb", "worker": "host-a:6066"},
            {"retries": 1, "errors": 1},
        ),
    ]
    # 01:20:37.5Z rounded down to the 10-second interval: every worker's points line up.
    assert {s.time for s in samples} == {datetime(2026, 3, 15, 1, 20, 30, tzinfo=UTC)}
    assert all(type(v) is int for s in samples for v in s.fields.values())


def test_two_workers_write_apart_and_share_timestamps() -> None:
    """Same interval, same topic: the worker tag keeps both points (no overwrite)."""
    at = datetime(2026, 3, 15, 1, 20, 31, tzinfo=UTC)
    a = health.health_samples("a", at, {"reefer": TopicHealth(1, 0, 0)}, {})
    b = health.health_samples("b", at + timedelta(seconds=8), {"reefer": TopicHealth(2, 0, 0)}, {})
    assert a[0].time == b[0].time
    assert a[0].to_line() != b[0].to_line()
    assert a[0].tags["worker"] != b[0].tags["worker"]


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (datetime(2026, 3, 15, 9, 20), "UTC offset"),  # noqa: DTZ001 - the naive time is the point
        (datetime(2026, 3, 15, 9, 20, tzinfo=UTC), "negative"),
    ],
)
def test_health_samples_refuse_bad_input(moment: datetime, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        health.health_samples("a", moment, {"trains": TopicHealth(-1, 0, 0)}, {})


def test_health_measurements_are_new_names() -> None:
    from streams.schema import points

    assert not set(health.HEALTH_MEASUREMENTS) & set(points.MEASUREMENTS)


def test_agents_and_data_quality_findings_get_their_points() -> None:
    at = datetime(2026, 3, 15, 8, 0, 7, tzinfo=UTC)
    samples = health.health_samples(
        "w1",
        at,
        {},
        {},
        {"days": False, "trains": True},
        {("reefer", "late"): 2, ("trains", "duplicate"): 0},
    )
    got = {(s.measurement, tuple(sorted(s.tags.items()))): dict(s.fields) for s in samples}
    assert got == {
        (health.PIPELINE_AGENT, (("agent", "days"), ("worker", "w1"))): {"running": 0},
        (health.PIPELINE_AGENT, (("agent", "trains"), ("worker", "w1"))): {"running": 1},
        (
            health.PIPELINE_QUALITY,
            (("finding", "late"), ("topic", "reefer"), ("worker", "w1")),
        ): {"count": 2},
    }
