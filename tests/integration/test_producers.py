"""The producers against the real Kafka: replay, dead letters, record, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrypoints.cli import main
from lugang.contract import DeadLetter
from producers.records import read_recording
from tests.integration.kafka_read import read_topic

DATA = Path(__file__).resolve().parents[1] / "data"

EXPECTED_REASONS = {
    "bad-1": "equipment_reference: ISO 6346 check digit should be 3, not 4",
    "bad-2": "corridor: unknown corridor 'HHW-XXX'",
    "bad-3": "reading_time: needs a UTC offset",
    "bad-4": "supply_air_c: Input should be a valid number",
    "bad-5": "supply_air_c: must be between -40 and 40",
    "bad-6": "direction: a DEPA at HHW on HHW-VTE is OUTBOUND, not INBOUND",
    "X9004": "Invalid JSON",  # truncated JSON: identified by its key
    "array": "Input should be an object",
    "bad-9": "train_id: required for LOAD",
}


def identify(letter: DeadLetter) -> str:
    """The test's name for a dead letter: its event_id, else its key, else 'array'."""
    try:
        value = json.loads(letter.value.to_bytes())
    except ValueError:
        return letter.key.to_bytes().decode() if letter.key else "?"
    return value.get("event_id", "?") if isinstance(value, dict) else "array"


def test_every_malformed_record_lands_in_the_dead_letter_topic_with_its_reason(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    recording = DATA / "malformed.jsonl"
    args = ["replay", str(recording), "--bootstrap", kafka_bootstrap]
    assert main([*args, "--topic-prefix", topic_prefix]) == 0

    letters = [
        DeadLetter.model_validate_json(value)
        for _, value in read_topic(kafka_bootstrap, f"{topic_prefix}deadletter")
    ]
    reasons = {identify(letter): letter.reason for letter in letters}
    assert reasons.keys() == EXPECTED_REASONS.keys()
    for name, reason in EXPECTED_REASONS.items():
        assert reason in reasons[name], name
    originals = {r.value for r in read_recording(recording)}
    assert all(letter.value.to_bytes() in originals for letter in letters)  # unchanged
    assert all(letter.topic.startswith(topic_prefix) for letter in letters)
    assert all(letter.source and letter.source.startswith("malformed.jsonl:") for letter in letters)
    good = {
        kind: read_topic(kafka_bootstrap, f"{topic_prefix}{kind}")
        for kind in ("trains", "containers", "reefer")
    }
    assert {kind: len(messages) for kind, messages in good.items()} == {
        "trains": 1,
        "containers": 1,
        "reefer": 1,
    }


def test_replay_then_record_gives_back_the_valid_records(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    recording = DATA / "malformed.jsonl"
    common = ["--bootstrap", kafka_bootstrap, "--topic-prefix", topic_prefix]
    assert main(["replay", str(recording), *common]) == 0
    out = tmp_path / "again.jsonl"
    assert main(["record", "--out", str(out), *common]) == 0

    valid = [r for r in read_recording(recording) if r.value.startswith(b'{"event_id":"')]
    valid = [r for r in valid if b'"bad-' not in r.value]
    assert sorted(read_recording(out), key=repr) == sorted(valid, key=repr)


def test_an_unreachable_broker_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["replay", str(DATA / "malformed.jsonl"), "--bootstrap", "127.0.0.1:1"])

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1] == (
        "lugang replay: cannot reach Kafka at 127.0.0.1:1 (connection refused); "
        "start it or set --bootstrap or LUGANG_KAFKA_BOOTSTRAP"
    )
    assert "Traceback" not in "\n".join(err)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"topic":"trains","key":"X","value":{},"timestamp":1}\n{"topic":"tr',
            "bad.jsonl:2: not JSON",
        ),
        (b'{"topic":"weather","key":"X","value":{},"timestamp":1}\n', "unknown topic 'weather'"),
        (b'{"topic":"trains","key":"X","timestamp":1}\n', "bad.jsonl:1: needs 'value'"),
    ],
)
def test_a_broken_recording_sends_nothing_and_says_why(
    content: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = tmp_path / "bad.jsonl"
    recording.write_bytes(content)

    code = main(["replay", str(recording), "--bootstrap", "127.0.0.1:1"])

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and message in err[0]
