"""The project's Dockerfile, parsed: no Docker engine runs on these machines, so the tests
read its instructions instead of building it (tests/unit/test_locks.py for what it
installs, tests/integration/test_compose.py for the rest)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in logical]


def pip_installs(path: Path = DOCKERFILE) -> list[list[str]]:
    """The words of each ``pip install`` command of the RUN instructions (split on ``&&``)."""
    commands = [
        command
        for kind, args in instructions(path)
        if kind == "RUN"
        for command in args.split("&&")
    ]
    return [shlex.split(c) for c in commands if re.search(r"\bpip install\b", c)]
