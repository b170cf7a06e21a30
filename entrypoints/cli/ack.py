"""``lugang ack``: acknowledge a page with an Alertmanager silence, and list the
acknowledgements (what the silence is: :mod:`streams.schema.silences`)."""

from __future__ import annotations

import argparse
import json
import textwrap
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial

from entrypoints.cli.common import CommandError, Subparsers, duration
from lugang.contract import parse_exception_id
from lugang.settings import Settings
from streams.schema.silences import (
    LONGEST_ACK,
    Acknowledgement,
    acknowledgement,
    silence_body,
)
from streams.sinks.silences import AlertmanagerSilences, Silences

EXAMPLE_ID = "MSKU9070323:HIGH:2026-03-15T00:05:00+00:00"
DESCRIPTION = (
    "Acknowledge the page of an open cold-chain exception, as Alertmanager users do: a "
    "silence in Alertmanager that matches exactly the labels exception_id=EXCEPTION_ID and "
    "lugang=APP_ID (the pipeline), created by --by with the comment 'lugang ack: COMMENT'. "
    "The exception stays open; it only stops paging. The silence ends after --for, else "
    f"{LONGEST_ACK.days} days after it was made, or when the exception closes: the worker "
    "expires it then. The exception must be open at the worker "
    "(its /status); acknowledging it again prints the acknowledgement in force and makes no "
    "second silence. Errors (a bad id, an exception not open, Alertmanager or the worker "
    "unreachable) are one line and exit status 1."
)
ALERTMANAGER_FIX = "start it or set --alertmanager-url or LUGANG_ALERTMANAGER_URL"


def current(silences: Silences, pipeline: str) -> list[Acknowledgement]:
    """The acknowledgements in force of ``pipeline`` (its app id), oldest first."""
    found = (acknowledgement(s) for s in silences.all())
    return sorted(
        (a for a in found if a is not None and a.pipeline == pipeline),
        key=lambda a: (a.since, a.exception_id),
    )


def acknowledge(
    silences: Silences,
    exception_id: str,
    pipeline: str,
    by: str,
    comment: str,
    length: timedelta | None,
    open_ids: Collection[str],
    now: datetime,
) -> tuple[Acknowledgement, bool]:
    """Acknowledge the open exception ``exception_id`` of ``pipeline``: a silence until
    ``now + length`` (None: until it closes, :data:`LONGEST_ACK` at most). The
    acknowledgement, and whether it is new (False: the one in force, left as it is).

    Raises:
        CommandError: the exception is not among ``open_ids`` (closed, or never opened).
        SilencesError: Alertmanager cannot be reached or refuses.
    """
    if exception_id not in open_ids:
        raise CommandError(
            f"exception {exception_id} is not open at the worker (closed already, or never "
            "opened): nothing to acknowledge; 'lugang report' lists the open ones"
        )
    for ack in current(silences, pipeline):
        if ack.exception_id == exception_id:
            return ack, False
    until = now + (length or LONGEST_ACK)
    body = silence_body(exception_id, pipeline, by, comment, now, until)
    silence_id = silences.create(body)
    by, comment = body["createdBy"], comment.strip()
    return Acknowledgement(silence_id, exception_id, pipeline, by, now, until, comment), True


def moment(when: datetime) -> str:
    """A time as the command prints it: ``2026-03-16 06:11 UTC``."""
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def ack_line(ack: Acknowledgement, new: bool) -> str:
    """The one line that says what ``lugang ack`` did."""
    until = f"until {moment(ack.until)}"
    if new:
        return f"acknowledged {ack.exception_id}: silence {ack.silence_id} {until}, by {ack.by}"
    return (
        f"{ack.exception_id} was already acknowledged by {ack.by} since {moment(ack.since)}: "
        f"silence {ack.silence_id} {until}"
    )


def ack_table(acks: Sequence[Acknowledgement]) -> str:
    """``lugang ack --list``: one row per acknowledgement, columns aligned."""
    header = ("EXCEPTION", "BY", "SINCE", "UNTIL", "COMMENT")
    rows = [header] + [
        (a.exception_id, a.by, moment(a.since), moment(a.until), a.comment) for a in acks
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in rows
    )


