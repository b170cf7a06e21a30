"""The shortcuts a track takes on its hot path give what the plain way gives: the applied
offsets' fast path for the partition's next offset."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.domain.offsets import Applied


def _added_plainly(applied: Applied, offset: int, committed: int | None) -> Applied:
    """What :meth:`Applied.add` gave before its fast path."""
    below = applied.below if committed is None else max(applied.below, committed)
    kept = {o for o in applied.offsets if o >= below}
    if offset >= below:
        kept.add(offset)
    return Applied(below, tuple(sorted(kept)))


@settings(deadline=None, max_examples=300)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 60))), max_size=40)
)
def test_applied_offsets_add_as_they_did_before_the_fast_path(
    steps: list[tuple[int, int | None]],
) -> None:
    applied = plain = Applied()
    for offset, committed in steps:
        applied, plain = applied.add(offset, committed), _added_plainly(plain, offset, committed)
        assert applied == plain


def test_the_next_offset_under_an_unchanged_commit_is_appended() -> None:
    applied = Applied(5, (5, 7))
    assert applied.add(8, 5) == Applied(5, (5, 7, 8))
    assert applied.add(8, None) == Applied(5, (5, 7, 8))
    assert applied.add(6, 5) == Applied(5, (5, 6, 7))  # out of order: the plain way
    assert applied.add(7, 5) == applied
    assert applied.add(4, None) == applied  # under the commit: nothing to keep
