"""The lock files (requirements/*.lock) agree with pyproject.toml: every dependency it asks
for is pinned, at a version inside its range. Run requirements/update.sh when this fails."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCKS = {
    "dev.lock": [
        *PROJECT["dependencies"],
        *(d for e in ("dev", "bench") for d in PROJECT["optional-dependencies"][e]),
    ],
    "prod.lock": PROJECT["dependencies"],
}


def pins(lock: Path) -> dict[str, Version]:
    """Package name -> pinned version of each ``name==version`` line of a lock file."""
    pinned: dict[str, Version] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue
        requirement = Requirement(text.split("\\")[0].strip())
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{lock.name}: {text!r} is not an exact pin"
        pinned[canonicalize_name(requirement.name)] = Version(specifier.version)
    return pinned


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_lock_pins_every_dependency_inside_its_range(name: str) -> None:
    """Each requirement of pyproject.toml is pinned in the lock, to a version it allows."""
    pinned = pins(ROOT / "requirements" / name)
    problems = []
    for text in LOCKS[name]:
        requirement = Requirement(text)
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not pinned")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")
    assert not problems, (
        f"requirements/{name} is out of date (run requirements/update.sh): {problems}"
    )


def test_prod_lock_holds_no_development_tool() -> None:
    """The production lock is the dependencies only: no test runner, linter or bench peer."""
    assert not {"pytest", "ruff", "mypy", "quixstreams"} & set(
        pins(ROOT / "requirements" / "prod.lock")
    )


def test_grafana_sdk_keeps_its_epoch() -> None:
    """The Grafana 11.6 build of the SDK is pinned with its epoch (the 10.1 build sorts last)."""
    for name in LOCKS:
        assert pins(ROOT / "requirements" / name)["grafana-foundation-sdk"] == Version(
            "1769699379!11.6.0"
        )


def test_faust_is_pinned_exactly() -> None:
    """The faust workarounds were checked against one release: pyproject pins it exactly."""
    (faust,) = [Requirement(d) for d in PROJECT["dependencies"] if d.startswith("faust-streaming")]
    assert str(faust.specifier) == "==0.15.3"
