"""The peer: Lugang's cold-chain rules on Quix Streams instead of faust.

A Quix ``Application`` reads ``reefer`` and ``containers`` concatenated (both keyed by
container, so one container's readings and moves meet in one per-key state, as in the
worker's ``movements`` agent; Quix aligns the two topics by timestamp), validates each
message with Lugang's contract and keeps each container's
:class:`~streams.domain.coldchain.ContainerState` in Quix's ``State`` (RocksDB with a changelog
topic), advanced by the pure functions the worker uses: :func:`~streams.domain.coldchain.step`
for a reading and :func:`~streams.domain.coldchain.with_context` for a move. Unlike the worker
it does not reorder readings within the allowed lateness, count, write InfluxDB or page:
it shows what the framework costs around the same rules.

It stops after ``--count`` messages and prints one JSON line: ``events`` processed after
the first one, ``seconds`` from the first message to the end of the run (final commit
included), ``decisions`` (exceptions opened and closed).

    .venv/bin/python -m bench.peers.quix_coldchain --bootstrap 127.0.0.1:9092 \\
        --prefix bench. --group quix --state-dir /tmp/quix --count 1140000
"""

from __future__ import annotations

import argparse
import json
import time

from quixstreams import Application, State

from lugang.contract import ContainerEvent, ReeferReading, parse_event
from lugang.reference import default_reference
from lugang.topics import TopicNames
from streams.domain.coldchain import ContainerState, step, with_context

STATE_KEY = "container"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--group", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--count", type=int, required=True, help="messages to process")
    parser.add_argument("--idle-timeout", type=float, default=60.0)
    args = parser.parse_args()

    reference = default_reference()
    rules, profiles = reference.exception_rules, reference.commodities
    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        state_dir=args.state_dir,
        loglevel="WARNING",
    )
    names = TopicNames(args.prefix)
    streams = [
        app.dataframe(
            app.topic(names.name(kind), value_deserializer="bytes", key_deserializer="str")
        ).apply(lambda value, kind=kind: (kind, value))
        for kind in ("reefer", "containers")
    ]
    first: float | None = None
    decisions = 0

    def judge(item: tuple[str, bytes], state: State[str, str]) -> None:
        nonlocal first, decisions
        if first is None:
            first = time.perf_counter()
        kind, value = item
        event = parse_event(kind, value, reference)
        if not isinstance(event, ReeferReading | ContainerEvent):
            return  # the two topics carry readings and container moves only
        stored = state.get(STATE_KEY)
        container = (
            ContainerState(event.equipment_reference)
            if stored is None
            else ContainerState.from_json(stored.encode())
        )
        if isinstance(event, ReeferReading):
            container, made = step(container, event, rules, profiles)
        else:
            container, made = with_context(
                container,
                commodity=event.commodity or container.commodity,
                corridor=event.corridor or container.corridor,
                train_id=event.train_id,
            )
        decisions += len(made)
        state.set(STATE_KEY, container.to_json().decode())

    streams[0].concat(streams[1]).update(judge, stateful=True)
    app.run(count=args.count, timeout=args.idle_timeout, collect=False)
    ended = time.perf_counter()
    if first is None:
        raise SystemExit("Quix processed no message")
    print(json.dumps({"events": args.count - 1, "seconds": ended - first, "decisions": decisions}))


if __name__ == "__main__":
    main()
