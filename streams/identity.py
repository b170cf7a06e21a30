"""Who a worker is: the URL the other workers reach it at, and the name it reports under.

Two names for two jobs. The URL (:func:`worker_url`) is where ``/status`` is forwarded, so
it is an address and survives a restart. The name (:func:`worker_name`) tags what a worker
reports about itself (the pipeline-health points, ``/metrics``'s ``lugang_worker_info``):
it must differ between any two processes reporting at once, which ``WEB_HOST:WEB_PORT``
did not (every compose replica listens on ``0.0.0.0:6066``, so their points overwrote one
another's), and a restarted worker is a new process whose figures start from zero.
"""

from __future__ import annotations

import os
import socket

from lugang.settings import Settings

EVERY_INTERFACE = ("0.0.0.0", "::", "")  # noqa: S104


def worker_url(settings: Settings) -> str:
    """Where the other workers reach this one's web server (``LUGANG_WORKER_URL``, else
    ``http://WEB_HOST:WEB_PORT``, the host name for a worker listening everywhere)."""
    if settings.worker_url:
        return settings.worker_url
    listening = settings.web_host
    host = socket.gethostname() if listening in EVERY_INTERFACE else listening
    return f"http://{host}:{settings.web_port}"


def worker_name(settings: Settings) -> str:
    """This process's name in what it reports (``LUGANG_WORKER_NAME``, else
    ``HOSTNAME-PID``)."""
    return settings.worker_name or f"{socket.gethostname()}-{os.getpid()}"
