"""The ``lugang grafana push`` and ``annotate`` subcommands (argparse lives in the CLI)."""

from __future__ import annotations

import argparse
import sys

from pydantic import SecretStr

from dashboards.grafana.annotations import annotate
from dashboards.grafana.connection import connect, connect_versioned
from dashboards.grafana.datasources import check_datasources, datasource_uids
from dashboards.grafana.errors import InfluxReadError
from dashboards.grafana.influx import annotations_from_influx, local_day_range
from dashboards.grafana.push import (
    DEFAULT_DASHBOARDS,
    FOLDER_TITLE,
    load_dashboards,
    upload_dashboards,
)
from lugang.net import where
from lugang.reference import Reference


def _token(args: argparse.Namespace) -> SecretStr | None:
    token = args.token
    if token is None or isinstance(token, SecretStr):
        return token
    return SecretStr(str(token))


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def push_command(args: argparse.Namespace) -> int:
    """``lugang grafana push``: options ``url``, ``token``, ``dashboards`` (None: the
    project's ``dashboards/json``), ``folder`` (None: *Lugang 陆港*). The data sources the
    dashboards query are checked first: a missing one stops the push before anything is
    sent, in one line saying what to create."""
    folder = args.folder or FOLDER_TITLE
    # Read every file before connecting: a bad one sends nothing.
    dashboards = load_dashboards(args.dashboards or DEFAULT_DASHBOARDS)
    api, version = connect_versioned(args.url, _token(args))
    uids = datasource_uids(dashboards)
    if not check_datasources(api, uids):
        print(
            f"lugang grafana push: data source {', '.join(uids)} not checked: reading data "
            "sources takes the Admin role, which this token's service account lacks",
            file=sys.stderr,
        )
    urls = upload_dashboards(api, dashboards, folder)
    print(
        f"pushed {_count(len(urls), 'dashboard')} to Grafana "
        f"{version} at {where(args.url)}, folder {folder!r}:"
    )
    width = max(len(model["uid"]) for model in dashboards)
    for model, url in zip(dashboards, urls, strict=True):
        print(f"  {model['uid']:<{width}}  {url}")
    return 0


def annotate_command(args: argparse.Namespace, reference: Reference) -> int:
    """``lugang grafana annotate``: options ``start``, ``end`` (local days of the
    ``reference``'s home timezone), ``url``, ``token``, ``influx_url``, ``influx_bucket``,
    ``influx_token``, ``dashboard``, ``dry_run``."""
    if not args.influx_url:
        raise InfluxReadError(
            "annotations are read from InfluxDB: set --influx-url or LUGANG_INFLUX_URL"
        )
    start, end = local_day_range(args.start, args.end, reference.home.tz)
    database = str(args.influx_bucket).split("/")[0]
    influx_token = args.influx_token
    if isinstance(influx_token, SecretStr):
        influx_token = influx_token.get_secret_value()
    annotations = annotations_from_influx(
        args.influx_url, database, start, end, influx_token, args.dashboard
    )
    departures = sum("departure" in a.tags for a in annotations)
    found = (
        f"{_count(departures, 'train departure')} and "
        f"{_count(len(annotations) - departures, 'cold-chain exception opening')} "
        f"from {args.start} to {args.end} in InfluxDB {database!r}"
    )
    if args.dry_run:
        print(f"found {found}; not sent (--dry-run):")
        for annotation in annotations:
            print(f"  {annotation.time.astimezone(start.tzinfo):%Y-%m-%d %H:%M} {annotation.text}")
        return 0
    api = connect(args.url, _token(args))
    added = annotate(api, annotations)
    print(
        f"found {found}; added {_count(added, 'annotation')} to Grafana at "
        f"{where(args.url)} ({len(annotations) - added} already there)"
    )
    return 0
