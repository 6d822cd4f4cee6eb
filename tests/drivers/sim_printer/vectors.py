"""Byte vectors from escpos-tickets.md, written as the spec writes them, and small builders."""

from __future__ import annotations

URL = "https://zwfw.example.gov.cn/q?t=A023&d=20240501"

# §1.6: model 2, 6 dots/module, EC M, the 47-byte URL: 88 bytes in total.
QR_EXAMPLE = bytes.fromhex(
    "1D 28 6B 04 00 31 41 32 00"
    "1D 28 6B 03 00 31 43 06"
    "1D 28 6B 03 00 31 45 31"
    "1D 28 6B 32 00 31 50 30 68 74 74 70 73 3A 2F 2F 7A 77 66 77 2E 65 78 61 6D 70 6C 65 2E 67 6F 76"
    "2E 63 6E 2F 71 3F 74 3D 41 30 32 33 26 64 3D 32 30 32 34 30 35 30 31"
    "1D 28 6B 03 00 31 51 30"
)

# §6: the reference queue ticket, 219 bytes.
REFERENCE_TICKET = bytes.fromhex(
    "1B 40"
    "1C 26"
    "1B 61 01"
    "1D 21 11 1B 45 01"
    "C4 B3 C4 B3 CA D0 D5 FE CE F1 B7 FE CE F1 D6 D0 D0 C4 0A"
    "1D 21 33"
    "41 30 32 33 0A"
    "1D 21 00 1B 45 00"
    "D2 B5 CE F1 A3 BA B2 BB B6 AF B2 FA B5 C7 BC C7 0A"
    "C7 B0 C3 E6 BB B9 D3 D0 20 31 32 20 C8 CB B5 C8 BA F2 0A"
    "32 30 32 34 2D 30 35 2D 30 31 20 30 39 3A 33 31 3A 30 35 0A"
) + QR_EXAMPLE + bytes.fromhex(
    "0A"
    "C7 EB C1 F4 D2 E2 BD D0 BA C5 A3 AC B9 FD BA C5 D7 F7 B7 CF 0A"
    "1B 61 00"
    "1D 56 42 00"
)
BARRIER = bytes.fromhex("1D 72 01")  # GS r 1
EOT = {n: bytes([0x10, 0x04, n]) for n in (1, 2, 3, 4)}  # DLE EOT n
ENQ1, ENQ2 = bytes.fromhex("10 05 01"), bytes.fromhex("10 05 02")
DC4_CLEAR = bytes.fromhex("10 14 08 01 03 14 01 06 02 08")

REFERENCE_LINES = [
    "某某市政务服务中心",
    "A023",
    "业务：不动产登记",
    "前面还有 12 人等候",
    "2024-05-01 09:31:05",
    f"[QR] {URL}",
    "",
    "请留意叫号，过号作废",
]


def gb(text: str) -> bytes:
    return text.encode("gb18030")


def raster(rows: list[str], mode: int = 0) -> bytes:
    """GS v 0 from rows of '#'/'.', padded to whole bytes."""
    width_bytes = (max(len(r) for r in rows) + 7) // 8
    data = bytearray()
    for r in rows:
        bits = r.ljust(width_bytes * 8, ".")
        data += bytes(int(bits[i : i + 8].replace("#", "1").replace(".", "0"), 2) for i in range(0, len(bits), 8))
    return bytes([0x1D, 0x76, 0x30, mode, width_bytes & 0xFF, width_bytes >> 8, len(rows) & 0xFF, len(rows) >> 8]) + bytes(data)


def qr(data: bytes, module: int = 6, level: int = 0x31) -> bytes:
    k = len(data) + 3
    return (
        bytes.fromhex("1D 28 6B 04 00 31 41 32 00")
        + bytes([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, module])
        + bytes([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, level])
        + bytes([0x1D, 0x28, 0x6B, k & 0xFF, k >> 8, 0x31, 0x50, 0x30])
        + data
        + bytes.fromhex("1D 28 6B 03 00 31 51 30")
    )


def job(*lines: str, cut: bytes = bytes.fromhex("1D 56 42 00")) -> bytes:
    """A small ticket: ESC @, FS &, one GB18030 line each, a feed-and-cut."""
    return bytes.fromhex("1B 40 1C 26") + b"".join(gb(line) + b"\n" for line in lines) + cut
