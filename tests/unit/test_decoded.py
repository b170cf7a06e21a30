"""A table value is decoded once while its stored bytes stay the same."""

from __future__ import annotations

from streams.decoded import Decoded


def counting_decoder() -> tuple[Decoded[str], list[bytes]]:
    calls: list[bytes] = []

    def decode(data: bytes) -> str:
        calls.append(data)
        return data.decode()

    return Decoded(decode, limit=2), calls


def test_a_value_is_decoded_once_while_its_bytes_are_unchanged() -> None:
    decoded, calls = counting_decoder()
    assert decoded.get(b"k", b"one") == "one"
    assert decoded.get(b"k", b"one") == "one"
    assert calls == [b"one"]


def test_other_bytes_are_decoded_again() -> None:
    decoded, calls = counting_decoder()
    decoded.get(b"k", b"one")
    assert decoded.get(b"k", b"two") == "two"  # another worker wrote the key meanwhile
    assert calls == [b"one", b"two"]


def test_a_remembered_write_is_not_decoded() -> None:
    decoded, calls = counting_decoder()
    decoded.remember(b"k", b"written", "written")
    assert decoded.get(b"k", b"written") == "written"
    assert calls == []


def test_the_least_recently_used_value_leaves_first() -> None:
    decoded, calls = counting_decoder()
    decoded.get(b"a", b"A")
    decoded.get(b"b", b"B")
    decoded.get(b"a", b"A")  # b is now the least recently used
    decoded.get(b"c", b"C")
    decoded.get(b"a", b"A")
    decoded.get(b"b", b"B")
    assert calls == [b"A", b"B", b"C", b"B"]
