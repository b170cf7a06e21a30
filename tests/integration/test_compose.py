"""The production stack: docker-compose.yml, its deploy/ files and the Dockerfile.

These machines have the docker CLI but no Docker engine, so nothing here starts a
container. `docker compose config` (the Compose CLI plugin that
deploy/local/install-compose.sh builds) validates the file against the Compose
specification and resolves it with .env.example; the tests then check the resolved stack.
The Alertmanager configuration is checked with amtool (Debian's prometheus-alertmanager).
The Dockerfile cannot be built here: its instructions are parsed and checked instead.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from lugang.reference import default_reference, load_reference
from lugang.settings import Settings
from tests.dockerfile import instructions, pip_installs
from tests.integration.servers import LOCAL

ROOT = LOCAL.parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
ALERTMANAGER_YML = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"

SERVICES = {"kafka", "influxdb", "grafana", "alertmanager", "worker", "simulator"}
LONG_RUNNING = SERVICES - {"simulator"}
SETTINGS_VARIABLES = {f"LUGANG_{name.upper()}" for name in Settings.model_fields}
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXACT_RELEASE = re.compile(r"v?\d+\.\d+\.\d+")
"""An image tag that names one release: no ``latest``, no ``2.7`` that moves with patches."""
PUBLISHED = {("kafka", 9094), ("influxdb", 8086), ("grafana", 3000), ("alertmanager", 9093)}


def _script_output(name: str) -> str:
    """Run deploy/local/NAME (an install script) and return the path it prints."""
    result = subprocess.run(
        ["bash", str(LOCAL / name)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"{name} failed (exit {result.returncode}):\n{result.stderr}", pytrace=False)
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def docker_config() -> str:
    """A DOCKER_CONFIG folder whose cli-plugins hold the Compose plugin."""
    return _script_output("install-compose.sh")


def compose(
    docker_config: str, *args: str, env_file: Path = ENV_EXAMPLE
) -> subprocess.CompletedProcess[str]:
    """`docker compose ARGS` on the project's file, with a clean environment (so that no
    variable of the caller's shell is interpolated) and the given env file."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        "DOCKER_CONFIG": docker_config,
    }
    return subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def resolve(docker_config: str, env_file: Path = ENV_EXAMPLE) -> dict[str, Any]:
    """The stack as `docker compose --profile simulator config` resolves it with ENV_FILE."""
    result = compose(
        docker_config, "--profile", "simulator", "config", "--format", "json", env_file=env_file
    )
    assert result.returncode == 0, f"docker compose config refused the stack:\n{result.stderr}"
    resolved: dict[str, Any] = json.loads(result.stdout)
    return resolved


@pytest.fixture(scope="module")
def stack(docker_config: str) -> dict[str, Any]:
    """The stack resolved with .env.example."""
    return resolve(docker_config)


def env_file(folder: Path, **changes: str | None) -> Path:
    """.env.example with some variables changed; None leaves one out (its default applies)."""
    values = {**_env_example(), **changes}
    path = folder / "changed.env"
    text = "".join(f"{name}={value}\n" for name, value in values.items() if value is not None)
    path.write_text(text, encoding="utf-8")
    return path


def _tag(image: str) -> str:
    return image.rpartition(":")[2]


def _env(service: dict[str, Any]) -> dict[str, str]:
    environment: dict[str, str] = service.get("environment") or {}
    return environment


def _command(test: Sequence[str]) -> str:
    return " ".join(test[1:]) if test and test[0] in {"CMD", "CMD-SHELL"} else " ".join(test)


def _env_example() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return {name.strip(): value for name, value in pairs}


def test_compose_config_accepts_the_stack_with_every_service(
    docker_config: str, stack: dict[str, Any]
) -> None:
    version = compose(docker_config, "version", "--short")
    assert version.returncode == 0, version.stderr
    assert set(stack["services"]) == SERVICES
    assert stack["services"]["simulator"]["profiles"] == ["simulator"]

    default = compose(docker_config, "config", "--services")
    assert default.returncode == 0, default.stderr
    assert set(default.stdout.split()) == LONG_RUNNING  # the simulator only on request


