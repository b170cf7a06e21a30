"""How far ``replay``, ``simulate`` and ``record`` have got: the one progress display.

On a terminal (stderr) it is a rich bar with the share done, the time left, the records
counted, their rate and the event time reached. Anywhere else (a log file, CI, a pipe)
it is one plain line every ``every_s`` seconds and one at the end: a bar's redraws would
fill a log with terminal codes.

What the share done is measured against, the goal, depends on what is known before the
run: the record count (``replay`` reads its file first), the event-time window
(``simulate`` knows its days, not its records), or nothing (``record``: count, rate and
event time, no share and no time left).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TextIO, TypeAlias, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as Bar

T = TypeVar("T")
Tracked: TypeAlias = Generator[T, None, None]
"""The items of a run as they are counted (closing it ends the display)."""

STEPS = 1000
"""The rich bar's total: the share done, in thousandths, whatever the goal's unit."""

EVERY_S = 5.0
"""How often the plain line is printed."""

HELP = (
    "Progress goes to stderr: a bar on a terminal, else a line every "
    f"{EVERY_S:g} s and one at the end."
)
"""What the commands' --help says of it."""

REDRAW_S = 0.1
"""How often the bar is updated (every record would slow a fast run down)."""


@dataclass(frozen=True, slots=True)
class Window:
    """The event time a run covers, [start_ms, end_ms): the goal of a run whose record
    count is known only at its end."""

    start_ms: int
    end_ms: int


Goal: TypeAlias = int | Window | None
"""A record count, an event-time window, or nothing known."""


def moment_text(epoch_ms: int, tz: tzinfo) -> str:
    """An event time as the port's local time with its offset, e.g. 2026-03-02 14:00+08:00."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz).isoformat(" ", "minutes")


def duration_text(seconds: float) -> str:
    """Seconds as H:MM:SS."""
    return str(timedelta(seconds=round(seconds)))


class Progress:
    """Counts the items of a long run and shows how far it has got (see the module)."""

    def __init__(
        self,
        what: str,
        goal: Goal,
        tz: tzinfo,
        *,
        out: TextIO | None = None,
        terminal: bool | None = None,
        every_s: float = EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.goal = goal
        self.count = 0
        self.moment_ms: int | None = None
        self._tz = tz
        self._out = out or sys.stderr
        self._terminal = self._out.isatty() if terminal is None else terminal
        self._every_s = every_s
        self._clock = clock
        self._started = clock()

    def track(self, items: Iterable[T], moment_ms: Callable[[T], int]) -> Tracked[T]:
        """Yield ``items``, counting them and noting the event time (``moment_ms``) of each;
        show the progress now and then, and once at the end."""
        self._started = self._clock()
        if self._terminal:
            yield from self._with_bar(items, moment_ms)
        else:
            yield from self._with_lines(items, moment_ms)

    def _with_lines(self, items: Iterable[T], moment_ms: Callable[[T], int]) -> Tracked[T]:
        shown = self._started
        for item in items:
            self._note(item, moment_ms)
            yield item
            now = self._clock()
            if now - shown >= self._every_s:
                shown = now
                self._print(self.line())
        self._print(self.final_line())

    def _with_bar(self, items: Iterable[T], moment_ms: Callable[[T], int]) -> Tracked[T]:
        console = Console(file=self._out, force_terminal=True)
        columns: list[ProgressColumn] = [TextColumn("{task.description}"), BarColumn()]
        if self.goal is not None:
            columns += [TaskProgressColumn(), TimeRemainingColumn()]
        columns.append(TextColumn("{task.fields[detail]}"))
        with Bar(*columns, console=console) as bar:
            total = None if self.goal is None else STEPS
            task = bar.add_task(self.what, total=total, detail=self.detail())
            drawn = self._started
            for item in items:
                self._note(item, moment_ms)
                yield item
                now = self._clock()
                if now - drawn >= REDRAW_S:
                    drawn = now
                    bar.update(task, completed=self._steps(), detail=self.detail())
            done = STEPS if self.goal is not None else None
            bar.update(task, completed=done, detail=self.detail())

    def _note(self, item: T, moment_ms: Callable[[T], int]) -> None:
        self.count += 1
        self.moment_ms = moment_ms(item)

    def _print(self, line: str) -> None:
        print(line, file=self._out, flush=True)

    def _steps(self) -> int:
        share = self.share()
        return 0 if share is None else round(share * STEPS)

    def share(self) -> float | None:
        """The share of the goal done, 0 to 1 (None: no goal)."""
        if self.goal is None:
            return None
        if isinstance(self.goal, Window):
            if self.moment_ms is None:
                return 0.0
            span = max(self.goal.end_ms - self.goal.start_ms, 1)
            return min(max((self.moment_ms - self.goal.start_ms) / span, 0.0), 1.0)
        return min(self.count / self.goal, 1.0) if self.goal > 0 else 1.0

    def rate(self) -> float:
        """Records per second since the run began."""
        return self.count / max(self._clock() - self._started, 1e-9)

    def detail(self) -> str:
        """Records (of how many, when known), rate and event time reached."""
        counted = f"{self.count:,}"
        if isinstance(self.goal, int):
            counted += f" of {self.goal:,}"
        parts = [f"{counted} records", f"{self.rate():,.0f}/s"]
        if self.moment_ms is not None:
            parts.append(f"event time {moment_text(self.moment_ms, self._tz)}")
        return ", ".join(parts)

    def line(self) -> str:
        """The plain progress line: what, detail, share done and time left."""
        parts = [self.detail()]
        share = self.share()
        if share is not None:
            parts.append(f"{share:.0%} done")
            if share > 0:
                elapsed = self._clock() - self._started
                parts.append(f"{duration_text(elapsed * (1 - share) / share)} left")
        return f"{self.what}: {', '.join(parts)}"

    def final_line(self) -> str:
        """The plain line at the end: records, time taken, rate, event time reached."""
        elapsed = self._clock() - self._started
        reached = (
            ""
            if self.moment_ms is None
            else f", event time {moment_text(self.moment_ms, self._tz)}"
        )
        return (
            f"{self.what}: {self.count:,} records in {duration_text(elapsed)} "
            f"({self.rate():,.0f}/s){reached}"
        )
