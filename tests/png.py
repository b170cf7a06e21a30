"""A small PNG reader for screenshot checks (Pillow is not a dependency).

Reads what headless Chromium writes: 8-bit greyscale, RGB or RGBA, not interlaced.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel


@dataclass(frozen=True)
class Image:
    """Decoded pixels as RGB triples, row by row."""

    width: int
    height: int
    rows: list[list[tuple[int, int, int]]]

    def colours(self) -> Counter[tuple[int, int, int]]:
        """How many pixels have each colour."""
        counts: Counter[tuple[int, int, int]] = Counter()
        for row in self.rows:
            counts.update(row)
        return counts

    def crop(self, top: int, bottom: int) -> Image:
        return Image(self.width, bottom - top, self.rows[top:bottom])

    def to_png(self) -> bytes:
        """Encode as an 8-bit RGB PNG (to look at a part of a screenshot)."""
        raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in self.rows)

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            SIGNATURE
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6))
            + chunk(b"IEND", b"")
        )


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _chunks(path: Path, data: bytes) -> tuple[bytes, bytes]:
    """The IHDR body and the joined IDAT bodies of a PNG file's bytes."""
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path} is not a PNG")
    offset, idat, header = len(SIGNATURE), b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    return header, idat


def _unfilter(kind: int, line: bytearray, previous: bytearray, channels: int) -> None:
    """Undo one scanline's filter in place (``previous`` is the line above, unfiltered)."""
    for i in range(len(line)):
        left = line[i - channels] if i >= channels else 0
        up = previous[i]
        corner = previous[i - channels] if i >= channels else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF


def read_png(path: Path) -> Image:
    """Decode a PNG file.

    Raises:
        ValueError: not a PNG, or a kind this reader does not handle.
    """
    header, idat = _chunks(path, path.read_bytes())
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour_type not in CHANNELS or interlace:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {colour_type})")
    channels = CHANNELS[colour_type]
    stride = width * channels
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    rows: list[list[tuple[int, int, int]]] = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, channels)
        previous = line
        if channels >= 3:
            rows.append([(line[i], line[i + 1], line[i + 2]) for i in range(0, stride, channels)])
        else:
            rows.append([(line[i], line[i], line[i]) for i in range(0, stride, channels)])
    return Image(width, height, rows)
