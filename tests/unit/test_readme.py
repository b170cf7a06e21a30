"""README.md stays true where code can check it: its configuration table is the one
generated from the settings, its example messages pass the contract and its JSON Schema,
and every ``LUGANG_*`` variable named in the code, scripts and compose files is in it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from lugang.contract import TOPIC_KINDS, DeadLetter, InvalidEvent, parse_event
from lugang.contract_schema import contract_json_schema, message_models
from lugang.settings import TABLE_END, TABLE_START, markdown_table
from lugang.topics import DEAD_LETTER_KIND, TopicNames

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REGENERATE = (
    "run `lugang settings --markdown README.md` (without .venv: PYTHONPATH=. python -m "
    "entrypoints.cli settings --markdown README.md) and commit README.md"
)


def test_configuration_table_is_generated_from_the_settings() -> None:
    """The table between the markers is what ``lugang settings --markdown`` prints."""
    start = README.index(TABLE_START)
    body = README[README.index("\n", start) + 1 : README.index(TABLE_END)]
    assert body == markdown_table(), f"README.md's settings table is out of date: {REGENERATE}"


# **`kind`**, key `KEY` (any remark):  then a blank line and a ```json block: the value.
_EXAMPLE = re.compile(
    r"^\*\*`(?P<kind>[a-z-]+)`\*\*, key `(?P<key>[^`]+)`.*?\n\n```json\n(?P<value>.*?)\n```",
    re.MULTILINE | re.DOTALL,
)


def readme_examples() -> dict[str, tuple[str, bytes]]:
    """Topic kind -> (key, value) of each example message in *Example messages*."""
    start = README.index("### Example messages")
    section = README[start : README.index("\n#", start + 1)]
    found = [m.groups() for m in _EXAMPLE.finditer(section)]
    examples = {kind: (key, value.encode()) for kind, key, value in found}
    assert len(examples) == len(found), "a topic kind has two examples in README.md"
    return examples


EXAMPLES = readme_examples()


def test_readme_shows_one_example_of_every_topic() -> None:
    assert set(EXAMPLES) == set(message_models())


@pytest.mark.parametrize("kind", TOPIC_KINDS)
def test_input_example_passes_the_contract_with_every_field(kind: str) -> None:
    """Valid against the packaged reference, keyed by its entity id, every field shown."""
    key, value = EXAMPLES[kind]
    event = parse_event(kind, value)
    assert event.entity_key == key
    assert set(orjson.loads(value)) == set(type(event).model_fields)


def test_dead_letter_example_is_what_lugang_writes() -> None:
    """The dead letter keeps its message's key, and its reason is the one Lugang gives the
    value it keeps."""
    key, value = EXAMPLES[DEAD_LETTER_KIND]
    letter = DeadLetter.model_validate_json(value)
    assert set(orjson.loads(value)) == set(DeadLetter.model_fields)
    assert letter.key is not None
    assert letter.key.to_bytes() == key.encode()
    with pytest.raises(InvalidEvent) as refused:
        parse_event(TopicNames().kind(letter.topic), letter.value.to_bytes())
    assert refused.value.reason == letter.reason


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_example_passes_the_json_schema(kind: str) -> None:
    """What ``lugang contract --json-schema`` writes accepts each README example."""
    schema: dict[str, Any] = {**contract_json_schema(), "$ref": f"#/$defs/{kind}"}
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = [error.message for error in validator.iter_errors(orjson.loads(EXAMPLES[kind][1]))]
    assert not errors


# Where LUGANG_* variables are read or set: the packages, scripts, tests and deployment.
_SCANNED = ("lugang", "streams", "producers", "dashboards", "entrypoints", "deploy", "bench")
_SCANNED_FILES = (
    "tests",
    "install.sh",
    "check.sh",
    "lugang.sh",
    "Dockerfile",
    "docker-compose.yml",
    ".env.example",
)
_SUFFIXES = {".py", ".sh", ".yml", ".yaml", ".toml", ".example", ""}
_SKIPPED_FOLDERS = {"node_modules", "__pycache__", "data"}
_VARIABLE = re.compile(r"\bLUGANG_[A-Z0-9_]*[A-Z0-9]\b")
NOT_VARIABLES = {"LUGANG_WORKER": "bench/harness.py: a worker's command line"}


def _scanned_files() -> Iterator[Path]:
    for name in (*_SCANNED, *_SCANNED_FILES):
        path = ROOT / name
        if path.is_file():
            yield path
            continue
        for folder, subfolders, files in os.walk(path):
            subfolders[:] = [sub for sub in subfolders if sub not in _SKIPPED_FOLDERS]
            yield from (Path(folder, file) for file in files if Path(file).suffix in _SUFFIXES)


def test_every_lugang_variable_is_documented() -> None:
    """A variable the code, a script or the stack reads is in the README: a setting in the
    generated table, a script's or a test's where that script or test is described."""
    named: dict[str, Path] = {}
    for path in _scanned_files():
        for variable in _VARIABLE.findall(path.read_text(encoding="utf-8", errors="replace")):
            named.setdefault(variable, path.relative_to(ROOT))
    missing = {
        variable: str(path)
        for variable, path in sorted(named.items())
        if variable not in NOT_VARIABLES and not re.search(rf"\b{variable}\b", README)
    }
    assert not missing, (
        f"LUGANG_* variables missing from README.md (first file naming them): {missing}"
    )


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but ``-`` and ``_`` dropped,
    spaces to ``-``."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_the_contents_links_lead_to_headings() -> None:
    """Every ``(#anchor)`` link of the README names one of its headings."""
    headings = {
        _slug(line.lstrip("#")) for line in README.splitlines() if re.match(r"#{1,4} ", line)
    }
    links = re.findall(r"\]\(#([^)]+)\)", README)
    assert len(links) >= 15
    assert sorted(set(links) - headings) == []
