"""Session fixtures for the real servers, and per-test isolation (topics, databases, labels)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests
from kafka.admin import KafkaAdminClient, NewTopic

from dashboards import influx_reader
from entrypoints.embedded import free_port
from lugang.reference import default_reference
from producers.records import write_recording
from producers.simulator import simulate
from streams.schema import points
from tests.integration.faulty import SIMULATION, Pages, Stage
from tests.integration.influx import ORG_2X, TOKEN_2X, Influx
from tests.integration.outcome import Outcome, oracle
from tests.integration.servers import STARTED, WebhookReceiver, local_server, run_script
from tests.integration.workers import Worker, WorkerConfig, running_worker


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything under tests/integration as an integration test."""
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show which real servers the run started, with versions and ports."""
    if STARTED:
        terminalreporter.section("servers started by deploy/local")
        for line in STARTED:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def server_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The LUGANG_WORK folder of this session's servers (data and logs)."""
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def kafka_bootstrap(server_work: Path) -> Iterator[str]:
    """Apache Kafka (KRaft, one node). Attach with LUGANG_TEST_KAFKA_BOOTSTRAP=host:port."""
    with local_server("kafka", "LUGANG_TEST_KAFKA_BOOTSTRAP", server_work) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def tansu_bootstrap(server_work: Path) -> Iterator[str]:
    """The embedded Tansu broker. Attach with LUGANG_TEST_TANSU_BOOTSTRAP=host:port."""
    with local_server("tansu", "LUGANG_TEST_TANSU_BOOTSTRAP", server_work) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session", params=["kafka", "tansu"])
def any_bootstrap(request: pytest.FixtureRequest) -> str:
    """Each broker in turn: Apache Kafka, then Tansu."""
    bootstrap: str = request.getfixturevalue(f"{request.param}_bootstrap")
    return bootstrap


@pytest.fixture(scope="session")
def influx_url(server_work: Path) -> Iterator[str]:
    """InfluxDB 1.x with Flux. Attach with LUGANG_TEST_INFLUX_URL=http://host:port."""
    with local_server("influxdb", "LUGANG_TEST_INFLUX_URL", server_work) as url:
        yield url


