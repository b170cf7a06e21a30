"""``lugang contract --json-schema``: one JSON Schema document, keyed by topic kind, that
refuses what the contract refuses by shape (the README's examples pass: test_readme.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from entrypoints.cli import main
from lugang.contract_schema import contract_json_schema

TRAIN = {
    "event_id": "trn-X9001-20260315-DEPA",
    "event_type": "DEPA",
    "train_id": "X9001",
    "corridor": "HHW-QZH",
    "location": "HHW",
    "direction": "OUTBOUND",
    "event_time": "2026-03-15T09:20:00+08:00",
}


def errors(kind: str, message: object) -> list[str]:
    """Why the schema of ``kind`` refuses ``message`` (empty: it accepts it)."""
    schema: dict[str, Any] = {**contract_json_schema(), "$ref": f"#/$defs/{kind}"}
    validator = jsonschema.Draft202012Validator(schema)
    return [error.message for error in validator.iter_errors(message)]


def test_one_valid_document_keyed_by_topic_kind() -> None:
    document = contract_json_schema()
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(document["$defs"]) == {"trains", "containers", "reefer", "deadletter", "RawBytes"}
    assert document["$defs"]["deadletter"]["properties"]["value"] == {"$ref": "#/$defs/RawBytes"}


@pytest.mark.parametrize(
    ("message", "refused"),
    [
        ({**TRAIN, "platform": 3}, "Additional properties"),
        ({k: v for k, v in TRAIN.items() if k != "train_id"}, "'train_id' is a required"),
        ({**TRAIN, "event_type": "DEPART"}, "is not one of"),
        ({**TRAIN, "wagons": "50"}, "is not valid under any of the given schemas"),
        ({**TRAIN, "event_id": ""}, "should be non-empty"),
    ],
)
def test_refuses_what_the_contract_refuses_by_shape(message: object, refused: str) -> None:
    assert errors("trains", TRAIN) == []
    assert any(refused in error for error in errors("trains", message)), errors("trains", message)


def test_descriptions_say_what_only_lugang_checks() -> None:
    """Checks a JSON Schema cannot make are named in the field's description."""
    reefer = contract_json_schema()["$defs"]["reefer"]["properties"]
    assert "check digit" in reefer["equipment_reference"]["description"]
    assert "UTC offset" in reefer["reading_time"]["description"]


def test_command_writes_the_document_to_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "contract.json"
    assert main(["contract", "--json-schema", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == contract_json_schema()
    assert capsys.readouterr().out == f"{target}\n"


@pytest.mark.parametrize("argv", [["--json-schema"], ["--json-schema", "-"]])
def test_command_writes_the_document_to_stdout(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contract", *argv]) == 0
    assert json.loads(capsys.readouterr().out) == contract_json_schema()


def test_command_asks_what_to_write(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["contract"])
    assert "--json-schema" in capsys.readouterr().err
