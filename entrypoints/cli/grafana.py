"""``lugang grafana push``: talk to a running Grafana."""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import SecretStr

from entrypoints.cli.common import Subparsers
from lugang.settings import Settings


def _grafana(args: argparse.Namespace) -> int:
    """Push the dashboards to a running Grafana."""
    from dashboards.grafana import commands

    return commands.push_command(args)


def _grafana_options(parser: argparse.ArgumentParser, settings: Settings) -> None:
    parser.add_argument(
        "--url",
        default=settings.grafana_url,
        help="Grafana's base URL; http://USER:PASSWORD@HOST:PORT logs in without a token "
        "[env: LUGANG_GRAFANA_URL] (default: %(default)s)",
    )
    parser.add_argument(
        "--token",
        type=SecretStr,
        default=settings.grafana_token,
        help="a service-account token of that Grafana with the Editor role (Administration > "
        "Users and access > Service accounts > Add token); prefer the variable, as a command "
        "line is visible to other users [env: LUGANG_GRAFANA_TOKEN] (default: none)",
    )


def register(commands: Subparsers, settings: Settings) -> None:
    """Add ``grafana push``."""
    grafana_parser = commands.add_parser(
        "grafana",
        help="push the dashboards to a running Grafana",
        description="Talk to a running Grafana through its HTTP API, as a service account "
        "with the Editor role (--token). 'push' uploads the dashboards, whose annotation "
        "queries read train departures and cold-chain exceptions from InfluxDB. "
        "Run 'lugang grafana ACTION --help' for the options of one action.",
    )
    grafana_actions = grafana_parser.add_subparsers(
        dest="grafana_command", required=True, metavar="ACTION"
    )
    _register_push(grafana_actions, settings)


def _register_push(actions: Subparsers, settings: Settings) -> None:
    push = actions.add_parser(
        "push",
        help="upload the dashboards into the folder 'Lugang 陆港'",
        description="Upload every *.json dashboard of --dashboards into the Grafana folder "
        "--folder (created when missing). A dashboard replaces the one with the same uid "
        "(overwrite), so run it again after changing the files. All files are read first: "
        "one that is not a dashboard with a uid and a title uploads nothing. The data sources "
        "the dashboards query (lugang-influxdb) must be in Grafana: a missing one stops the "
        "push before anything is sent, saying what to create (checking takes a token of the "
        "Admin role; with an Editor's, push says it did not check). Prints each dashboard's "
        "URL.",
        epilog="example: LUGANG_GRAFANA_TOKEN=glsa_... lugang grafana push --url "
        "http://grafana.example:3000",
    )
    push.add_argument(
        "--dashboards",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of dashboard JSON files (default: the project's dashboards/json)",
    )
    push.add_argument(
        "--folder",
        default=None,
        help="title of the Grafana folder to put them in (default: Lugang 陆港, uid lugang)",
    )
    _grafana_options(push, settings)
    push.set_defaults(handler=_grafana)
