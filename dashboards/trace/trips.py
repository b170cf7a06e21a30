"""A container's readings split into trips, by the domain's watch rule (domain reference §4,
"watch and trip"), with the gaps and power-off periods of each trip and its cold-chain
summary.

A trip is one stay on watch. It ends when the container leaves watch: a move after which
:func:`streams.domain.watch.leaves_watch` says it is off watch (gate out at the home
location, discharge elsewhere), or the arrival at the far end of the outbound train it was
loaded on. A reading at the very moment it leaves belongs to no trip (the worker's state
machine ignores it); the next reading starts a new trip.

Within a trip, readings more than the TELEMETRY_GAP threshold apart (and a silence from the
last reading to the trip's end) are gaps, and a run of power-off readings lasts, by the
one timing rule (sample and hold), from its first power-off reading to the next reading
with power on (or the trip's end, or its last reading while the trip goes on).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dashboards.trace.model import Move, Period, Reading, Train, Trip
from lugang.reference import Reference
from streams.domain.journey import Profile, SafeBand, summarise_trip
from streams.domain.watch import leaves_watch


def run_of(move: Move, trains: Sequence[Train]) -> Train | None:
    """The run of the train ``move`` names: for a load, the first departure of that train
    at or after the load; otherwise the last departure at or before the move."""
    runs = sorted((t for t in trains if t.train_id == move.train_id), key=lambda t: t.departed)
    if move.event_type == "LOAD":
        return next((t for t in runs if t.departed >= move.time), None)
    earlier = [t for t in runs if t.departed <= move.time]
    return earlier[-1] if earlier else None


def leave_times(moves: Iterable[Move], trains: Sequence[Train], home: str) -> list[datetime]:
    """When the container left watch, in time order: the moves that end the watch
    (:func:`leaves_watch`) and the arrivals of the outbound trains it was loaded on."""
    times: set[datetime] = set()
    for move in moves:
        if leaves_watch(move.event_type, move.location == home):
            times.add(move.time)
        if move.event_type == "LOAD" and move.direction == "OUTBOUND" and move.train_id:
            run = run_of(move, trains)
            arrived = None if run is None else run.arrived
            if arrived is not None and arrived >= move.time:
                times.add(arrived)
    return sorted(times)


@dataclass(frozen=True, slots=True)
class Segment:
    """The readings of one trip, in time order, and when it ended (None: still on watch,
    or its end is not in the data)."""

    readings: list[Reading]
    end: datetime | None


def split_trips(readings: Iterable[Reading], leaves: Sequence[datetime]) -> list[Segment]:
    """The readings grouped into trips by the times the container left watch (sorted)."""
    segments: dict[int, list[Reading]] = {}
    for reading in sorted(readings, key=lambda r: r.time):
        index = bisect.bisect_left(leaves, reading.time)
        if index < len(leaves) and leaves[index] == reading.time:
            continue  # at the moment it leaves: no trip's
        segments.setdefault(index, []).append(reading)
    return [
        Segment(found, leaves[index] if index < len(leaves) else None)
        for index, found in sorted(segments.items())
    ]


def gaps(segment: Segment, threshold: timedelta) -> list[Period]:
    """The silences of a trip longer than ``threshold``: between two readings, and from
    the last reading to the trip's end."""
    times = [r.time for r in segment.readings]
    if segment.end is not None:
        times.append(segment.end)
    return [Period(a, b) for a, b in itertools.pairwise(times) if b - a > threshold]


def power_off(segment: Segment) -> list[Period]:
    """The runs of power-off readings of a trip, each from its first power-off reading to
    the next reading with power on (else the trip's end, else its last reading)."""
    found: list[Period] = []
    since: datetime | None = None
    for reading in segment.readings:
        if not reading.power_on and since is None:
            since = reading.time
        elif reading.power_on and since is not None:
            found.append(Period(since, reading.time))
            since = None
    if since is not None:
        found.append(Period(since, segment.end or segment.readings[-1].time))
    return found


def trip_profile(readings: Sequence[Reading], reference: Reference) -> tuple[str | None, Profile]:
    """The commodity of a trip (its latest reading's that names one) and what it is judged
    against: the reference's commodity profile (band and ΔH), else the band stored on the
    readings with the default ΔH.

    Raises:
        ValueError: neither a known commodity nor a band stored on the readings.
    """
    commodity = next((r.commodity for r in reversed(readings) if r.commodity), None)
    if commodity is not None and commodity in reference.commodities:
        return commodity, reference.commodity(commodity)
    stored = next((r for r in reversed(readings) if r.band_high_c is not None), None)
    if stored is None or stored.band_high_c is None:
        raise ValueError(f"no band known for commodity {commodity or 'unknown'}")
    return commodity, SafeBand(stored.band_low_c, stored.band_high_c)


def trip(segment: Segment, reference: Reference) -> Trip | None:
    """The cold-chain summary of one trip; None without readings or without a band."""
    try:
        commodity, profile = trip_profile(segment.readings, reference)
    except ValueError:
        return None
    samples = [(r.time, r.supply_air_c) for r in segment.readings]
    summary = summarise_trip(samples, profile, end=segment.end)
    return None if summary is None else Trip(commodity, summary)