def _ack(args: argparse.Namespace, settings: Settings, parser: argparse.ArgumentParser) -> int:
    if args.list == (args.exception_id is not None):
        parser.error("give one EXCEPTION_ID to acknowledge, or --list")
    if not args.list and not args.by:
        parser.error("the following arguments are required: --by")
    if not args.list:
        try:
            parse_exception_id(args.exception_id)
        except ValueError as exc:
            raise CommandError(
                f"{args.exception_id!r:.80} is not an exception id ({exc}); ids are "
                f"CONTAINER:KIND:START, e.g. {EXAMPLE_ID}"
            ) from None
    if not args.alertmanager_url:
        raise CommandError(
            "no Alertmanager to silence pages in: set --alertmanager-url or "
            "LUGANG_ALERTMANAGER_URL (e.g. http://127.0.0.1:9093)"
        )
    silences = AlertmanagerSilences(args.alertmanager_url, ALERTMANAGER_FIX)
    if args.list:
        acks = current(silences, args.app_id)
        if args.json:
            print(json.dumps([a.to_json() for a in acks], ensure_ascii=False, indent=2))
        elif acks:
            print(ack_table(acks))
        else:
            print(f"no acknowledged exceptions of pipeline {args.app_id}")
        return 0
    from dashboards.report.data import read_status

    now = datetime.now(UTC)
    # Any day will do: only the open exceptions are read, and they are the same every day.
    status = read_status(args.worker_url, now.date(), "--worker-url")
    open_ids = {e.get("exception_id") for e in status.get("open_exceptions") or ()}
    ack, new = acknowledge(
        silences,
        args.exception_id,
        args.app_id,
        args.by,
        args.comment,
        args.for_,
        {i for i in open_ids if isinstance(i, str)},
        now,
    )
    print(ack_line(ack, new))
    return 0


def register(commands: Subparsers, settings: Settings) -> None:
    """Add ``ack``."""
    worker_url = settings.worker_url or f"http://{settings.web_host}:{settings.web_port}"
    ack = commands.add_parser(
        "ack",
        help="acknowledge a cold-chain page (an Alertmanager silence), or list acknowledgements",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(DESCRIPTION, 79),
        epilog="examples:\n"
        f"  lugang ack {EXAMPLE_ID} --by 'Li Wei' --comment 'genset refuelled'\n"
        f"  lugang ack {EXAMPLE_ID} --by li.wei --for 2h\n"
        "  lugang ack --list\n"
        "The ids of the open exceptions: 'lugang report' (or 'lugang report --json', "
        "open_exceptions).",
    )
    ack.add_argument(
        "exception_id",
        nargs="?",
        metavar="EXCEPTION_ID",
        help="the exception, CONTAINER:KIND:START with START in UTC, as its page's "
        "exception_id label and /status write it",
    )
    ack.add_argument("--by", metavar="NAME", help="who acknowledges (the silence's createdBy)")
    ack.add_argument(
        "--comment",
        default="",
        metavar="TEXT",
        help="why, or what is being done (the silence's comment after 'lugang ack: ')",
    )
    ack.add_argument(
        "--for",
        dest="for_",
        type=duration,
        default=None,
        metavar="DURATION",
        help="end the acknowledgement after DURATION even if the exception is still open, "
        "e.g. 30m, 2h, 1d, 1h30m (default: "
        f"{LONGEST_ACK.days} days; a closed exception's silence matches nothing more)",
    )
    ack.add_argument(
        "--list",
        action="store_true",
        help="list the acknowledgements in force (exception, by, since, until, comment)",
    )
    ack.add_argument("--json", action="store_true", help="with --list: print them as JSON")
    ack.add_argument(
        "--alertmanager-url",
        default=settings.alertmanager_url,
        help="Alertmanager's base URL [env: LUGANG_ALERTMANAGER_URL] "
        f"(default: {settings.alertmanager_url or 'unset'})",
    )
    ack.add_argument(
        "--app-id",
        default=settings.app_id,
        help="the pipeline whose pages are acknowledged: its app id, the lugang label of its "
        "alerts [env: LUGANG_APP_ID] (default: %(default)s)",
    )
    ack.add_argument(
        "--worker-url",
        default=worker_url,
        help="a worker's web address, whose /status says which exceptions are open "
        "[env: LUGANG_WORKER_URL, else LUGANG_WEB_HOST and LUGANG_WEB_PORT] "
        "(default: %(default)s)",
    )
    ack.set_defaults(handler=partial(_ack, settings=settings, parser=ack))
