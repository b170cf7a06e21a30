"""The alert schema: the Alertmanager alert of a cold-chain exception, of 天天班 at risk or
of a train run overdue.

Pure: the clock (``now``), the port's time zone and the deployment's links come in as
arguments. An alert's labels identify it, so sending the same alert again is idempotent at
Alertmanager, and one cold-chain exception (one ``exception_id`` label) never pages twice.
Every alert links to the Grafana dashboard that shows it (``generatorURL``) and to its
runbook (annotation ``runbook_url``, :mod:`lugang.links`), so on-call can act from the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Final

from lugang.contract import ColdChainException
from lugang.links import OVERVIEW_UID, Links
from lugang.vocabulary import KIND_LABELS
from streams.domain.transit import RunUnderWay
from streams.schema.points import UNKNOWN

RESEND_WINDOW: Final = timedelta(hours=1)
"""How long a firing alert stays active at Alertmanager without being sent again."""
EXCEPTION_ALERT: Final = "ColdChainException"
SEEN_CLOSED_ALERT: Final = "ColdChainExceptionSeenClosed"
DAILY_SERVICE_ALERT: Final = "DailyServiceAtRisk"
TRAIN_OVERDUE_ALERT: Final = "TrainOverdue"
"""The alert names the worker pages with (``alertname``)."""
DEFAULT_LINKS: Final = Links()


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert as Alertmanager's ``POST /api/v2/alerts`` takes it. The labels identify
    it; an ``ends_at`` in the past resolves it. ``valid_for``: a firing alert's end is that
    long after it is sent (:meth:`renewed`), however long delivery was retried.
    ``generator_url``: the dashboard that shows it (Alertmanager's ``generatorURL``)."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None = None
    valid_for: timedelta | None = None
    generator_url: str | None = None

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

    def resolved(self, now: datetime) -> Alert:
        """The alert ending at ``now``, which resolves it."""
        return replace(self, ends_at=now, valid_for=None)

    def to_json(self) -> dict[str, object]:
        """The alert as Alertmanager's JSON (RFC 3339 times)."""
        alert: dict[str, object] = {
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "startsAt": self.starts_at.isoformat(),
        }
        if self.ends_at is not None:
            alert["endsAt"] = self.ends_at.isoformat()
        if self.generator_url is not None:
            alert["generatorURL"] = self.generator_url
        return alert


SEEN_CLOSED_FOR: Final = timedelta(minutes=10)
"""How long the page of an exception first seen already closed stays firing."""


def exception_alert(
    exc: ColdChainException,
    now: datetime,
    tz: tzinfo,
    resend_window: timedelta = RESEND_WINDOW,
    seen_closed: bool = False,
    links: Links = DEFAULT_LINKS,
) -> Alert:
    """The page for a cold-chain exception; its labels identify the exception. It links to
    the cold-chain dashboard of its container around its time and to the runbook of its
    kind (``links``).

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
        "alertname": SEEN_CLOSED_ALERT if seen_closed else EXCEPTION_ALERT,
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
    annotations = {
        "summary": summary,
        "description": description,
        "runbook_url": links.runbook(exc.kind),
    }
    dashboard = links.coldchain(exc.equipment_reference, exc.started_at, exc.ended_at)
    alert = Alert(labels, annotations, exc.started_at, exc.ended_at, valid_for, dashboard)
    return alert.renewed(now)


def daily_service_alert(
    group: str,
    day: date,
    warning: bool,
    now: datetime,
    resend_window: timedelta = RESEND_WINDOW,
    links: Links = DEFAULT_LINKS,
) -> Alert:
    """天天班 at risk: no outbound run of ``group`` yet on ``day`` past the warning hour.
    Firing while ``warning``, resolved (ending ``now``) otherwise. Alertmanager keeps the
    earliest start of an alert it already has, so re-sending with a later ``now`` is fine.
    The one page of 天天班 at risk (Grafana has no rule of its own for it); it links to the
    operations overview (the wall screen's 天天班 tiles) and to its runbook."""
    labels = {
        "alertname": DAILY_SERVICE_ALERT,
        "service_group": group,
        "day": day.isoformat(),
        "severity": "warning",
    }
    annotations = {
        "summary": f"No outbound {group} train has departed yet on {day} / {day} 天天班尚未发车",
        "description": (
            f"Daily service (天天班) of {group}: no outbound run on {day} "
            "by the warning hour; the day will count as missed if none departs. "
            f"天天班（{group}）：{day} 已过预警时间仍无去程班列发出，如无班列发出当日将记为缺班。"
        ),
        "runbook_url": links.runbook(DAILY_SERVICE_ALERT),
    }
    alert = Alert(labels, annotations, now, generator_url=links.dashboard(OVERVIEW_UID))
    if warning:
        return replace(alert, valid_for=resend_window).renewed(now)
    return alert.resolved(now)


def train_overdue_alert(
    run: RunUnderWay,
    now: datetime,
    tz: tzinfo,
    resend_window: timedelta = RESEND_WINDOW,
    links: Links = DEFAULT_LINKS,
) -> Alert:
    """A run (outbound or inbound) past its corridor's benchmark (and margin), for
    operations (``severity=warning``, as 天天班 at risk; not the on-call cold-chain route).
    Its labels identify the run (train id, direction, local day of departure), so re-sending
    it every minute notifies once, and an inbound and an outbound run of one train number
    never share a page; firing from ``run.due_at`` while the run travels, resolved at its
    arrival once it is in. Links to the operations overview (the trains-in-transit table)
    and to its runbook."""
    departed = run.departed_at.astimezone(tz)
    since = f"{departed:%Y-%m-%d %H:%M} {departed.tzname()}"
    labels = {
        "alertname": TRAIN_OVERDUE_ALERT,
        "train_id": run.train_id,
        "corridor": run.corridor,
        "direction": run.direction,
        "day": departed.date().isoformat(),
        "severity": "warning",
    }
    benchmark = f"{run.benchmark_h:g} h" if run.benchmark_h is not None else "none"
    inbound = run.direction == "INBOUND"
    way, zh = ("Inbound", "回程") if inbound else ("Outbound", "去程")
    goal = "the home location" if inbound else "the corridor's far end"
    which = f"{run.corridor}, inbound" if inbound else run.corridor
    annotations = {
        "summary": (
            f"Train {run.train_id} ({which}) overdue: {run.elapsed_h:.1f} h since "
            f"departing {since}, benchmark {benchmark} / 班列 {run.train_id} 超过运行时限未到达"
        ),
        "description": (
            f"{way} run of {run.train_id} on {run.corridor}, departed {since}: "
            f"{run.elapsed_h:.1f} h under way against a transit benchmark of {benchmark}, "
            f"not yet arrived at {goal}. "
            f"{run.corridor} {zh}班列 {run.train_id} 已运行 {run.elapsed_h:.1f} 小时，"
            "超过运行时限。"
        ),
        "runbook_url": links.runbook(TRAIN_OVERDUE_ALERT),
    }
    starts = run.due_at or run.departed_at
    alert = Alert(labels, annotations, starts, generator_url=links.dashboard(OVERVIEW_UID))
    if run.arrived_at is not None:
        return alert.resolved(max(run.arrived_at, starts))
    return replace(alert, valid_for=resend_window).renewed(now)
