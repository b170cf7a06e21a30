"""The ``lugang`` command's parser, assembled from one module per area: its commands, the
values its options refuse (usage errors), the report's default day, the demo's worker
command line, the worker's faust spinner, and ``lugang settings`` (no sockets)."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import faust
import pytest

from entrypoints import bootstrap
from entrypoints.cli import build_parser, main
from entrypoints.cli.worker import faust_worker
from entrypoints.demo import worker_command
from lugang.reference import Reference, default_reference
from lugang.settings import TABLE_END, TABLE_START, Settings, markdown_table

SIMULATE = ["simulate", "--start", "2026-03-01", "--end", "2026-03-07"]


def test_every_area_registers_its_commands_in_order() -> None:
    """``lugang --help`` lists the commands in the order they always had."""
    listed = [
        line.split()[0]
        for line in build_parser(Settings()).format_help().splitlines()
        if line.startswith("    ") and not line.startswith("     ")
    ]
    assert listed == [
        "demo",
        "replay",
        "simulate",
        "record",
        "worker",
        "report",
        "ack",
        "trace",
        "dashboards",
        "grafana",
        "contract",
        "settings",
    ]


def test_worker_options_parse() -> None:
    """The worker takes --reference, so the demo can hand its own reference on."""
    args = build_parser(Settings()).parse_args(["worker", "--reference", "ref.toml"])
    assert args.reference == Path("ref.toml")
    assert args.loglevel == "warning"


def test_demo_worker_gets_the_demos_reference(tmp_path: Path) -> None:
    """The demo's worker subprocess validates against the reference the demo was given."""
    reference = tmp_path / "ref.toml"
    assert worker_command(None)[-3:] == ["-m", "entrypoints.cli", "worker"]
    assert worker_command(reference)[-2:] == ["--reference", str(reference.resolve())]


def _port_on(tmp_path: Path, timezone: str) -> Path:
    """A copy of the packaged reference whose port keeps ``timezone``."""
    packaged = resources.files("lugang").joinpath("reference.toml").read_text(encoding="utf-8")
    path = tmp_path / f"{timezone.replace('/', '-')}.toml"
    path.write_text(packaged.replace('timezone = "Asia/Shanghai"', f'timezone = "{timezone}"'))
    return path


def test_lugang_reference_names_the_reference_of_commands_given_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment mounts its port's file and names it once (LUGANG_REFERENCE); a command's
    --reference still wins, and unset means the packaged file."""
    named, given = _port_on(tmp_path, "Asia/Vientiane"), _port_on(tmp_path, "Asia/Bangkok")
    assert bootstrap.reference(None, Settings()).home.timezone == "Asia/Shanghai"
    assert bootstrap.reference(None, Settings(reference=named)).home.timezone == "Asia/Vientiane"

    monkeypatch.setenv("LUGANG_REFERENCE", str(named))
    assert bootstrap.reference(None).home.timezone == "Asia/Vientiane"
    assert bootstrap.reference(given).home.timezone == "Asia/Bangkok"

    built: list[str] = []

    def build_all(out: Path, reference: Reference) -> list[Path]:
        built.append(reference.home.timezone)
        return []

    monkeypatch.setattr("dashboards.build.build_all", build_all)
    assert main(["dashboards", "build", "--out", str(tmp_path)]) == 0
    assert main(["dashboards", "build", "--out", str(tmp_path), "--reference", str(given)]) == 0
    assert built == ["Asia/Vientiane", "Asia/Bangkok"]


def test_settings_show_values_and_where_they_came_from(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Secrets are hidden; a variable set in the environment says so."""
    monkeypatch.setenv("LUGANG_APP_ID", "lugang-east")
    monkeypatch.setenv("LUGANG_INFLUX_TOKEN", "s3cret")
    assert main(["settings"]) == 0
    lines = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert lines["LUGANG_APP_ID"] == ["lugang-east", "environment"]
    assert lines["LUGANG_INFLUX_TOKEN"] == ["********", "environment"]
    assert lines["LUGANG_INFLUX_URL"] == ["unset", "default"]
    assert len(lines) == len(Settings.model_fields)


def test_settings_markdown_prints_or_writes_the_readme_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["settings", "--markdown"]) == 0
    assert capsys.readouterr().out == markdown_table()
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{TABLE_START} generated -->\nold\n{TABLE_END}\n\nrest\n")
    assert main(["settings", "--markdown", str(readme)]) == 0
    assert readme.read_text() == (
        f"# Title\n\n{TABLE_START} generated -->\n{markdown_table()}{TABLE_END}\n\nrest\n"
    )


