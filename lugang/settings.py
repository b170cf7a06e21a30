"""One typed settings object, read once from ``LUGANG_*`` environment variables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from lugang.links import RUNBOOKS


class Settings(BaseSettings):
    """Where Lugang finds its servers. Every field is ``LUGANG_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="LUGANG_", frozen=True)

    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092",
        description="Kafka bootstrap servers, host:port[,host:port]",
    )
    topic_prefix: str = Field(
        default="",
        description="prefix of every topic name: PREFIX + trains, containers, reefer, deadletter",
    )
    topic_partitions: int = Field(
        default=4, ge=1, description="partitions of topics that Lugang creates"
    )
    influx_url: str | None = Field(
        default=None, description="InfluxDB base URL, e.g. http://127.0.0.1:8086; unset: no writes"
    )
    influx_token: SecretStr = Field(
        default=SecretStr("lugang:lugang"),
        description="InfluxDB token (1.x: user:password)",
    )
    influx_org: str = Field(default="-", description="InfluxDB organisation (1.x: '-')")
    influx_bucket: str = Field(
        default="lugang/autogen",
        description="InfluxDB bucket (1.x: database/retention_policy)",
    )
    app_id: str = Field(
        default="lugang", description="faust application id: workers with one id share the work"
    )
    store: str = Field(
        default="rocksdb://", description="faust table store: rocksdb:// or memory://"
    )
    data_dir: Path = Field(
        default=Path("lugang-data"), description="where a worker keeps its local table store"
    )
    web_host: str = Field(default="127.0.0.1", description="address of the worker's web server")
    web_port: int = Field(default=6066, description="port of the worker's /status web server")
    worker_url: str | None = Field(
        default=None,
        description="URL the other workers reach this worker's web server at (/status is "
        "answered by the worker that keeps the figures); default http://WEB_HOST:WEB_PORT, "
        "the host name for WEB_HOST 0.0.0.0",
    )
    earliest_event_time: date = Field(
        default=date(2000, 1, 1),
        description="events before this day (UTC) are dead-lettered with reason time: ...",
    )
    event_time_ahead_h: float = Field(
        default=24,
        gt=0,
        description="events more than this many hours ahead of the worker's clock are "
        "dead-lettered with reason time: ...",
    )
    allowed_lateness_minutes: float = Field(
        default=10, gt=0, description="how late a reefer reading may arrive and still be judged"
    )
    session_timeout_s: float = Field(
        default=20,
        gt=0,
        description="Kafka consumer-group session timeout of a worker: a killed worker's "
        "partitions move after this",
    )
    silence_check_s: float = Field(
        default=60, gt=0, description="how often a worker looks for silent reefers (seconds)"
    )
    sink_max_backoff_s: float = Field(
        default=30, gt=0, description="longest wait between retries of InfluxDB or Alertmanager"
    )
    alertmanager_url: str | None = Field(
        default=None,
        description="Alertmanager base URL, e.g. http://127.0.0.1:9093; unset: no alerts",
    )
    grafana_url: str = Field(
        default="http://127.0.0.1:3000",
        description="Grafana base URL for 'lugang grafana' (http://user:password@host:port "
        "logs in without a token)",
    )
    grafana_token: SecretStr | None = Field(
        default=None,
        description="Grafana service-account token (role Editor) for 'lugang grafana'",
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
