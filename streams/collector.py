"""The worker's garbage collector, tuned for a long-running stream processor.

CPython's cyclic collector runs a young collection every 700 allocations net of frees and,
now and then, a full one over every object alive. A worker allocates a few dozen objects
per event (decoded events, track copies, points) that are almost never in a cycle, so most
collections find nothing, and each full one walks the whole heap: faust, pydantic's schemas,
the tables' decoded values. Measured in ``bench.offline`` (40,000 events): 2.0–2.3 s of
collections, most in 15 full ones of about 0.1 s each, against 0.14 s with the settings
below, the agents' time per event 82–88 µs against 74–80 µs (two runs each).

So the objects that live as long as the worker (everything built before it starts) are
frozen out of the collector's walks, and a young collection waits for
:data:`YOUNG_THRESHOLD` allocations. Reference counting still frees nearly everything at
once; only garbage in cycles waits longer, and the peak RSS figure of ``bench.pipeline``
checks what that costs.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 50_000
"""Allocations (net of frees) between young collections (CPython's default: 700)."""


def tune_for_streaming() -> None:
    """Freeze what exists now out of the collector's walks and space young collections
    :data:`YOUNG_THRESHOLD` allocations apart (the older generations keep their ratios)."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
