"""The alert schema: the Alertmanager alert of a cold-chain exception or of 天天班 at risk.

Pure: the clock (``now``) and the port's time zone come in as arguments. An alert's labels
identify it, so sending the same alert again is idempotent at Alertmanager, and one
cold-chain exception (one ``exception_id`` label) never pages twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Final

from lugang.contract import ColdChainException
from lugang.vocabulary import KIND_LABELS
from streams.schema.points import UNKNOWN

RESEND_WINDOW: Final = timedelta(hours=1)
"""How long a firing alert stays active at Alertmanager without being sent again."""


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert as Alertmanager's ``POST /api/v2/alerts`` takes it. The labels identify
    it; an ``ends_at`` in the past resolves it. ``valid_for``: a firing alert's end is that
    long after it is sent (:meth:`renewed`), however long delivery was retried."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None = None
    valid_for: timedelta | None = None

    def __post_init__(self) -> None:
        for moment in (self.starts_at, self.ends_at):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(f"alert {dict(self.labels)}: times need a UTC offset")

    def renewed(self, now: datetime) -> Alert:
        """The alert as sent at ``now``: a firing one (``valid_for``) ends that long after
        ``now`` (or after its start, if later: Alertmanager refuses an alert that ends
        before it starts)."""
        if self.valid_for is None:
            return self
        return replace(self, ends_at=max(now, self.starts_at) + self.valid_for)

    def to_json(self) -> dict[str, object]:
        """The alert as Alertmanager's JSON (RFC 3339 times)."""
        alert: dict[str, object] = {
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "startsAt": self.starts_at.isoformat(),
        }
        if self.ends_at is not None:
            alert["endsAt"] = self.ends_at.isoformat()
        return alert


SEEN_CLOSED_FOR: Final = timedelta(minutes=10)
"""How long the page of an exception first seen already closed stays firing."""


def exception_alert(
    exc: ColdChainException,
    now: datetime,
    tz: tzinfo,
    resend_window: timedelta = RESEND_WINDOW,
    seen_closed: bool = False,
) -> Alert:
    """The page for a cold-chain exception; its labels identify the exception.

    ``seen_closed``: the worker saw the exception open and close at once (a catch-up after
    an outage or a restart). Its ``ColdChainException`` page would reach Alertmanager only
    resolved, which notifies nobody; it is paged instead as ``ColdChainExceptionSeenClosed``,
    firing for :data:`SEEN_CLOSED_FOR`, so on-call hears of it once, with start, end and peak.

    Open, it stays active until ``now + resend_window`` (counted from its start if that is
    later, e.g. a replayed recording dated ahead of the clock: Alertmanager refuses an
    alert that ends before it starts): the worker re-sends open exceptions more often
    than that, so Alertmanager never resolves one on its own.
    Closed, it ends at ``exc.ended_at``, normally in the past, which resolves it. Times in
    the text are local to ``tz`` (the port's time zone, from the reference).
    """
    label = KIND_LABELS[exc.kind]
    english, chinese = label.en, label.zh

    def local(moment: datetime) -> str:
        moment = moment.astimezone(tz)
        return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"

    commodity = exc.commodity or UNKNOWN
    corridor = exc.corridor or UNKNOWN
    peak = ""
    if exc.peak_deviation_c is not None:
        peak = f", peak {exc.peak_deviation_c:.1f} °C outside band"
    summary = (
        f"Reefer {exc.equipment_reference} ({commodity}) {english} "
        f"since {local(exc.started_at)}{peak} / {chinese}"
    )
    if seen_closed and exc.ended_at is not None:
        summary = f"Already over when seen, ended {local(exc.ended_at)}: {summary}"
    description = (
        f"{english} ({chinese}) of reefer {exc.equipment_reference} carrying {commodity} "
        f"on corridor {corridor}, since {local(exc.started_at)}"
    )
    if exc.ended_at is not None:
        description += f", ended {local(exc.ended_at)} ({(exc.duration_s or 0) / 60:.0f} min)"
    description += f". Exception {exc.exception_id}."
    labels = {
        "alertname": "ColdChainExceptionSeenClosed" if seen_closed else "ColdChainException",
        "kind": exc.kind,
        "corridor": corridor,
        "commodity": commodity,
        "container": exc.equipment_reference,
        "exception_id": exc.exception_id,
        "severity": "page",
    }
    valid_for = None
    if seen_closed:
        valid_for = SEEN_CLOSED_FOR
    elif exc.ended_at is None:
        valid_for = resend_window
    annotations = {"summary": summary, "description": description}
    alert = Alert(labels, annotations, exc.started_at, exc.ended_at, valid_for)
    return alert.renewed(now)


def daily_service_alert(
    group: str,
    day: date,
    warning: bool,
    now: datetime,
    resend_window: timedelta = RESEND_WINDOW,
) -> Alert:
    """天天班 at risk: no outbound run of ``group`` yet on ``day`` past the warning hour.
    Firing while ``warning``, resolved (ending ``now``) otherwise. Alertmanager keeps the
    earliest start of an alert it already has, so re-sending with a later ``now`` is fine."""
    labels = {
        "alertname": "DailyServiceAtRisk",
        "service_group": group,
        "day": day.isoformat(),
        "severity": "warning",
    }
    annotations = {
        "summary": f"No outbound {group} train has departed yet on {day} / {day} 天天班尚未发车",
        "description": (
            f"Daily service (天天班) of {group}: no outbound run on {day} "
            "by the warning hour; the day will count as missed if none departs."
        ),
    }
    if warning:
        return Alert(labels, annotations, now, valid_for=resend_window).renewed(now)
    return Alert(labels, annotations, now, now)
