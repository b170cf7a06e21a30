"""``lugang grafana push`` and ``annotate``: talk to a running Grafana."""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import SecretStr

from entrypoints import bootstrap
from entrypoints.cli.common import Subparsers, day
from lugang.settings import Settings


def _grafana(args: argparse.Namespace) -> int:
    """Push the dashboards to, or add annotations in, a running Grafana."""
    from dashboards.grafana import commands

    if args.grafana_command == "annotate":
        return commands.annotate_command(args, bootstrap.reference(None))
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
    """Add ``grafana push`` and ``grafana annotate``."""
    grafana_parser = commands.add_parser(
        "grafana",
        help="push the dashboards to a running Grafana, or annotate it from InfluxDB",
        description="Talk to a running Grafana through its HTTP API, as a service account "
        "with the Editor role (--token). 'push' uploads the dashboards; 'annotate' adds train "
        "departures and cold-chain exception openings read from InfluxDB as annotations. "
        "Run 'lugang grafana ACTION --help' for the options of one action.",
    )
    grafana_actions = grafana_parser.add_subparsers(
        dest="grafana_command", required=True, metavar="ACTION"
    )
    _register_push(grafana_actions, settings)
    _register_annotate(grafana_actions, settings)


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


def _register_annotate(actions: Subparsers, settings: Settings) -> None:
    annotate = actions.add_parser(
        "annotate",
        help="add train departures and cold-chain exception openings as annotations",
        description="Read the train departures ('transit' points, at departure) and the "
        "cold-chain exception openings ('coldchain_exception' points, at the start) of the "
        "local days --from to --to from InfluxDB, and add each to Grafana as an annotation "
        "tagged lugang plus train, departure, CORRIDOR or coldchain, exception, KIND. An "
        "annotation Grafana already has (same time and text) is skipped, so running it "
        "again adds nothing twice. A dashboard shows them with an annotation query on the "
        "'-- Grafana --' data source, filtered by the tag lugang.",
        epilog="example: lugang grafana annotate --from 2026-03-01 --to 2026-03-31 --dry-run",
    )
    annotate.add_argument(
        "--from",
        dest="start",
        type=day,
        required=True,
        metavar="DATE",
        help="first local day (Asia/Shanghai), YYYY-MM-DD",
    )
    annotate.add_argument(
        "--to",
        dest="end",
        type=day,
        required=True,
        metavar="DATE",
        help="last local day (inclusive), YYYY-MM-DD",
    )
    annotate.add_argument(
        "--dashboard",
        default=None,
        metavar="UID",
        help="tie the annotations to this dashboard only (default: organisation "
        "annotations, shown by every dashboard that asks for the tag lugang)",
    )
    annotate.add_argument(
        "--influx-url",
        default=settings.influx_url,
        metavar="URL",
        help="InfluxDB to read them from [env: LUGANG_INFLUX_URL] (default: "
        + (settings.influx_url or "none").replace("%", "%%")
        + ")",
    )
    annotate.add_argument(
        "--bucket",
        dest="influx_bucket",
        default=settings.influx_bucket,
        metavar="DATABASE/RP",
        help="database/retention policy to read [env: LUGANG_INFLUX_BUCKET] (default: %(default)s)",
    )
    annotate.add_argument(
        "--dry-run",
        action="store_true",
        help="print the annotations instead of sending them (no Grafana needed)",
    )
    _grafana_options(annotate, settings)
    annotate.set_defaults(handler=_grafana, influx_token=settings.influx_token)
