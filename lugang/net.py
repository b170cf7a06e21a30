"""What messages say about a server that failed: its address without the password, the
short cause of a failed connection, and the one sentence for a server that does not answer.

Every client (Kafka, InfluxDB, Grafana, a worker's /status, the worker's sinks) words a
refused connection the same way, so this lives on the ground floor where all can reach it.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit


def where(url: str) -> str:
    """``url`` without user and password, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url.rstrip("/")
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl().rstrip("/")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions behind it (cause, context, aiohttp's ``os_error``, urllib3's
    ``reason``): HTTP clients wrap the socket's error in one or two of their own."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for name in ("__cause__", "__context__", "os_error", "reason"):
            inner = getattr(current, name, None)
            if isinstance(inner, BaseException):
                pending.append(inner)
        pending.extend(a for a in current.args if isinstance(a, BaseException))


def short_reason(exc: BaseException, timeout_s: float, timed_out: bool = False) -> str:
    """The short cause of a failed connection: no answer in time, refused, unknown host,
    or the last part of the message."""
    chain = list(_chain(exc))
    text = " ".join(str(e) for e in chain)
    if timed_out or any(isinstance(e, TimeoutError) for e in chain) or "timed out" in text.lower():
        return f"no answer within {timeout_s:g} s"
    if (
        any(isinstance(e, ConnectionRefusedError) for e in chain)
        or any(isinstance(e, OSError) and e.errno == errno.ECONNREFUSED for e in chain)
        or "Connection refused" in text
    ):
        return "connection refused"
    if (
        any(isinstance(e, socket.gaierror) for e in chain)
        or "NameResolution" in text
        or "Failed to resolve" in text
        or "getaddrinfo" in text
    ):
        return "unknown host name"
    return str(exc).rsplit(": ", 1)[-1].strip(" '\")") or type(exc).__name__


def unreachable(what: str, address: str, reason: str, fix: str) -> str:
    """The one sentence for a server that does not answer, e.g. ``cannot reach InfluxDB at
    http://127.0.0.1:8086 (connection refused); start it or set LUGANG_INFLUX_URL``.

    ``fix`` says what to do, e.g. ``start it or set --influx-url or LUGANG_INFLUX_URL``."""
    return f"cannot reach {what} at {address} ({reason}); {fix}"
