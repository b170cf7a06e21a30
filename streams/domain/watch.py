"""When a reefer is on the port's watch: the rules the live silence check and the
container moves share.

A reefer leaves watch when it gates out at the home location or is discharged anywhere
else (the corridor's far end), and when the outbound train it rides has arrived at the far
end. A reefer silent for longer than :data:`WATCH_LOOKBACK` is taken to be off watch
(unplugged, delivered) rather than in a telemetry gap: the live check looks back no
further.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import datetime, timedelta
from typing import Final

from streams.domain.reefer import ReeferTrack

WATCH_LOOKBACK: Final = timedelta(hours=6)
"""How far back the live silence check looks for a reefer's newest reading."""

_LEAVING_MOVES: Final = frozenset({("GTOT", True), ("DISC", False)})
"""(event type, at the home location) of the moves after which a reefer is off watch."""


def leaves_watch(event_type: str, at_home: bool) -> bool:
    """Whether a move of this type, at the home location or elsewhere, ends the watch."""
    return (event_type, at_home) in _LEAVING_MOVES


def silence_watched(track: ReeferTrack, now: datetime, arrived_trains: Container[bytes]) -> bool:
    """Whether the live check judges the silence of ``track`` at ``now``: the reefer is on
    watch (see :meth:`ReeferTrack.watched`) and its train has not arrived at the far end."""
    if not track.watched(now, WATCH_LOOKBACK):
        return False
    train = track.train_id
    return not (train and train.encode() in arrived_trains)
