"""Offline map tiles: a neutral 256×256 PNG with a faint grid, drawn without any library.

Maps then render in tests, in the demo and on an installation with no tile server; a commune
in production sets TILE_URL to OpenStreetMap's or IGN's tiles.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

SIZE = 256
BACKGROUND = (242, 239, 233)
GRID = (222, 218, 210)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


@lru_cache(maxsize=32)
def render_tile(z: int, x: int, y: int) -> bytes:
    """A tile whose grid spacing halves with each zoom level, so zooming is visible."""
    step = max(16, 256 >> min(z // 3, 4))
    rows = []
    for row in range(SIZE):
        line = bytearray(b"\x00")  # filter type: none
        on_row = row % step == 0
        for col in range(SIZE):
            colour = GRID if on_row or col % step == 0 else BACKGROUND
            line += bytes(colour)
        rows.append(bytes(line))
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
