"""The ``lugang`` command's parser, assembled from one module per area, and the demo's
worker command line; no handler runs (no sockets)."""

from __future__ import annotations

from pathlib import Path

from entrypoints.cli import build_parser
from entrypoints.demo import worker_command
from lugang.settings import Settings


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
