"""One typed settings object, read once from ``LUGANG_*`` environment variables.

The fields are the one home of the worker's and the command's configuration: the README's
configuration table is generated from them (:func:`markdown_table`, ``lugang settings
--markdown``), and a unit test fails while the README differs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final, get_args

from pydantic import Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from lugang.links import RUNBOOKS

ENV_PREFIX: Final = "LUGANG_"


class Settings(BaseSettings):
    """Where Lugang finds its servers. Every field is ``LUGANG_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True)

    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092",
        description="Kafka bootstrap servers, `host:port[,host:port]`",
    )
    topic_prefix: str = Field(
        default="",
        description="prefix of every topic name: `PREFIX` + `trains`, `containers`, `reefer`, "
        "`deadletter`",
    )
    topic_partitions: int = Field(
        default=4,
        ge=1,
        description="partitions of the topics Lugang creates when they are missing; more "
        "workers than this stand idle, so raise it before the topics are first created",
    )
    influx_url: str | None = Field(
        default=None,
        description="InfluxDB base URL, e.g. `http://127.0.0.1:8086`; unset: no writes",
    )
    influx_token: SecretStr = Field(
        default=SecretStr("lugang:lugang"),
        description="InfluxDB token (2.x: an API token; 1.x: `user:password`)",
    )
    influx_org: str = Field(default="-", description="InfluxDB organisation (1.x: `-`)")
    influx_bucket: str = Field(
        default="lugang/autogen",
        description="InfluxDB bucket (1.x: `database/retention_policy`)",
    )
    app_id: str = Field(
        default="lugang",
        description="faust application id and consumer group: workers with one id share the "
        "partitions; also the `lugang` label of their alerts",
    )
    store: str = Field(
        default="rocksdb://",
        description="faust table store: `rocksdb://` or `memory://`",
    )
    data_dir: Path = Field(
        default=Path("lugang-data"),
        description="where a worker keeps its local table store (rebuilt from the changelog "
        "topics when lost)",
    )
    reference: Path | None = Field(
        default=None,
        description="reference configuration file (the port, its corridors, targets and "
        "commodities) of every command not given `--reference`; unset: the packaged "
        "`reference.toml`",
    )
    web_host: str = Field(
        default="127.0.0.1",
        description="address the worker's web server (`/status`, `/ready`, `/health`) listens on; "
        "`0.0.0.0` for every interface",
    )
    web_port: int = Field(
        default=6066, description="port of the worker's web server (`/status`, `/ready`, `/health`)"
    )
    worker_url: str | None = Field(
        default=None,
        description="URL the other workers reach this worker's web server at (`/status` is "
        "answered by the worker that keeps the figures); unset: `http://WEB_HOST:WEB_PORT`, "
        "with the host name for `WEB_HOST` `0.0.0.0`",
    )
    worker_name: str | None = Field(
        default=None,
        description="name of this worker process in its pipeline-health points (tag worker) "
        "and on /metrics (lugang_worker_info); default HOSTNAME-PID, unique per process",
    )
    earliest_event_time: date = Field(
        default=date(2000, 1, 1),
        description="events before this day (UTC) are dead-lettered with reason `time: …`",
    )
    event_time_ahead_h: float = Field(
        default=24,
        gt=0,
        description="events more than this many hours ahead of the worker's clock are "
        "dead-lettered with reason `time: …`",
    )
    allowed_lateness_minutes: float = Field(
        default=10,
        gt=0,
        description="how late (in event time) a reefer reading may arrive and still be judged; "
        "a page comes this long after the reading that shows it",
    )
    session_timeout_s: float = Field(
        default=20,
        gt=0,
        description="Kafka consumer-group session timeout of a worker (seconds): a killed "
        "worker's partitions move to the others after this; shorter moves them sooner, but a "
        "worker whose heartbeats stop that long (a paused VM) is taken for dead, and its "
        "partitions move away and back",
    )
    silence_check_s: float = Field(
        default=60, gt=0, description="how often a worker looks for silent reefers (seconds)"
    )
    sink_max_backoff_s: float = Field(
        default=30,
        gt=0,
        description="longest wait between retries of InfluxDB or Alertmanager (seconds)",
    )
    alertmanager_url: str | None = Field(
        default=None,
        description="Alertmanager base URL, e.g. `http://127.0.0.1:9093`; unset: no alerts",
    )
    grafana_url: str = Field(
        default="http://127.0.0.1:3000",
        description="Grafana base URL for `lugang grafana` (`http://user:password@host:port` "
        "logs in without a token)",
    )
    grafana_token: SecretStr | None = Field(
        default=None,
        description="Grafana service-account token (role Editor) for `lugang grafana`",
    )
    grafana_public_url: str | None = Field(
        default=None,
        description="Grafana base URL as on-call's browsers reach it, which pages link to "
        "(each alert's generatorURL); default GRAFANA_URL without its user and password",
    )
    runbook_url: str = Field(
        default=RUNBOOKS,
        description="base of each alert's runbook_url annotation (BASE/<NAME>.md); default "
        "the runbooks' path in this repository; set it to where docs/runbooks/ can be "
        "browsed, e.g. https://git.example.com/lugang/-/blob/main/docs/runbooks/",
    )


