"""The ``lugang`` command's parser, assembled from one module per area, the demo's worker
command line, and ``lugang settings`` (no socket is opened)."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.cli import build_parser, main
from entrypoints.demo import worker_command
from lugang.settings import TABLE_END, TABLE_START, Settings, markdown_table


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
