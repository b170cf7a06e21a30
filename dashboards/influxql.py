"""InfluxQL queries for grafana-foundation-sdk, which ships no InfluxDB query type.

``InfluxQLQuery`` is the raw-InfluxQL target of Grafana's InfluxDB data source (the
fields its query editor saves in raw mode); ``InfluxQL`` is its builder, accepted wherever
the SDK takes a query builder. ``register()`` teaches the SDK's JSON decoder the type, so
``Dashboard.from_json`` reads our targets back as ``InfluxQLQuery`` instead of an untyped
bag. ``InfluxAnnotationTarget`` does the same for annotation queries: the SDK's
``AnnotationTarget`` only knows the built-in Grafana annotations.
"""

from __future__ import annotations

from typing import Any, Final, Literal, Self

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import runtime as cogruntime
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import dashboard as model

DATASOURCE_UID: Final = "lugang-influxdb"
DATASOURCE_TYPE: Final = "influxdb"
DATASOURCE: Final = model.DataSourceRef(type_val=DATASOURCE_TYPE, uid=DATASOURCE_UID)
"""The one data source of every Lugang panel: InfluxDB in InfluxQL mode."""
DATASOURCE_NAME: Final = "Lugang InfluxDB"
DATABASE: Final = "lugang"
"""The InfluxQL database the data source reads (InfluxDB 2.x: mapped to the bucket)."""

ResultFormat = Literal["time_series", "table"]


def _datasource_json() -> dict[str, object]:
    return {"type": DATASOURCE_TYPE, "uid": DATASOURCE_UID}


class InfluxQLQuery(cogvariants.Dataquery):
    """A raw InfluxQL query of the Lugang InfluxDB data source."""

    def __init__(
        self,
        ref_id: str = "A",
        query: str = "",
        result_format: ResultFormat = "time_series",
        alias: str | None = None,
    ) -> None:
        self.ref_id = ref_id
        self.query = query
        self.result_format = result_format
        self.alias = alias

    def to_json(self) -> dict[str, object]:
        payload: dict[str, object] = {
            "refId": self.ref_id,
            "datasource": _datasource_json(),
            "query": self.query,
            "rawQuery": True,
            "resultFormat": self.result_format,
        }
        if self.alias is not None:
            payload["alias"] = self.alias
        return payload

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        if data.get("rawQuery") is not True or not isinstance(data.get("query"), str):
            raise ValueError(f"target {data.get('refId')!r}: not a raw InfluxQL query")
        return cls(data["refId"], data["query"], data["resultFormat"], data.get("alias"))


class InfluxQL(cogbuilder.Builder[cogvariants.Dataquery]):
    """Builder of an ``InfluxQLQuery``: ``InfluxQL("SELECT ...").alias("$tag_corridor")``."""

    def __init__(self, query: str, ref_id: str = "A") -> None:
        self._internal = InfluxQLQuery(ref_id, query)

    def build(self) -> InfluxQLQuery:
        return self._internal

    def ref_id(self, ref_id: str) -> Self:
        self._internal.ref_id = ref_id
        return self

    def alias(self, alias: str) -> Self:
        """Series name; ``$tag_NAME`` and ``$col`` are replaced by Grafana."""
        self._internal.alias = alias
        return self

    def table(self) -> Self:
        """Rows and columns instead of time series (for table panels)."""
        self._internal.result_format = "table"
        return self


class InfluxAnnotationTarget(model.AnnotationTarget):
    """Annotation query of the InfluxDB data source: the rows of ``query`` become events,
    with ``text_column`` as their text, ``tags_column`` (comma-separated column names) as
    tags and, when given, ``time_end_column`` (milliseconds since the epoch) as the end of
    a region; a row whose end is null is a point. Written as the data source's own query;
    the base class's fields (``limit``, ``tags``, ...) belong to Grafana's built-in
    annotations and are left out."""

    def __init__(
        self, query: str, text_column: str, tags_column: str, time_end_column: str | None = None
    ) -> None:
        super().__init__()
        self.query = query
        self.text_column = text_column
        self.tags_column = tags_column
        self.time_end_column = time_end_column

    def to_json(self) -> dict[str, object]:
        payload: dict[str, object] = {
            "refId": "Anno",
            "datasource": _datasource_json(),
            "query": self.query,
            "rawQuery": True,
            "resultFormat": "table",
            "fromAnnotations": True,
            "textColumn": self.text_column,
            "tagsColumn": self.tags_column,
        }
        if self.time_end_column is not None:
            payload["timeEndColumn"] = self.time_end_column
        return payload


class InfluxAnnotation(cogbuilder.Builder[model.AnnotationTarget]):
    """Builder of an ``InfluxAnnotationTarget`` (for ``AnnotationQuery.target``)."""

    def __init__(
        self, query: str, text_column: str, tags_column: str, time_end_column: str | None = None
    ) -> None:
        self._internal = InfluxAnnotationTarget(query, text_column, tags_column, time_end_column)

    def build(self) -> InfluxAnnotationTarget:
        return self._internal


def select(fields: str, measurement: str, *, where: str = "", group_by: str = "") -> InfluxQL:
    """``SELECT fields FROM "measurement" WHERE [where AND] $timeFilter [GROUP BY ...]``:
    every Lugang query has this shape, Grafana's time filter included."""
    conditions = f"{where} AND $timeFilter" if where else "$timeFilter"
    # Query text for Grafana, built from the schema's constants: never executed here.
    text = f'SELECT {fields} FROM "{measurement}" WHERE {conditions}'  # noqa: S608
    return InfluxQL(f"{text} GROUP BY {group_by}" if group_by else text)


def by(*tags: str) -> str:
    """``GROUP BY`` clause of series per tag: ``by("corridor")`` is ``"corridor"``."""
    return ", ".join(f'"{tag}"' for tag in tags)


def per_day(timezone: str, *tags: str) -> str:
    """``GROUP BY`` clause of one bucket per local day (daily points are stamped at local
    midnight, so UTC days would show each on the day before), and series per tag."""
    return ", ".join(["time(1d)", *(f'"{tag}"' for tag in tags)]) + f" fill(none) tz('{timezone}')"


def register() -> None:
    """Let the SDK decode targets of the InfluxDB data source as ``InfluxQLQuery``."""
    cogruntime.register_dataquery_variant(
        cogruntime.DataqueryConfig(
            identifier=DATASOURCE_TYPE, from_json_hook=InfluxQLQuery.from_json
        )
    )
