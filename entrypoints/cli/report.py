"""``lugang report``: a day's figures from a running worker, or the HTML evaluation pack."""

from __future__ import annotations

import argparse
import json
from functools import partial
from pathlib import Path

from entrypoints import bootstrap
from entrypoints.cli.common import Subparsers, day
from lugang.reference import default_reference
from lugang.settings import Settings
from streams.domain.periods import PERIOD_NAMES


def _report(args: argparse.Namespace, settings: Settings) -> int:
    """Print the figures of a day from a worker's /status, or write the HTML report."""
    from dashboards.report.data import read_status

    reference = bootstrap.reference(args.reference)
    if args.date is None:
        args.date = reference.home.today()
    if args.html is not None:
        from dashboards.report.command import html_report_command

        token = settings.influx_token.get_secret_value()
        return html_report_command(args, reference, token)
    from dashboards.text_report import render_text

    body = read_status(args.url, args.date)
    text = render_text(body, reference, args.period)
    print(json.dumps(body, ensure_ascii=False, indent=2) if args.json else text)
    return 0


def register(commands: Subparsers, settings: Settings) -> None:
    """Add ``report``."""
    # The packaged reference, not LUGANG_REFERENCE's: a bad file fails the command that
    # reads it, in one line, not the building of every command's --help.
    home_timezone = default_reference().home.timezone
    report = commands.add_parser(
        "report",
        help="print a day's figures against the plan, from a running worker",
        description="Print the day's and the month, quarter, half-year and year-to-date train "
        "runs, TEU and tonnage, those of --period against the plan's pro-rata targets with "
        "the day its report is due, 天天班 per service group (missed days, and days without "
        "data apart as unknown) and open cold-chain exceptions, as a running worker's /status "
        "reports them.",
    )
    report.add_argument(
        "--date",
        type=day,
        default=None,
        help="the local day, YYYY-MM-DD (default: today in the port's time zone, the "
        f"reference's; {home_timezone} for the packaged one)",
    )
    report.add_argument("--json", action="store_true", help="print the /status JSON")
    report.add_argument(
        "--url",
        default=f"http://{settings.web_host}:{settings.web_port}",
        help="a worker's web address [env: LUGANG_WEB_HOST, LUGANG_WEB_PORT] "
        "(default: %(default)s)",
    )
    report.add_argument(
        "--html",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the evaluation pack of --period (train runs, 天天班, TEU per category, "
        "reefer TEU, tonnage, transit times and cold-chain exceptions against the plan, with "
        "charts) to FILE as one self-contained HTML page",
    )
    report.add_argument(
        "--period",
        choices=PERIOD_NAMES,
        default="year",
        help="the period set against the plan: month, quarter, half year (H1, H2) or year to "
        "date, ending on --date; its report is due 15 days after the whole period ends "
        "(default: %(default)s)",
    )
    report.add_argument(
        "--influx-url",
        default=settings.influx_url,
        help="with --html: InfluxDB with the worker's points, for the daily series, transit "
        "times and exceptions [env: LUGANG_INFLUX_URL] (default: %(default)s; unset: the page "
        "has the /status figures only and says so)",
    )
    report.add_argument(
        "--influx-bucket",
        default=settings.influx_bucket,
        help="with --html: database/retention policy (2.x: the bucket's v1 mapping) "
        "[env: LUGANG_INFLUX_BUCKET] (default: %(default)s)",
    )
    report.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reference configuration: its time zone decides the day --date defaults to, and "
        "with --html its names and targets [env: LUGANG_REFERENCE] (default: the packaged one)",
    )
    report.set_defaults(handler=partial(_report, settings=settings))
