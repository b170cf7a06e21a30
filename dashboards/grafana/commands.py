"""The ``lugang grafana push`` subcommand (argparse lives in the CLI)."""

from __future__ import annotations

import argparse
import sys

from pydantic import SecretStr

from dashboards.grafana.connection import connect_versioned
from dashboards.grafana.datasources import check_datasources, datasource_uids
from dashboards.grafana.push import (
    DEFAULT_DASHBOARDS,
    FOLDER_TITLE,
    load_dashboards,
    upload_dashboards,
)
from lugang.net import where


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
