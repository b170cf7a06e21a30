"""What messages say about an HTTP server that failed: its URL without the password, and
the short cause of a failed connection."""

from __future__ import annotations

from urllib.parse import urlsplit


def where(url: str) -> str:
    """``url`` without user and password, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url.rstrip("/")
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl().rstrip("/")


def short_reason(exc: BaseException, timeout_s: float, timed_out: bool = False) -> str:
    """The short cause of a failed connection: no answer in time, refused, unknown host,
    or the last part of the message."""
    text = str(exc)
    if timed_out or "timed out" in text.lower():
        return f"no answer within {timeout_s:g} s"
    if "Connection refused" in text:
        return "connection refused"
    if "NameResolution" in text or "Failed to resolve" in text or "getaddrinfo" in text:
        return "unknown host name"
    return text.rsplit(": ", 1)[-1].strip(" '\")") or type(exc).__name__
