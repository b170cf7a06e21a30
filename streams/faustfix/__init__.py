"""Workarounds for faust-streaming, fenced in one package: the only code that touches its
private API (ruff's ``SLF`` rule is on everywhere else).

- :mod:`.commits`: a guard on offset commits (faust's hole check is off by one);
- :mod:`.conduct`: a fetched message handed to its stream without faust's four awaits and
  lock when nothing has to wait;
- :mod:`.drain`: the fetch loop without four asyncio tasks per message;
- :mod:`.events`: events of raw topics without faust's codec machinery per message, and
  the producer buffer's size checked without reading the settings per message;
- :mod:`.fetches`: fetches the broker holds 50 ms at most, not 1.5 s (one fetch of
  caught-up partitions kept the inputs waiting);
- :mod:`.recovery`: stream partitions sought to their committed offsets before they are
  resumed at the end of a rebalance's recovery, not after (records came out of order);
- :mod:`.take`: batches that never acknowledge an event no agent processed, nor one whose
  partition a rebalance took back while its agent worked on it;
- :mod:`.tally`: per-partition counts kept on faust's consumer (seeks, revocations), and
  whether one moved since a batch was fetched or taken;
- :mod:`.tables`: tables and topics behind the agents' Protocols (the current event, and
  table writes whose changelog delivery an agent awaits).

Each was written against, and checked with, faust-streaming :data:`FAUST_VERSION`;
:func:`install` refuses to run on any other version, because private API changes without
notice.
"""

from __future__ import annotations

from typing import Final

import faust

from lugang.errors import LugangError
from streams.faustfix.commits import guard_commits
from streams.faustfix.conduct import deliver_directly
from streams.faustfix.drain import deliver_at_first_step
from streams.faustfix.events import check_producer_ebb_quickly, decode_raw_directly
from streams.faustfix.fetches import shorten_fetch_wait
from streams.faustfix.recovery import seek_before_resuming
from streams.faustfix.take import count_revocations

FAUST_VERSION: Final = "0.15.3"
"""The faust-streaming version the workarounds were written for (pinned in pyproject)."""


class FaustVersionError(LugangError):
    """The installed faust-streaming is not the version the workarounds were checked with."""


def install(version: str = faust.__version__) -> None:
    """Install the workarounds that patch faust (idempotent).

    Raises:
        FaustVersionError: faust-streaming is not :data:`FAUST_VERSION`.
    """
    if version != FAUST_VERSION:
        raise FaustVersionError(
            f"faust-streaming {version} is installed, but Lugang's faust workarounds "
            f"(streams/faustfix) were checked with {FAUST_VERSION} only; install the "
            "locked versions (./install.sh) or re-check the workarounds against this one"
        )
    guard_commits()
    deliver_at_first_step()
    deliver_directly()
    decode_raw_directly()
    check_producer_ebb_quickly()
    shorten_fetch_wait()
    count_revocations()
    seek_before_resuming()
