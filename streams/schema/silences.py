"""The silence of an acknowledged page (``lugang ack``): what Alertmanager's
``POST /api/v2/silences`` takes, and the acknowledgement read back from its silences.

An acknowledgement is an Alertmanager silence that

- matches the labels ``exception_id=<id>`` and ``lugang=<app id>`` exactly (both
  ``isEqual``, neither a regex), so it silences every page of that one exception
  (``ColdChainException`` and ``ColdChainExceptionSeenClosed``) from that one pipeline,
  never another pipeline's alert with the same id;
- has the comment ``lugang ack: <comment>`` (:data:`ACK_PREFIX`), which tells it from
  silences made by hand, and ``createdBy`` = who acknowledged;
- starts when it is made and ends after ``--for``, or at most :data:`LONGEST_ACK` later;
  the worker expires it when the exception closes (the acknowledgement is of that
  exception's pages only: the exception stays open, and only stops paging).

Whoever reads acknowledgements from Alertmanager (``lugang ack --list``, the worker's
:mod:`streams.acknowledgements`, which ``/status``, the dashboards and the evaluation pack
show) reads them with :func:`acknowledgement`. Pure: the clock comes in as an
argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

ACK_PREFIX: Final = "lugang ack:"
"""How the comment of an acknowledgement's silence starts."""
EXCEPTION_LABEL: Final = "exception_id"
"""The alert label that carries the exception's id (:mod:`streams.schema.alerts`)."""
PIPELINE_LABEL: Final = "lugang"
"""The alert label that says which pipeline paged: its app id (``LUGANG_APP_ID``)."""
LONGEST_ACK: Final = timedelta(days=7)
"""How long an acknowledgement without ``--for`` lasts at most, should the worker not
expire it when the exception closes."""


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """An acknowledged exception: its silence, who acknowledged it, when, until when, why."""

    silence_id: str
    exception_id: str
    pipeline: str
    by: str
    since: datetime
    until: datetime
    comment: str
    active: bool = True
    """False: the silence has ended (expired, by the worker or by time); ``until`` is then
    when it ended."""

    def to_json(self) -> dict[str, str]:
        """The acknowledgement as JSON (RFC 3339 times), as ``lugang ack --list --json``
        prints it."""
        return {
            "exception_id": self.exception_id,
            "pipeline": self.pipeline,
            "by": self.by,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "comment": self.comment,
            "silence_id": self.silence_id,
        }


def silence_body(
    exception_id: str,
    pipeline: str,
    by: str,
    comment: str,
    now: datetime,
    until: datetime,
) -> dict[str, Any]:
    """The ``POST /api/v2/silences`` body acknowledging ``exception_id`` of ``pipeline``
    (the app id), from ``now`` to ``until``.

    Raises:
        ValueError: a naive time, ``until`` not after ``now``, or no ``by``.
    """
    if now.utcoffset() is None or until.utcoffset() is None:
        raise ValueError("silence times need a UTC offset")
    if until <= now:
        raise ValueError("a silence must end after it starts")
    if not by.strip():
        raise ValueError("an acknowledgement needs who made it")
    return {
        "matchers": [_equal(EXCEPTION_LABEL, exception_id), _equal(PIPELINE_LABEL, pipeline)],
        "startsAt": now.isoformat(),
        "endsAt": until.isoformat(),
        "createdBy": by.strip(),
        "comment": f"{ACK_PREFIX} {comment.strip()}".rstrip(),
    }


def _equal(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value, "isRegex": False, "isEqual": True}


def acknowledgement(silence: Mapping[str, Any], ended: bool = False) -> Acknowledgement | None:
    """The acknowledgement a silence of ``GET /api/v2/silences`` is; None for any other
    silence (made by hand, or matching more or other than one exception of one pipeline),
    for a pending one, and for one no longer active unless ``ended`` (then an expired one
    is an acknowledgement that is not ``active``, ended at its ``until``)."""
    comment = silence.get("comment")
    if not isinstance(comment, str) or not comment.startswith(ACK_PREFIX):
        return None
    status = silence.get("status")
    state = status.get("state") if isinstance(status, Mapping) else None
    if state != "active" and not (ended and state == "expired"):
        return None
    matched: dict[str, str] = {}
    for matcher in silence.get("matchers") or ():
        if not isinstance(matcher, Mapping):
            return None
        if matcher.get("isRegex") or not matcher.get("isEqual", True):
            return None
        matched[str(matcher.get("name"))] = str(matcher.get("value"))
    if set(matched) != {EXCEPTION_LABEL, PIPELINE_LABEL}:
        return None
    try:
        since = datetime.fromisoformat(str(silence["startsAt"]))
        until = datetime.fromisoformat(str(silence["endsAt"]))
    except (KeyError, ValueError):
        return None
    return Acknowledgement(
        silence_id=str(silence.get("id", "")),
        exception_id=matched[EXCEPTION_LABEL],
        pipeline=matched[PIPELINE_LABEL],
        by=str(silence.get("createdBy", "")),
        since=since,
        until=until,
        comment=comment.removeprefix(ACK_PREFIX).strip(),
        active=state == "active",
    )
