"""The dashboards' annotations: InfluxQL queries of the Lugang InfluxDB, which Grafana
draws on every time series of the dashboard that holds them.

- **Departures** from the port (``train_departure``, written as each departure is read):
  the train id as text, its corridor as a tag. On the overview and the trends.
- **Cold-chain exceptions** (``coldchain_exception``, stamped at the start): the kind as
  text, the container, commodity, corridor and status as tags; a closed exception is a
  region from its start to its end (``ended_at_ms``), an open one a point at its start.
  On the cold-chain dashboard, for the containers it shows.
- **Container moves** (``container_move``, at the move's event time): the kind (GTIN, LOAD,
  DISC, GTOT) as text, the place, direction, train and corridor as tags. On the cold-chain
  dashboard, for the containers it shows: where the box was when its temperature changed.

Grafana runs them when a dashboard is looked at, so they show what InfluxDB holds now: a
replayed week, a closed exception and a new departure need nothing copied into Grafana.
InfluxQL cannot join strings, so the text is one column and the rest are tags (Grafana's
InfluxDB annotation field mappings: text, tags, time end). One home for both queries, as
two dashboards share the departures.
"""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.builders import dashboard

from dashboards.influxql import DATASOURCE, InfluxAnnotation, select
from dashboards.panels import label
from streams.schema import points

DEPARTURES: Final = label("发车", "Train departures")
EXCEPTIONS: Final = label("冷链异常", "Cold-chain exceptions")
EXCEPTION_TAGS: Final = ("equipment_reference", "commodity", "corridor", "status")
EXCEPTION_END: Final = "ended_at_ms"
MOVES: Final = label("箱子动态", "Container moves")
MOVE_TAGS: Final = ("location", "direction", "train_id", "corridor")


def _annotation(name: str, colour: str, target: InfluxAnnotation) -> dashboard.AnnotationQuery:
    return (
        dashboard.AnnotationQuery()
        .name(name)
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color(colour)
        .target(target)
    )


def departure_annotations() -> dashboard.AnnotationQuery:
    """Every departure from the port in the dashboard's range. ``runs`` is selected only
    because InfluxQL returns tags beside a field, never alone."""
    query = select('"train_id", "corridor", "runs"', points.TRAIN_DEPARTURE)
    return _annotation(
        DEPARTURES, "blue", InfluxAnnotation(query.build().query, "train_id", "corridor")
    )


def exception_annotations(where: str) -> dashboard.AnnotationQuery:
    """The cold-chain exceptions that started in the dashboard's range and meet ``where``
    (an InfluxQL condition, e.g. on the container variable)."""
    columns = ", ".join(f'"{name}"' for name in ("kind", *EXCEPTION_TAGS, EXCEPTION_END))
    query = select(f'{columns}, "peak_deviation_c"', points.COLDCHAIN_EXCEPTION, where=where)
    target = InfluxAnnotation(query.build().query, "kind", ",".join(EXCEPTION_TAGS), EXCEPTION_END)
    return _annotation(EXCEPTIONS, "red", target)


def move_annotations(where: str) -> dashboard.AnnotationQuery:
    """The container moves in the dashboard's range that meet ``where`` (an InfluxQL
    condition, e.g. on the container variable). ``event_id`` is selected only because
    InfluxQL returns tags beside a field, never alone."""
    columns = ", ".join(f'"{name}"' for name in ("event_type", *MOVE_TAGS, "event_id"))
    query = select(columns, points.CONTAINER_MOVE, where=where)
    target = InfluxAnnotation(query.build().query, "event_type", ",".join(MOVE_TAGS))
    return _annotation(MOVES, "purple", target)