def test_settings_markdown_refuses_a_file_without_markers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no table here\n")
    assert main(["settings", "--markdown", str(readme)]) == 1
    assert TABLE_END in capsys.readouterr().err
    assert readme.read_text() == "# no table here\n"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["demo", "--speed", "-1"], "argument --speed: -1 is not above 0"),
        (["demo", "--speed", "0"], "argument --speed: 0 is not above 0"),
        (["demo", "--speed", "fast"], "argument --speed: 'fast' is not a number"),
        (["demo", "--seconds", "0"], "argument --seconds: 0 is not above 0"),
        (["demo", "--port", "0"], "argument --port: 0 is not a port number"),
        (["demo", "--port", "70000"], "argument --port: 70000 is not a port number"),
        (["demo", "--start", "2026-02-30"], "argument --start: '2026-02-30' is not a day"),
        (["demo", "--history", "-1"], "argument --history: -1 is not a number of days from 0"),
        (["demo", "--history", "367"], "argument --history: 367 is not a number of days from 0"),
        (["demo", "--history", "a week"], "argument --history: 'a week' is not a whole number"),
        (["replay", "r.jsonl", "--speed", "-5"], "use max, realtime or a positive factor"),
        (["replay", "r.jsonl", "--speed", "nan"], "use max, realtime or a positive factor"),
        (["replay", "r.jsonl", "--partitions", "0"], "argument --partitions: 0 is less than 1"),
        (["replay", "r.jsonl", "--partitions", "2.5"], "'2.5' is not a whole number"),
        ([*SIMULATE, "--scale", "0"], "argument --scale: 0 is not above 0"),
        ([*SIMULATE, "--scale", "inf"], "argument --scale: 'inf' is not a number"),
        ([*SIMULATE, "--gap-rate", "1.5"], "argument --gap-rate: 1.5 is not a share from 0 to 1"),
        ([*SIMULATE, "--late-rate", "-0.1"], "argument --late-rate: -0.1 is not a share"),
        (["record", "--out", "r.jsonl", "--idle-timeout", "-1"], "-1 is not above 0"),
        (["report", "--date", "tomorrow"], "argument --date: 'tomorrow' is not a day"),
        (["worker", "--loglevel", "loud"], "argument --loglevel: invalid choice: 'loud'"),
    ],
)
def test_impossible_values_are_usage_errors(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse refuses them before anything runs: exit status 2 and the usage."""
    with pytest.raises(SystemExit) as stopped:
        build_parser(Settings()).parse_args(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: lugang ")
    assert says in err


def test_possible_values_parse() -> None:
    parse = build_parser(Settings()).parse_args
    demo = parse(["demo", "--speed", "0.5", "--port", "9092", "--seconds", "30"])
    assert (demo.speed, demo.port, demo.seconds, demo.history) == (0.5, 9092, 30.0, 7)
    assert parse(["demo", "--history", "0"]).history == 0
    replay = parse(["replay", "r.jsonl", "--speed", "realtime", "--partitions", "1"])
    assert (replay.speed, replay.partitions) == (1.0, 1)
    assert parse(["replay", "r.jsonl", "--speed", "max"]).speed is None
    simulate = parse([*SIMULATE, "--gap-rate", "0", "--late-rate", "1", "--scale", "0.1"])
    assert (simulate.gap_rate, simulate.late_rate, simulate.scale) == (0.0, 1.0, 0.1)
    assert simulate.start == date(2026, 3, 1)
    assert parse(["worker", "--loglevel", "INFO"]).loglevel == "info"


def test_report_date_defaults_to_today_in_the_ports_time_zone() -> None:
    """No --date: the handler takes today in the reference's time zone, as /status does,
    and --help says so."""
    parser = build_parser(Settings())
    assert parser.parse_args(["report"]).date is None
    assert parser.parse_args(["report", "--date", "2026-03-01"]).date == date(2026, 3, 1)
    report_help = " ".join(_subparser(parser, "report").format_help().split())
    assert "(default: today in the port's time zone, the reference's;" in report_help
    assert default_reference().home.timezone in report_help
    # 2026-03-01 17:00 UTC is already 2 March in the port (UTC+8).
    late = datetime(2026, 3, 1, 17, tzinfo=UTC)
    assert default_reference().home.today(late) == date(2026, 3, 2)


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    commands = next(
        a
        for a in parser._actions  # noqa: SLF001 - argparse lists subparsers nowhere else
        if isinstance(a, argparse._SubParsersAction)  # noqa: SLF001
    )
    found: argparse.ArgumentParser = commands.choices[name]
    return found


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def faust_app() -> faust.App:
    """A faust app that is never started: building a Worker for it opens no socket."""
    return faust.App("lugang-cli-test", broker="kafka://127.0.0.1:1", web_enabled=False)


@pytest.mark.parametrize(
    ("stdout", "stderr", "spins"),
    [
        (io.StringIO(), io.StringIO(), False),  # a log file (systemd, compose, the demo)
        (_Terminal(), io.StringIO(), False),  # logs redirected, the terminal keeps stdout
        (io.StringIO(), _Terminal(), False),
        (_Terminal(), _Terminal(), True),
    ],
)
def test_the_worker_spins_only_on_a_terminal(
    faust_app: faust.App, stdout: io.StringIO, stderr: io.StringIO, spins: bool
) -> None:
    """faust's spinner writes cursor codes and backspaces into stdout even when it is a
    file; the worker drops it unless stdout and stderr are both terminals."""
    worker = faust_worker(faust_app, "warning", stdout=stdout, stderr=stderr)
    assert (worker.spinner is not None) is spins
    assert worker.stdout is stdout and worker.stderr is stderr
