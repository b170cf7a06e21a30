"""What an annotation says, and adding annotations to Grafana without adding one twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from dashboards.grafana.connection import GrafanaApi, api_where
from dashboards.grafana.errors import grafana_errors
from streams.schema.points import UNKNOWN

TAG: Final = "lugang"
"""Every annotation Lugang adds carries this tag: dashboards select them by it, and
:func:`annotate` finds the ones already added by it."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, order=True)
class Annotation:
    """One point annotation: an aware time, its text and tags, and optionally the uid of
    the only dashboard that shows it (``None``: an organisation annotation, shown by every
    dashboard whose annotation query asks for its tags)."""

    time: datetime
    text: str
    tags: tuple[str, ...]
    dashboard_uid: str | None = None

    def __post_init__(self) -> None:
        if self.time.utcoffset() is None:
            raise ValueError(f"annotation {self.text!r}: time needs a UTC offset")


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, Grafana's time unit."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def departure_annotation(
    train_id: str, corridor: str, departed_at: datetime, dashboard_uid: str | None = None
) -> Annotation:
    """A train's departure from the port: ``X260001 HHW-QZH departed / 发车``."""
    return Annotation(
        departed_at,
        f"{train_id} {corridor} departed / 发车",
        (TAG, "train", "departure", corridor),
        dashboard_uid,
    )


def exception_annotation(
    equipment_reference: str,
    kind: str,
    commodity: str,
    corridor: str,
    started_at: datetime,
    dashboard_uid: str | None = None,
) -> Annotation:
    """A cold-chain exception opening:
    ``MSKU9070323 HIGH cold-chain exception opened / 冷链异常 (citrus, HHW-QZH)``.

    The text names only what an exception keeps from opening to closing, so the
    annotation of an exception that has closed since is still the same annotation."""
    known = [value for value in (commodity, corridor) if value and value != UNKNOWN]
    detail = f" ({', '.join(known)})" if known else ""
    return Annotation(
        started_at,
        f"{equipment_reference} {kind} cold-chain exception opened / 冷链异常{detail}",
        (TAG, "coldchain", "exception", kind),
        dashboard_uid,
    )


def annotate(client: GrafanaApi, annotations: Sequence[Annotation]) -> int:
    """Add the annotations to Grafana, each tagged ``lugang``; how many were added.

    Idempotent: one ``GET /api/annotations`` lists the ``lugang`` annotations between the
    first and the last time, and an annotation whose time (ms) and text are already there
    (or earlier in ``annotations``) is skipped. Annotations are point annotations
    (``timeEnd`` = ``time``).
    """
    if not annotations:
        return 0
    where = api_where(client)
    with grafana_errors(where, "list its annotations"):
        existing = client.annotations.find_annotations(
            time_from=epoch_ms(min(a.time for a in annotations)),
            time_to=epoch_ms(max(a.time for a in annotations)),
            ann_type="annotation",
            tags=[TAG],
            limit=max(1000, 2 * len(annotations)),
        )
    seen = {
        (item.get("time"), item.get("text")) for item in existing or [] if isinstance(item, dict)
    }
    added = 0
    for annotation in sorted(annotations):
        at = epoch_ms(annotation.time)
        if (at, annotation.text) in seen:
            continue
        tags = [TAG, *(tag for tag in annotation.tags if tag != TAG)]
        with grafana_errors(where, f"add the annotation {annotation.text!r}"):
            client.annotations.add_annotation(
                dashboard_uid=annotation.dashboard_uid,
                time_from=at,
                time_to=at,
                tags=tags,
                text=annotation.text,
            )
        seen.add((at, annotation.text))
        added += 1
    return added
