"""``lugang worker``: one stream worker, built by the composition root."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from entrypoints import bootstrap
from entrypoints.cli.common import Subparsers
from lugang.settings import Settings

if TYPE_CHECKING:
    import faust


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def faust_worker(
    app: faust.App, loglevel: str, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> faust.Worker:
    """faust's worker for ``app``, with its start-up spinner only when stdout and stderr
    are both terminals.

    faust's spinner writes the codes that hide and show the cursor, and backspaces, into
    stdout whether or not it is a terminal, so a log file (systemd, compose, the demo's
    worker.log) fills with them. faust's Worker has no option for it; it drops the spinner
    itself (``spinner = None``) when the log level is below WARN, and so does this when
    the output is not a terminal. (``quiet`` would not do: it silences faust's messages,
    not the spinner's codes.)
    """
    from faust import Worker

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    worker = Worker(app, loglevel=loglevel, stdout=stdout, stderr=stderr)
    if not (stdout.isatty() and stderr.isatty()):
        worker.spinner = None
    return worker


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run a stream worker until it is stopped (SIGINT/SIGTERM)."""
    from streams import waits
    from streams.collector import tune_for_streaming
    from streams.identity import worker_name
    from streams.supervision import EXIT_AGENT_DIED

    monitor = bootstrap.build_worker(settings, bootstrap.reference(args.reference, settings))
    print(
        f"Lugang worker {settings.app_id}: Kafka {settings.kafka_bootstrap}, "
        f"InfluxDB {settings.influx_url or 'off'}, "
        f"Alertmanager {settings.alertmanager_url or 'off'}, "
        f"status on http://{settings.web_host}:{settings.web_port}/status "
        f"(Prometheus: /metrics, as worker {worker_name(settings)})",
        flush=True,
    )
    tune_for_streaming()
    try:
        worker = faust_worker(monitor.app, args.loglevel)
        # mode's SIGUSR2 starts pdb, of no use in a worker without a terminal: the worker
        # writes where its coroutines wait and its partitions stand instead (SIGUSR1 still
        # has mode write its tasks' stacks).
        dump = partial(waits.dump, sys.stderr, lambda: monitor.app.consumer, monitor.gates)
        setattr(worker, "_on_sigusr2", dump)  # noqa: B010 (replaces a bound method)
        worker.execute_from_commandline()
    except SystemExit:
        if monitor.agents.dead:  # stopped because an agent died: say so to systemd/compose
            raise SystemExit(EXIT_AGENT_DIED) from None
        raise
    return 0


def register(commands: Subparsers, settings: Settings) -> None:
    """Add ``worker``."""
    worker = commands.add_parser(
        "worker",
        help="run a stream worker (counts, 天天班, TEU, cold-chain exceptions)",
        description="Run a faust worker that consumes trains, containers and reefer, keeps "
        "daily counts and each container's cold-chain state in tables, writes InfluxDB "
        "(when LUGANG_INFLUX_URL is set), pages through Alertmanager (when "
        "LUGANG_ALERTMANAGER_URL is set) and serves /status, /health, /ready and "
        "Prometheus /metrics. Workers with the same LUGANG_APP_ID share the partitions. "
        "Configured by LUGANG_* variables: see README.",
    )
    worker.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reference configuration [env: LUGANG_REFERENCE] (default: the packaged one)",
    )
    worker.add_argument(
        "--loglevel",
        type=str.lower,
        choices=LOG_LEVELS,
        default="warning",
        help="worker log level (default: %(default)s)",
    )
    worker.set_defaults(handler=partial(_worker, settings=settings))
