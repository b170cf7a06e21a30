"""Where a worker's suspended coroutines wait: a diagnosis of a worker that seems stuck.

mode's SIGUSR1 dump prints each asyncio task's stack, but a task's stack stops at the
first async generator it iterates (an ``async for`` awaits the generator's ``asend``
object, which does not say which generator it advances), and every faust agent is one.
So on SIGUSR2 (``entrypoints.cli.worker``) the worker writes, to stderr, every suspended
coroutine and generator of the code that matters here (Lugang's ``streams``, faust, mode,
aiokafka) found by the garbage collector, with the line it waits at and what it awaits:
the frame of an agent stopped inside a batch shows there whatever task its stack hides.
Then, per partition, where faust's consumer and the agents' order gates stand.
"""

from __future__ import annotations

import gc
import sys
import time
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, TextIO

from streams.faustfix.standing import standing
from streams.order import InOrder

PACKAGES: Final = ("/streams/", "/faust/", "/mode/", "/aiokafka/")
"""Path parts of the files whose suspended frames the dump shows."""


def suspended(packages: tuple[str, ...] = PACKAGES) -> Iterator[str]:
    """One line per suspended coroutine, async generator or generator of ``packages``:
    ``file:line function <- what it awaits``."""
    # What a frame awaits is read from the top of its stack (CPython's ``_PyGen_yf``), which
    # is garbage while the frame runs: reading it then crashed the unit tier (a segfault in
    # test_waits). So only frames that are not running are read: a coroutine or generator
    # must say it is suspended, an async generator (no such flag in 3.11) must not be on any
    # thread's stack.
    running = _running_frames()
    for thing in gc.get_objects():
        if isinstance(thing, types.CoroutineType):
            if not thing.cr_suspended:
                continue
            frame, awaiting = thing.cr_frame, thing.cr_await
        elif isinstance(thing, types.AsyncGeneratorType):
            if thing.ag_frame is None or thing.ag_frame in running:
                continue
            frame, awaiting = thing.ag_frame, thing.ag_await
        elif isinstance(thing, types.GeneratorType):
            if not thing.gi_suspended:
                continue
            frame, awaiting = thing.gi_frame, thing.gi_yieldfrom
        else:
            continue
        if frame is None:
            continue
        path = frame.f_code.co_filename
        if not any(part in path for part in packages):
            continue
        short = path.rsplit("site-packages/", 1)[-1]
        yield f"{short}:{frame.f_lineno} {frame.f_code.co_qualname} <- {_what(awaiting)}"


def _running_frames() -> set[types.FrameType]:
    """The frames on every thread's stack now."""
    running: set[types.FrameType] = set()
    for top in sys._current_frames().values():  # noqa: SLF001 (the stdlib's only way)
        frame: types.FrameType | None = top
        while frame is not None:
            running.add(frame)
            frame = frame.f_back
    return running


def _what(awaiting: object) -> str:
    if awaiting is None:
        return "(nothing: at a yield, or not started)"
    code = getattr(awaiting, "cr_code", None) or getattr(awaiting, "ag_code", None)
    if code is not None:
        return code.co_qualname  # type: ignore[no-any-return]
    return type(awaiting).__qualname__


def partitions(consumer: Any, gates: Mapping[str, InOrder]) -> Iterator[str]:
    """One line per partition the consumer holds: where faust's consumer stands on it
    (:func:`~streams.faustfix.standing.standing`) and what each order gate of its topic
    knows. A diagnosis: whatever it cannot read it says it cannot."""
    now = time.time()
    for tp in sorted(consumer.assignment()):
        try:
            line = standing(consumer, tp, now)
        except Exception as exc:  # a diagnosis only
            line = f"{tp}: unknown ({type(exc).__name__}: {exc})"
        known = [
            f"{name}: {gate.describe((tp.topic, tp.partition))}"
            for name, gate in gates.items()
            if tp.topic in gate.topics
        ]
        yield "; ".join([line, *known])


def dump(
    out: TextIO | None = None,
    consumer: Callable[[], Any] | None = None,
    gates: Mapping[str, InOrder] | None = None,
) -> None:
    """Write :func:`suspended` to ``out`` (stderr), sorted, between two marker lines, then
    :func:`partitions` of ``consumer()`` (a faust consumer) and ``gates``, if given."""
    out = out or sys.stderr
    lines = sorted(suspended())
    out.write(f"--- suspended frames ({len(lines)}) ---\n")
    out.writelines(f"{line}\n" for line in lines)
    if consumer is not None:
        try:
            held = list(partitions(consumer(), gates or {}))
        except Exception as exc:  # a diagnosis only
            held = [f"unknown ({type(exc).__name__}: {exc})"]
        out.write("--- partitions\n")
        out.writelines(f"{line}\n" for line in held)
    out.write("--- end of suspended frames ---\n")
    out.flush()
