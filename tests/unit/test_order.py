"""Each partition's messages reach an agent in offset order (streams/order.py): a message
faust handed over past a hole is held back, not acknowledged, and the partition sought
back; a redelivery passes; a hole that seeks never fill is taken for a gap in Kafka."""

from __future__ import annotations

from collections.abc import Sequence

from streams.agents.ports import Received
from streams.order import GAP_AFTER_SEEKS, RESEEK_AFTER_S, TAIL_AFTER_S, InOrder
from tests.fakes import FakeEvent, FakeMessage


class Seeker:
    def __init__(self, committed: int | None = None) -> None:
        self.committed_at = committed
        self.seeks: list[tuple[str, int, int]] = []
        self.mine = True
        self.end_at: int | None = None
        self.gaps: list[tuple[str, int, int, int]] = []

    def committed(self, topic: str, partition: int) -> int | None:
        return self.committed_at

    def seek(self, topic: str, partition: int, offset: int) -> None:
        self.seeks.append((topic, partition, offset))

    def assigned(self, topic: str, partition: int) -> bool:
        return self.mine

    def end(self, topic: str, partition: int) -> int | None:
        return self.end_at

    def partitions(self, topics: Sequence[str]) -> list[tuple[str, int]]:
        return [("reefer", 0)] if self.mine and "reefer" in topics else []

    def skipped(self, topic: str, partition: int, first: int, stop: int) -> None:
        self.gaps.append((topic, partition, first, stop))


def events(topic: str, *offsets: int, partition: int = 0) -> list[FakeEvent]:
    return [FakeEvent(FakeMessage(topic, partition, o, b"k", b"{}")) for o in offsets]


def offsets(admitted: Sequence[Received]) -> list[int]:
    return [e.message.offset for e in admitted]


def test_messages_in_order_pass() -> None:
    order = InOrder(Seeker(committed=10))
    assert offsets(order.admit(events("reefer", 10, 11, 12))) == [10, 11, 12]
    assert offsets(order.admit(events("reefer", 13))) == [13]


def test_a_message_past_a_hole_is_held_and_its_partition_read_again() -> None:
    seeker = Seeker(committed=10)
    clock = [0.0]
    order = InOrder(seeker, clock=lambda: clock[0])
    batch = events("reefer", 10, 13, 14) + events("containers", 5, 6)
    admitted = order.admit(batch)
    # 11 and 12 were dropped by faust: 13 and 14 wait for them; the other topic goes on.
    assert offsets(admitted) == [10, 5, 6]
    assert [order.held(e) for e in batch] == [False, True, True, False, False]
    assert seeker.seeks == [("reefer", 0, 11)]  # once per hole, not per held message
    # The seek brings 11 onwards again (stale 13 first: held, not sought again so soon).
    again = events("reefer", 13, 11, 12, 13, 14)
    assert offsets(order.admit(again)) == [11, 12, 13, 14]
    assert seeker.seeks == [("reefer", 0, 11)]


def test_a_redelivered_message_passes_and_moves_nothing() -> None:
    order = InOrder(Seeker(committed=0))
    order.admit(events("reefer", 0, 1, 2, 3))
    assert offsets(order.admit(events("reefer", 1, 2, 3, 4))) == [1, 2, 3, 4]


def test_the_committed_offset_is_due_after_another_worker_went_on() -> None:
    seeker = Seeker(committed=0)
    order = InOrder(seeker)
    order.admit(events("reefer", 0, 1))
    seeker.committed_at = 50  # the partition was away and came back
    assert offsets(order.admit(events("reefer", 50))) == [50]
    assert seeker.seeks == []


def test_with_no_commit_known_the_first_message_sets_the_order() -> None:
    order = InOrder(Seeker(committed=None))
    assert offsets(order.admit(events("reefer", 7, 8))) == [7, 8]
    assert offsets(order.admit(events("reefer", 10))) == []  # 9 skipped


def test_a_hole_is_sought_again_on_the_clock_when_nothing_more_comes() -> None:
    seeker = Seeker(committed=10)
    clock = [0.0]
    order = InOrder(seeker, clock=lambda: clock[0])
    assert offsets(order.admit(events("reefer", 10, 13, 14))) == [10]
    # The seek lost its race (13 and 14 were handed over again, 11 dropped again), and
    # the replay has ended: only the clock goes on.
    assert order.admit(events("reefer", 13, 14)) == []
    clock[0] += RESEEK_AFTER_S
    assert order.admit([]) == []
    assert seeker.seeks == [("reefer", 0, 11), ("reefer", 0, 11)]
    assert offsets(order.admit(events("reefer", 11, 12, 13, 14))) == [11, 12, 13, 14]
    clock[0] += RESEEK_AFTER_S
    order.admit([])
    assert len(seeker.seeks) == 2  # filled: nothing more to chase


def test_a_hole_in_a_partition_gone_to_another_worker_is_not_chased() -> None:
    seeker = Seeker(committed=10)
    clock = [0.0]
    order = InOrder(seeker, clock=lambda: clock[0])
    order.admit(events("reefer", 12))
    seeker.mine = False
    clock[0] += RESEEK_AFTER_S
    order.admit([])
    assert seeker.seeks == [("reefer", 0, 10)]