def environment_variable(field: str) -> str:
    """The environment variable of a field: ``kafka_bootstrap`` -> ``LUGANG_KAFKA_BOOTSTRAP``."""
    return f"{ENV_PREFIX}{field.upper()}"


_TYPE_NAMES: Final[dict[object, str]] = {
    str: "text",
    int: "integer",
    float: "number",
    bool: "true/false",
    date: "date (YYYY-MM-DD)",
    Path: "path",
    SecretStr: "secret",
}
_BOUNDS: Final = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))


def _type(field: FieldInfo) -> str:
    """The field's type in words, with its bounds: ``number > 0``."""
    kinds = [
        kind for kind in get_args(field.annotation) or (field.annotation,) if kind is not type(None)
    ]
    text = " or ".join(
        _TYPE_NAMES.get(kind, getattr(kind, "__name__", str(kind))) for kind in kinds
    )
    for constraint in field.metadata:
        for attribute, sign in _BOUNDS:
            bound = getattr(constraint, attribute, None)
            if bound is not None:
                text += f" {sign} {bound:g}"
    return text


def _default(field: FieldInfo) -> str:
    """The field's default as the README shows it: ``unset`` (None), ``empty`` ("")."""
    value = field.default
    if value is None:
        return "unset"
    if value == "":
        return "empty"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    elif isinstance(value, date):
        value = value.isoformat()
    elif isinstance(value, int | float):
        value = f"{value:g}"
    return f"`{value}`"


def markdown_table() -> str:
    """The README's configuration table: one row per field of :class:`Settings`, in their
    order, with its variable, type, default and description.

    Raises:
        ValueError: a field has no description (give it ``Field(description=...)``).
    """
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        if not field.description:
            raise ValueError(f"Settings.{name} has no description: add Field(description=...)")
        meaning = field.description.replace("|", "\\|")
        rows.append(
            f"| `{environment_variable(name)}` | {_type(field)} | {_default(field)} | {meaning} |"
        )
    return "\n".join(rows) + "\n"


TABLE_START: Final = "<!-- settings-table:"
TABLE_END: Final = "<!-- end settings-table -->"


def with_markdown_table(document: str) -> str:
    """``document`` (the README) with :func:`markdown_table` between its markers: the line
    that starts with :data:`TABLE_START` and the line :data:`TABLE_END`.

    Raises:
        ValueError: the document lacks the markers.
    """
    lines = document.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith(TABLE_START)]
    ends = [i for i, line in enumerate(lines) if line.strip() == TABLE_END]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ValueError(
            f"the settings table needs one line starting with {TABLE_START!r} and, after it, "
            f"one line {TABLE_END!r}"
        )
    return "".join([*lines[: starts[0] + 1], markdown_table(), *lines[ends[0] :]])
