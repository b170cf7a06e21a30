"""When a reefer is on the port's watch: the rules the live silence check and the
container moves share (domain reference §4, "watch and trip").

A reefer leaves watch when it gates out at the home location or is discharged anywhere
else (the corridor's far end), and when the outbound train it rides arrives at the far
end. A unit silent on watch stays on watch (and its gap stays open, paged) until it reports
again or leaves: there is no lookback after which silence stops counting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Protocol

from streams.domain.reefer import ReeferTrack

_LEAVING_MOVES: Final = frozenset({("GTOT", True), ("DISC", False)})
"""(event type, at the home location) of the moves after which a reefer is off watch."""


def leaves_watch(event_type: str, at_home: bool) -> bool:
    """Whether a move of this type, at the home location or elsewhere, ends the watch."""
    return (event_type, at_home) in _LEAVING_MOVES


class Arrivals(Protocol):
    """Outbound train id -> arrival time at the far end (ISO 8601), as stored."""

    def get(self, key: bytes) -> bytes | None: ...


def train_arrival(track: ReeferTrack, arrivals: Arrivals) -> datetime | None:
    """When the outbound train the container rides arrived at the far end (the latest
    arrival of its train number, if after the container moved onto it), or None."""
    train, boarded = track.train_id, track.boarded_at
    if train is None or boarded is None:
        return None
    stored = arrivals.get(train.encode())
    arrived = None if stored is None else datetime.fromisoformat(stored.decode())
    return arrived if arrived is not None and arrived >= boarded else None


def silence_watched(track: ReeferTrack, arrivals: Arrivals) -> bool:
    """Whether the live check judges the silence of ``track``: the reefer is on watch, has
    reported on this trip, and the train it rides has not arrived at the far end."""
    return track.watched and train_arrival(track, arrivals) is None