def test_a_hole_seeks_never_fill_is_taken_for_a_gap() -> None:
    seeker = Seeker(committed=10)
    clock = [0.0]
    order = InOrder(seeker, clock=lambda: clock[0])
    assert order.admit(events("reefer", 12, 13)) == []
    for _ in range(GAP_AFTER_SEEKS):
        clock[0] += RESEEK_AFTER_S
        assert order.admit([]) == []
    # Sought GAP_AFTER_SEEKS times at 10, then back to the first message held; the
    # commits are told that 10 and 11 are not in the partition.
    assert seeker.seeks == [("reefer", 0, 10)] * GAP_AFTER_SEEKS + [("reefer", 0, 12)]
    assert seeker.gaps == [("reefer", 0, 10, 12)]
    assert offsets(order.admit(events("reefer", 12, 13))) == [12, 13]


def test_a_tail_that_never_reached_the_agent_is_read_again() -> None:
    """faust dropped everything from offset 12 to the end: no later message shows a hole,
    so a partition past its offset due whose messages stopped coming is sought back."""
    seeker = Seeker(committed=10)
    clock = [0.0]
    order = InOrder(seeker, clock=lambda: clock[0])
    assert offsets(order.admit(events("reefer", 10, 11))) == [10, 11]
    seeker.end_at = 500  # the broker says the partition goes on to 499
    clock[0] = TAIL_AFTER_S - 1
    order.chase()
    assert seeker.seeks == []  # a partition merely behind gets messages within seconds
    clock[0] = TAIL_AFTER_S + 1
    order.chase()
    assert seeker.seeks == [("reefer", 0, 12)]
    order.chase()
    assert seeker.seeks == [("reefer", 0, 12)]  # once per wait, not per call
    clock[0] = 2 * TAIL_AFTER_S + 2
    order.chase()
    assert seeker.seeks == [("reefer", 0, 12)] * 2  # again while nothing comes
    assert offsets(order.admit(events("reefer", 12, 13))) == [12, 13]
    seeker.end_at = 14  # it came, to the end
    clock[0] = 4 * TAIL_AFTER_S
    order.chase()
    assert len(seeker.seeks) == 2


def test_no_tail_is_chased_when_read_to_the_end_unknown_or_not_ours() -> None:
    seeker = Seeker(committed=10)
    clock = [0.0]
    order = InOrder(seeker, clock=lambda: clock[0])
    order.admit(events("reefer", 10, 11))
    clock[0] = 10 * TAIL_AFTER_S
    seeker.end_at = 12  # read to its end
    order.chase()
    seeker.end_at = None  # no fresh word from the broker (paused, or Kafka away)
    order.chase()
    seeker.end_at, seeker.mine = 500, False  # another worker's now
    order.chase()
    assert seeker.seeks == []


def test_a_tail_none_of_which_reached_the_agent_is_read_again() -> None:
    """faust dropped every message of a partition since it was assigned (two workers, the
    benchmark's stall): the clock runs from when the gate found it assigned."""
    seeker = Seeker(committed=515)
    clock = [100.0]
    order = InOrder(seeker, clock=lambda: clock[0], topics=["reefer"])
    seeker.end_at = 16_556
    order.chase()  # assigned, nothing came yet
    clock[0] += TAIL_AFTER_S - 1
    order.chase()
    assert seeker.seeks == []
    clock[0] += 2
    order.chase()
    assert seeker.seeks == [("reefer", 0, 515)]


def test_a_gate_chases_only_its_agents_topics() -> None:
    seeker = Seeker(committed=515)
    clock = [0.0]
    order = InOrder(seeker, clock=lambda: clock[0], topics=["containers"])
    seeker.end_at = 16_556
    order.chase()
    clock[0] = 10 * TAIL_AFTER_S
    order.chase()
    assert seeker.seeks == []


def test_the_tail_clock_runs_only_while_the_broker_says_more_is_there() -> None:
    """Paused while tables recover (or Kafka away): no fresh end, so no waiting counted."""
    seeker = Seeker(committed=515)
    clock = [0.0]
    order = InOrder(seeker, clock=lambda: clock[0], topics=["reefer"])
    order.chase()
    clock[0] = 10 * TAIL_AFTER_S
    order.chase()  # recovering: no fresh end
    seeker.end_at = 16_556  # resumed
    clock[0] += 1
    order.chase()
    assert seeker.seeks == []  # its messages come within seconds of the resume
    clock[0] += TAIL_AFTER_S
    order.chase()
    assert seeker.seeks == [("reefer", 0, 515)]


def test_a_partition_resumed_just_before_a_check_waits_the_whole_time() -> None:
    """Every chase without a fresh end restarts the clock, not only one past the wait: a
    partition paused 14 s (tables recovering) is not sought the moment it resumes."""
    seeker = Seeker(committed=515)
    clock = [0.0]
    order = InOrder(seeker, clock=lambda: clock[0], topics=["reefer"])
    order.chase()
    clock[0] = TAIL_AFTER_S - 1
    order.chase()  # still recovering: no fresh end
    seeker.end_at = 16_556  # resumed
    clock[0] = TAIL_AFTER_S + 1
    order.chase()
    assert seeker.seeks == []
    clock[0] = 2 * TAIL_AFTER_S
    order.chase()
    assert seeker.seeks == [("reefer", 0, 515)]
