"""The worker's collector settings: what exists at start is frozen, young collections are
spaced :data:`~streams.collector.YOUNG_THRESHOLD` allocations apart."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from streams.collector import YOUNG_THRESHOLD, tune_for_streaming


@pytest.fixture
def restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_the_worker_collector_is_tuned(restored: None) -> None:
    _, middle, oldest = gc.get_threshold()
    tune_for_streaming()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, oldest)
    assert gc.get_freeze_count() > 0