@pytest.fixture(scope="session")
def webhook() -> Iterator[WebhookReceiver]:
    """The listener Alertmanager notifies (port from LUGANG_TEST_WEBHOOK_PORT, else free)."""
    receiver = WebhookReceiver(int(os.environ.get("LUGANG_TEST_WEBHOOK_PORT", "0")))
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def alertmanager_url(server_work: Path, webhook: WebhookReceiver) -> Iterator[str]:
    """Alertmanager whose receiver is ``webhook``. Attach: LUGANG_TEST_ALERTMANAGER_URL."""
    env = {"LUGANG_ALERTMANAGER_WEBHOOK_URL": webhook.url}
    with local_server("alertmanager", "LUGANG_TEST_ALERTMANAGER_URL", server_work, env) as url:
        yield url


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Make names unique to this test: topics, databases, alert labels."""
    test = "".join(c if c.isalnum() else "_" for c in request.node.name)[:40]
    run = uuid.uuid4().hex[:8]
    return lambda prefix: f"{prefix}_{test}_{run}"


@pytest.fixture
def new_topic(
    any_bootstrap: str, unique_name: Callable[[str], str]
) -> Iterator[Callable[..., str]]:
    """Create a fresh topic on the broker under test and return its name."""
    admin = KafkaAdminClient(bootstrap_servers=any_bootstrap, client_id="lugang-tests")

    def create(prefix: str = "topic", partitions: int = 2) -> str:
        name = unique_name(prefix)
        admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
        return name

    yield create
    admin.close()


@pytest.fixture
def influx_bucket(influx_url: str, unique_name: Callable[[str], str]) -> Iterator[str]:
    """A fresh InfluxDB 1.x database for this test, as a bucket name (``DATABASE/autogen``)."""
    with fresh_database(Influx(influx_url, "1.12"), unique_name("db")) as bucket:
        yield bucket


@pytest.fixture(scope="session")
def influx2_url(server_work: Path) -> Iterator[str]:
    """InfluxDB 2.x, the version compose ships, set up as compose does (organisation
    ``lugang``, token ``lugang-test-token``). Attach with LUGANG_TEST_INFLUX2_URL."""
    with local_server("influxdb2", "LUGANG_TEST_INFLUX2_URL", server_work) as url:
        yield url


@pytest.fixture(scope="session", params=["1.12", "2.7"])
def any_influx(request: pytest.FixtureRequest) -> Influx:
    """Each InfluxDB in turn: 1.12, then 2.7 (compose's), through the same v1 and v2 APIs."""
    if request.param == "1.12":
        return Influx(request.getfixturevalue("influx_url"), "1.12")
    return Influx(request.getfixturevalue("influx2_url"), "2.7", TOKEN_2X, ORG_2X)


@pytest.fixture
def any_bucket(any_influx: Influx, unique_name: Callable[[str], str]) -> Iterator[str]:
    """A fresh database (bucket ``DATABASE/autogen``) on the InfluxDB under test."""
    with fresh_database(any_influx, unique_name("db")) as bucket:
        yield bucket


@contextmanager
def fresh_database(influx: Influx, database: str) -> Iterator[str]:
    bucket = influx.create_database(database)
    try:
        yield bucket
    finally:
        with suppress(influx_reader.InfluxError, requests.RequestException):
            influx.drop_database(database)


@pytest.fixture
def topic_prefix(unique_name: Callable[[str], str]) -> str:
    """A topic prefix of this test's own: PREFIX.trains, PREFIX.containers, ..."""
    return unique_name("t") + "."


@pytest.fixture
def own_influx(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An InfluxDB of this test's own, to stop and start (the environment of its scripts)."""
    env = {"LUGANG_WORK": str(tmp_path / "own-influx"), "LUGANG_INFLUX_PORT": str(free_port())}
    run_script("start-influxdb", env)
    yield env
    run_script("stop-influxdb", env)


@pytest.fixture
def pipeline(
    kafka_bootstrap: str,
    influx_url: str,
    influx_bucket: str,
    alertmanager_url: str,
    unique_name: Callable[[str], str],
) -> WorkerConfig:
    """The LUGANG_* environment of a worker of this test's own (topics, app, database)."""
    return WorkerConfig(
        kafka_bootstrap, unique_name("p") + ".", influx_url, influx_bucket, alertmanager_url
    )


@pytest.fixture
def any_pipeline(
    kafka_bootstrap: str,
    any_influx: Influx,
    any_bucket: str,
    alertmanager_url: str,
    unique_name: Callable[[str], str],
) -> WorkerConfig:
    """:func:`pipeline` on each InfluxDB in turn (1.12, then compose's 2.7)."""
    prefix = unique_name("p") + "."
    return WorkerConfig(
        kafka_bootstrap,
        prefix,
        any_influx.url,
        any_bucket,
        alertmanager_url,
        any_influx.token,
        any_influx.org,
    )


@pytest.fixture
def worker(pipeline: WorkerConfig, tmp_path: Path) -> Iterator[Worker]:
    """A running ``lugang worker`` for ``pipeline``."""
    with running_worker(pipeline, tmp_path / "worker") as running:
        yield running


# -- the fault tests' faulty day, its oracle outcome and their pages (faulty.py) -------------


@pytest.fixture(scope="session")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "faulty-day.jsonl"
    with path.open("wb") as out:
        write_recording(simulate(SIMULATION, default_reference()), out)
    return path


@pytest.fixture(scope="session")
def expected(recording: Path) -> Outcome:
    outcome = oracle(recording)
    exceptions = outcome.points.get(points.COLDCHAIN_EXCEPTION, {})
    assert len(exceptions) >= 10, f"the recording should have many exceptions: {exceptions}"
    return outcome


@pytest.fixture(scope="session")
def pages(webhook: WebhookReceiver) -> Pages:
    return Pages(webhook)


@pytest.fixture(scope="session")
def stage(
    kafka_bootstrap: str,
    influx_url: str,
    alertmanager_url: str,
    recording: Path,
    expected: Outcome,
    pages: Pages,
) -> Stage:
    return Stage(kafka_bootstrap, influx_url, alertmanager_url, recording, expected, pages)