def test_missing_secrets_are_refused_by_name(docker_config: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    result = compose(docker_config, "config", env_file=empty)
    assert result.returncode != 0
    assert "is missing a value" in result.stderr
    assert "in .env" in result.stderr


def test_env_example_defines_every_variable_the_compose_file_uses() -> None:
    lines = COMPOSE_FILE.read_text("utf-8").splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", code))
    defined = _env_example()
    assert used - set(defined) == set()
    assert set(defined) - used == set()  # no stale entries either
    placeholders = {name for name, value in defined.items() if "change-me" in value}
    assert placeholders >= {
        "INFLUX_ADMIN_PASSWORD",
        "INFLUX_ADMIN_TOKEN",
        "INFLUX_V1_READ_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
    }


def test_kafka_is_the_version_the_tests_use_in_kraft_mode(stack: dict[str, Any]) -> None:
    script = (LOCAL / "install-kafka.sh").read_text(encoding="utf-8")
    match = re.search(r'KAFKA_VERSION="\$\{LUGANG_KAFKA_VERSION:-([0-9.]+)\}"', script)
    assert match, "KAFKA_VERSION default not found in deploy/local/install-kafka.sh"
    kafka = stack["services"]["kafka"]
    assert kafka["image"] == f"apache/kafka:{match[1]}"

    env = _env(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "KAFKA_ZOOKEEPER_CONNECT" not in env
    assert env["CLUSTER_ID"]
    # Workers on the compose network and producers outside Docker each get a listener.
    advertised = env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert "INTERNAL://kafka:9092" in advertised
    external = next(a for a in advertised if a.startswith("EXTERNAL://"))
    published = {str(p["published"]) for p in kafka["ports"] if p["target"] == 9094}
    assert published == {external.rsplit(":", 1)[1]}
    assert "kafka-broker-api-versions.sh" in _command(kafka["healthcheck"]["test"])


def test_every_service_has_a_health_check_restart_policy_and_named_volumes(
    stack: dict[str, Any],
) -> None:
    services = stack["services"]
    for name in LONG_RUNNING:
        service = services[name]
        assert service["restart"] == "unless-stopped", name
        health = service["healthcheck"]
        assert not health.get("disable") and health["test"], name
        assert health["interval"] and health["retries"], name
    # The simulator is a one-shot producer: restarted on failure only, nothing to probe.
    assert services["simulator"]["restart"].startswith("on-failure")
    assert services["simulator"]["healthcheck"] == {"disable": True}

    named = {
        (name, volume["target"]): volume["source"]
        for name, service in services.items()
        for volume in service.get("volumes", [])
        if volume["type"] == "volume" and volume.get("source")
    }
    assert set(named) == {
        ("kafka", "/var/lib/kafka/data"),
        ("influxdb", "/var/lib/influxdb2"),
        ("influxdb", "/etc/influxdb2"),
        ("grafana", "/var/lib/grafana"),
        ("alertmanager", "/alertmanager"),
    }
    assert set(named.values()) <= set(stack["volumes"])


def test_workers_share_partitions_and_use_only_lugang_settings(stack: dict[str, Any]) -> None:
    services = stack["services"]
    worker = services["worker"]
    assert worker["deploy"]["replicas"] == 2
    assert Path(worker["build"]["context"]) == ROOT
    assert worker["command"][0] == "worker"

    env = _env(worker)
    assert all(name.startswith("LUGANG_") for name in env)
    assert set(env) <= SETTINGS_VARIABLES
    settings = Settings.model_validate(
        {name.removeprefix("LUGANG_").lower(): value for name, value in env.items()}
    )
    assert settings.kafka_bootstrap == "kafka:9092"
    assert settings.influx_url == "http://influxdb:8086"
    assert settings.alertmanager_url == "http://alertmanager:9093"
    assert settings.web_host == "0.0.0.0"
    assert settings.store.startswith("rocksdb")
    assert (
        env["LUGANG_INFLUX_TOKEN"] == _env(services["influxdb"])["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"]
    )
    assert env["LUGANG_INFLUX_BUCKET"] == _env(services["influxdb"])["DOCKER_INFLUXDB_INIT_BUCKET"]
    assert env["LUGANG_INFLUX_ORG"] == _env(services["influxdb"])["DOCKER_INFLUXDB_INIT_ORG"]

    # Each replica keeps its RocksDB store in a volume of its own (anonymous, not shared).
    data = [v for v in worker["volumes"] if v["target"] == str(settings.data_dir)]
    assert len(data) == 1 and data[0]["type"] == "volume" and not data[0].get("source")
    assert not worker.get("ports")  # replicas would fight over a fixed host port

    assert f"localhost:{settings.web_port}/ready" in _command(worker["healthcheck"]["test"])
    assert worker["depends_on"] == {
        name: {"condition": "service_healthy", "required": True}
        for name in ("kafka", "influxdb", "alertmanager")
    }

    simulator = services["simulator"]
    assert simulator["image"] == worker["image"]
    assert simulator["command"][:1] == ["simulate"]
    assert "--speed" in simulator["command"]
    assert set(_env(simulator)) <= SETTINGS_VARIABLES


def test_every_lugang_variable_anywhere_is_a_setting(stack: dict[str, Any]) -> None:
    for name, service in stack["services"].items():
        lugang = {v for v in _env(service) if v.startswith("LUGANG_")}
        assert lugang <= SETTINGS_VARIABLES, name
    example = {v for v in _env_example() if v.startswith("LUGANG_")}
    assert example <= SETTINGS_VARIABLES


def test_every_image_is_an_exact_release(docker_config: str, tmp_path: Path) -> None:
    """A pull brings the release these files were checked with, never a newer one: Kafka
    the tests' own, Alertmanager the tests' line, Grafana the dashboards' (each has its own
    test below). Lugang's image, built here, is tagged with its version by default."""
    default = resolve(docker_config, env_file(tmp_path, IMAGE_TAG=None))
    for name, service in default["services"].items():
        assert EXACT_RELEASE.fullmatch(_tag(service["image"])), f"{name}: {service['image']}"
    lugang = {default["services"][name]["image"] for name in ("worker", "simulator")}
    assert lugang == {f"lugang:{PROJECT['version']}"}
    assert _env_example()["IMAGE_TAG"] == PROJECT["version"]


def _host_addresses(stack: dict[str, Any]) -> dict[tuple[str, int], str | None]:
    return {
        (name, port["target"]): port.get("host_ip")
        for name, service in stack["services"].items()
        for port in service.get("ports", [])
    }


def test_ports_are_published_on_this_machine_unless_the_operator_opens_them(
    stack: dict[str, Any], docker_config: str, tmp_path: Path
) -> None:
    """Kafka's external listener and Alertmanager have no authentication: every published
    port listens on 127.0.0.1 unless PUBLISH_ADDRESS says otherwise, and Kafka advertises
    an address that leads there."""
    assert _host_addresses(stack) == dict.fromkeys(PUBLISHED, "127.0.0.1")
    unset = env_file(tmp_path, PUBLISH_ADDRESS=None, KAFKA_EXTERNAL_HOST=None)
    default = resolve(docker_config, unset)
    assert _host_addresses(default) == dict.fromkeys(PUBLISHED, "127.0.0.1")
    advertised = _env(default["services"]["kafka"])["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert "EXTERNAL://127.0.0.1:9094" in advertised

    opened = resolve(docker_config, env_file(tmp_path, PUBLISH_ADDRESS="0.0.0.0"))
    assert _host_addresses(opened) == dict.fromkeys(PUBLISHED, "0.0.0.0")


def test_workers_and_simulator_read_the_reference_mounted_for_them(
    stack: dict[str, Any], docker_config: str, tmp_path: Path
) -> None:
    """LUGANG_REFERENCE names a file mounted read-only: the packaged reference of this
    checkout by default, the operator's with REFERENCE_FILE. A missing file stops the
    container from starting instead of becoming an empty directory."""
    for name in ("worker", "simulator"):
        service = stack["services"][name]
        target = _env(service)["LUGANG_REFERENCE"]
        (mount,) = [v for v in service["volumes"] if v["target"] == target]
        assert (mount["type"], mount["read_only"], mount["bind"]) == (
            "bind",
            True,
            {"create_host_path": False},
        )
        assert Path(mount["source"]) == ROOT / "lugang" / "reference.toml"
        assert load_reference(Path(mount["source"])) == default_reference()

    own = tmp_path / "port.toml"
    own.write_bytes((ROOT / "lugang" / "reference.toml").read_bytes())
    chosen = resolve(docker_config, env_file(tmp_path, REFERENCE_FILE=str(own)))
    for name in ("worker", "simulator"):
        binds = [v["source"] for v in chosen["services"][name]["volumes"] if v["type"] == "bind"]
        assert binds == [str(own)], name


def test_influxdb_maps_the_v1_database_the_influxql_dashboards_query(
    stack: dict[str, Any],
) -> None:
    influxdb = stack["services"]["influxdb"]
    assert influxdb["image"].startswith("influxdb:2.")
    env = _env(influxdb)
    assert env["DOCKER_INFLUXDB_INIT_MODE"] == "setup"
    # The same database/retention policy as the 1.x servers the tests run (README).
    database_rp = f"{env['INFLUX_V1_DATABASE']}/{env['INFLUX_V1_RETENTION_POLICY']}"
    assert database_rp == Settings.model_fields["influx_bucket"].default == "lugang/autogen"

    initdb = next(v for v in influxdb["volumes"] if v["target"] == "/docker-entrypoint-initdb.d")
    scripts = sorted(Path(initdb["source"]).glob("*.sh"))
    assert scripts, "no init script"
    for script in scripts:
        assert os.access(script, os.X_OK), f"{script} must be executable (run-parts)"
        check = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    text = "\n".join(s.read_text(encoding="utf-8") for s in scripts)
    assert "influx v1 dbrp create" in text and "--default" in text
    assert "influx v1 auth create" in text and "--read-bucket" in text
    assert "influx ping" in _command(influxdb["healthcheck"]["test"])


def test_grafana_mounts_the_provisioning_and_reaches_influxdb_and_alertmanager(
    stack: dict[str, Any],
) -> None:
    grafana = stack["services"]["grafana"]
    assert grafana["image"].startswith("grafana/grafana-oss:")
    mounts = {v["target"]: v for v in grafana["volumes"]}
    assert Path(mounts["/etc/grafana/provisioning"]["source"]) == ROOT / "dashboards/provisioning"
    assert Path(mounts["/etc/grafana/dashboards/lugang"]["source"]) == ROOT / "dashboards/json"
    env = _env(grafana)
    # What the provisioning files expand (${NAME}) is in Grafana's environment, and the
    # dashboards provider reads the folder the JSON is mounted at.
    provisioning = ROOT / "dashboards" / "provisioning"
    texts = [p.read_text(encoding="utf-8") for p in sorted(provisioning.rglob("*.yaml"))]
    assert texts, f"no provisioning files under {provisioning}"
    expanded = {name for text in texts for name in re.findall(r"\$\{(\w+)\}", text)}
    assert expanded and expanded == {name for name in env if not name.startswith("GF_")}
    providers = "".join(p.read_text("utf-8") for p in (provisioning / "dashboards").glob("*.yaml"))
    assert "/etc/grafana/dashboards/lugang" in providers
    assert sorted((ROOT / "dashboards" / "json").glob("*.json"))
    assert env["LUGANG_INFLUX_URL"] == "http://influxdb:8086"
    assert env["LUGANG_ALERTMANAGER_URL"] == "http://alertmanager:9093"
    assert env["GF_SECURITY_ADMIN_PASSWORD"]
    # The Grafana release of the dashboards' models (grafana-foundation-sdk's build).
    (sdk,) = [Requirement(d) for d in PROJECT["dependencies"] if "grafana-foundation-sdk" in d]
    built_for = Version(next(iter(sdk.specifier)).version).release[:2]
    assert Version(_tag(grafana["image"])).release[:2] == built_for


def test_grafana_reads_influxdb_as_the_read_only_v1_user_not_with_the_admin_token(
    stack: dict[str, Any],
) -> None:
    """The data source has InfluxQL's user and password (Grafana's provisioning format), those
    of the read-only v1 user the InfluxDB init script creates; the admin token, with which
    the workers write, is nowhere in Grafana's environment."""
    grafana, influxdb = _env(stack["services"]["grafana"]), _env(stack["services"]["influxdb"])
    for name in ("INFLUX_V1_READ_USER", "INFLUX_V1_READ_PASSWORD"):
        assert grafana[name] == influxdb[name] and grafana[name], name
    assert influxdb["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"] not in grafana.values()

    provisioned = ROOT / "dashboards" / "provisioning" / "datasources" / "lugang.yaml"
    (source,) = yaml.safe_load(provisioned.read_text(encoding="utf-8"))["datasources"]
    assert source["user"] == "${INFLUX_V1_READ_USER}"
    assert source["secureJsonData"] == {"password": "${INFLUX_V1_READ_PASSWORD}"}
    assert (source["jsonData"]["version"], source["jsonData"]["dbName"]) == (
        "InfluxQL",
        influxdb["INFLUX_V1_DATABASE"],
    )


def test_alertmanager_config_is_valid_and_routes_by_severity_and_kind(
    stack: dict[str, Any],
) -> None:
    alertmanager = stack["services"]["alertmanager"]
    mounts = {v["target"]: v for v in alertmanager["volumes"]}
    assert Path(mounts["/etc/alertmanager/alertmanager.yml"]["source"]) == ALERTMANAGER_YML

    binary = Path(_script_output("install-alertmanager.sh"))
    amtool = binary.parent / "amtool"
    assert amtool.exists(), f"amtool not found beside {binary}"
    # The image is the release line the configuration is checked with here.
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    tested = re.search(r"version (\d+\.\d+)\.", version.stdout + version.stderr)
    assert tested, version.stdout + version.stderr
    assert _tag(alertmanager["image"]).startswith(f"v{tested[1]}.")
    check = subprocess.run(
        [str(amtool), "check-config", str(ALERTMANAGER_YML)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr

    def receivers(*labels: str) -> str:
        result = subprocess.run(
            [str(amtool), "config", "routes", "test", f"--config.file={ALERTMANAGER_YML}", *labels],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    page = ("alertname=ColdChainException", "severity=page")
    assert receivers(*page, "kind=HIGH") == "oncall"
    assert receivers(*page, "kind=POWER_OFF") == "reefer-technicians,oncall"
    assert receivers("alertname=DailyServiceAtRisk", "severity=warning") == "operations"

    text = ALERTMANAGER_YML.read_text(encoding="utf-8")
    for receiver in ("email_configs:", "webhook_configs:", "wechat_configs:"):
        assert receiver in text
    assert "group_by: [alertname, exception_id]" in text


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps PATH out of the build context (the last match wins)."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern.removeprefix("!").rstrip("/").removeprefix("**/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, glob) or fnmatch.fnmatch(parts[-1], glob) for p in prefixes):
            ignored = not negate
    return ignored


def test_dockerfile_installs_the_package_the_tests_install() -> None:
    """Parsed, not built: there is no Docker engine on this machine."""
    steps = instructions()
    minimum = tuple(int(n) for n in re.findall(r"\d+", PROJECT["requires-python"])[:2])

    bases = {args.split()[0] for kind, args in steps if kind == "FROM"}
    assert len(bases) == 1, bases  # both stages: the venv runs where it was built
    (base,) = bases
    match = re.fullmatch(r"python:(\d+)\.(\d+)\.\d+-slim-\w+", base)  # an exact release
    assert match, f"{base}: name the Python release and the Debian one"
    assert (int(match[1]), int(match[2])) >= minimum >= (3, 11)

    installs = pip_installs()
    assert any(words[-1] == "." for words in installs), installs  # `pip install .` of the repo

    copied = {
        source.rstrip("/")
        for kind, args in steps
        if kind == "COPY" and not args.startswith("--from")
        for source in shlex.split(args)[:-1]
    }
    packages = project_packages()
    assert {"pyproject.toml", PROJECT["readme"], *packages} <= copied

    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in ("pyproject.toml", "README.md", "lugang/settings.py", "lugang/reference.toml"):
        assert not _ignored(needed, patterns), needed
    for package in packages:
        assert not _ignored(f"{package}/__init__.py", patterns), package
    for secret in (".env", ".venv/bin/python", ".git/config", "tests/data/week.jsonl"):
        assert _ignored(secret, patterns), secret

    users = [args for kind, args in steps if kind == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert ("ENTRYPOINT", '["lugang"]') in steps
    assert steps[-1] == ("CMD", '["worker"]')
    assert PROJECT["scripts"]["lugang"] == "entrypoints.cli:main"


def project_packages() -> set[str]:
    """Top-level packages that `pip install .` takes (tool.setuptools.packages.find)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include: list[str] = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return {pattern.rstrip("*").rstrip(".") for pattern in include}
