"""The faust workarounds install only on the faust-streaming version they were checked with."""

from __future__ import annotations

import pytest

import streams.faustfix
from lugang.errors import LugangError
from streams.faustfix import FAUST_VERSION, FaustVersionError, install


@pytest.fixture
def guards(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """Records each call of the commit guard's installer instead of patching faust."""
    calls: list[None] = []
    monkeypatch.setattr(streams.faustfix, "guard_commits", lambda: calls.append(None))
    return calls


def test_another_faust_version_is_refused(guards: list[None]) -> None:
    """Private API changes without notice: another version stops the worker, naming both
    versions, before anything is patched."""
    with pytest.raises(FaustVersionError) as caught:
        install(version="0.16.0")
    assert isinstance(caught.value, LugangError)
    assert "0.16.0" in str(caught.value)
    assert FAUST_VERSION in str(caught.value)
    assert not guards


def test_the_checked_version_installs(guards: list[None]) -> None:
    install(version=FAUST_VERSION)
    assert len(guards) == 1


def test_the_installed_faust_is_the_checked_version(guards: list[None]) -> None:
    """The locked faust-streaming is the one the workarounds were written for."""
    install()
    assert len(guards) == 1
