"""``lugang dashboards build``: regenerate the Grafana dashboards and provisioning files."""

from __future__ import annotations

import argparse
from pathlib import Path

from entrypoints import bootstrap
from entrypoints.cli.common import Subparsers
from lugang.settings import Settings


def _dashboards(args: argparse.Namespace) -> int:
    """Generate the Grafana dashboards and provisioning files."""
    from dashboards.build import HERE, build_all

    for path in build_all(args.out or HERE, bootstrap.reference(args.reference)):
        print(path)
    return 0


def register(commands: Subparsers, settings: Settings) -> None:
    """Add ``dashboards build``."""
    del settings  # the dashboards depend on the reference only
    dashboards_parser = commands.add_parser(
        "dashboards",
        help="generate the Grafana dashboards and provisioning files",
        description="Regenerate dashboards/json/*.json and dashboards/provisioning/ from the "
        "code (dashboards/*.py) and the reference configuration. A unit test fails when the "
        "committed files differ from what this writes.",
    )
    dashboards_actions = dashboards_parser.add_subparsers(
        dest="dashboards_command", required=True, metavar="ACTION"
    )
    build = dashboards_actions.add_parser(
        "build", help="write the dashboards and provisioning files"
    )
    build.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: the project's dashboards/)",
    )
    build.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reference configuration [env: LUGANG_REFERENCE] (default: the packaged one)",
    )
    build.set_defaults(handler=_dashboards)
