"""ESC/POS byte builders (escpos-tickets.md §1, §2). Pure functions, byte-literal tested."""

from __future__ import annotations

import enum

ESC, FS, GS, DLE = b"\x1b", b"\x1c", b"\x1d", b"\x10"

INIT = ESC + b"@"
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
LF = b"\n"
SIZE_NORMAL = GS + b"!\x00"
BARRIER = GS + b"r\x01"  # GS r 1: answered only when the printer has processed all before it
CLEAR_BUFFERS = DLE + b"\x14\x08\x01\x03\x14\x01\x06\x02\x08"  # DLE DC4 8 (Epson/Citizen)
CLEAR_BUFFERS_REPLY = b"\x37\x25\x00"
PANEL_BUTTONS_OFF = ESC + b"c5\x01"  # a kiosk's FEED button must not waste paper


class Align(enum.IntEnum):
    LEFT = 0
    CENTER = 1
    RIGHT = 2


class QrLevel(enum.IntEnum):
    L = 0x30
    M = 0x31
    Q = 0x32
    H = 0x33


def size(width: int, height: int) -> bytes:
    """GS ! n: enlarges Chinese too (ESC ! does not)."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError(f"character size {width}x{height} outside 1..8")
    return GS + b"!" + bytes([(width - 1) << 4 | (height - 1)])


def align(a: Align) -> bytes:
    return ESC + b"a" + bytes([a])


def bold(on: bool) -> bytes:
    return ESC + b"E" + bytes([1 if on else 0])


def feed(lines: int) -> bytes:
    return ESC + b"d" + bytes([max(0, min(lines, 255))])


def qr_native(data: bytes, module: int = 6, level: QrLevel = QrLevel.M) -> bytes:
    """GS ( k: model 2, module size, EC level, store, print (§1.6)."""
    if not 1 <= module <= 16:
        raise ValueError(f"QR module size {module} outside 1..16")
    if not 1 <= len(data) <= 7089:
        raise ValueError(f"QR data of {len(data)} bytes outside 1..7089")
    store = len(data) + 3
    return (
        GS + b"(k\x04\x001A2\x00"
        + GS + b"(k\x03\x001C" + bytes([module])
        + GS + b"(k\x03\x001E" + bytes([level])
        + GS + b"(k" + store.to_bytes(2, "little") + b"1P0" + data
        + GS + b"(k\x03\x001Q0"
    )


def raster(bits: bytes, width_bytes: int, rows: int, band_rows: int = 255) -> bytes:
    """GS v 0 in bands of at most `band_rows` rows (cheap clones garble tall images, §1.7)."""
    if len(bits) != width_bytes * rows:
        raise ValueError(f"{len(bits)} bytes of image data for {width_bytes} x {rows}")
    out = bytearray()
    for top in range(0, rows, band_rows):
        n = min(band_rows, rows - top)
        out += GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + n.to_bytes(2, "little")
        out += bits[top * width_bytes : (top + n) * width_bytes]
    return bytes(out)


def realtime_status(n: int) -> bytes:
    """DLE EOT n, n = 1 printer, 2 offline cause, 3 error cause, 4 paper sensor."""
    if n not in (1, 2, 3, 4):
        raise ValueError(f"DLE EOT {n}: n must be 1..4")
    return DLE + b"\x04" + bytes([n])


def recover(clear_buffers: bool) -> bytes:
    """DLE ENQ 1 (resume) or 2 (after clearing the receive and print buffers)."""
    return DLE + b"\x05" + (b"\x02" if clear_buffers else b"\x01")
