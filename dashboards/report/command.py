"""``lugang report --html FILE``: read the figures, write the page, say where.

The caller (the CLI) loads the reference and the settings and passes what is needed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboards.report.data import period_bounds, report_data
from dashboards.report.page import render_html
from dashboards.report.style import PERIOD_LABEL
from lugang.reference import Reference
from streams.domain.periods import calendar_period


def html_report_command(
    args: argparse.Namespace, reference: Reference, influx_token: str | None
) -> int:
    """Write the page for the options ``args.url`` (worker), ``args.date``,
    ``args.period``, ``args.influx_url`` (None: no InfluxDB), ``args.influx_bucket``
    (``database/retention``) and ``args.html`` (the file).

    Args:
        args: the parsed options.
        reference: the port's reference (names, corridors, targets, timezone).
        influx_token: the InfluxDB token (1.x: ``user:password``); None: none.

    Raises:
        ReportError: the figures cannot be read.
        OSError: the file cannot be written.
    """
    database, _, retention = args.influx_bucket.partition("/")
    data = report_data(
        args.url,
        args.influx_url or None,
        database,
        args.date,
        args.period,
        retention=retention or None,
        token=influx_token,
        reference=reference,
    )
    page = render_html(
        data.status,
        data.daily,
        data.transit,
        data.exceptions,
        period=data.period,
        reference=reference,
        source=data.source,
    )
    target: Path = args.html
    target.write_text(page, encoding="utf-8")
    start, end = period_bounds(args.date, args.period)
    whole = calendar_period(args.period, args.date)
    print(
        f"wrote the {PERIOD_LABEL[args.period][1]} report {whole.label} {start} – {end} "
        f"(report due {whole.report_due}) to {target}"
    )
    return 0
