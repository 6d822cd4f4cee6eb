"""Live byte trace of one device: the bytes each way with timestamps, decoded by the device's
codec, personal data withheld.

What may be shown is decided per frame, never by searching for personal values: an ID card
reader's read replies (text block, photo, fingerprints, address) and a printer's print data
(a receipt can carry a pickup code) are shown as their length only. Status bytes, lock-board
frames and reader control frames carry no personal data and are shown in hex. Every line then
passes through the log redactor as well (defence in depth).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from drivers.device import Device, DeviceKind
from drivers.idcard import frames as sam
from drivers.locker import kerong
from drivers.transport.tap import Direction
from kiosk.logs import redact


@dataclass(frozen=True)
class TraceRecord:
    ts: float  # time.time() when the bytes moved
    direction: Direction
    size: int
    decoded: str  # what the codec makes of the bytes, masked
    hex: str = ""  # the raw bytes, only where they carry no personal data


def _hex(data: bytes, limit: int = 64) -> str:
    text = data[:limit].hex(" ")
    return text + (f" … (+{len(data) - limit})" if len(data) > limit else "")


class Decoder:
    """Bytes of one direction in, masked descriptions out. Never raises on any input."""

    def feed(self, direction: Direction, data: bytes) -> tuple[str, str]:
        return f"{len(data)} bytes (no decoder for this device; content withheld)", ""


_SAM_COMMANDS = {c.value: c for c in sam.Command}
# Replies to these carry no personal data; every other reply (the card reads) is length only.
_SAM_SAFE = frozenset({sam.Command.RESET_SAM, sam.Command.SAM_STATUS, sam.Command.SAM_ID, sam.Command.FIND,
                       sam.Command.SELECT, sam.Command.SET_BAUD, sam.Command.SET_RF_FRAME})


class IdCardDecoder(Decoder):
    def __init__(self) -> None:
        self._framers = {Direction.TX: sam.Framer(), Direction.RX: sam.Framer()}
        self._last: sam.Command | None = None

    def feed(self, direction: Direction, data: bytes) -> tuple[str, str]:
        parts: list[str] = []
        safe = True
        for event in self._framers[direction].feed(data):
            if isinstance(event, sam.FramingError):
                parts.append(f"framing error {event.kind.value}")
                continue
            if len(event.body) < (2 if direction is Direction.TX else 3):
                parts.append("short frame")
                continue
            if direction is Direction.TX:
                f = sam.parse_command(event)
                command = _SAM_COMMANDS.get((f.cmd, f.para)) or next(
                    (c for c in sam.Command if c.cmd == f.cmd and c is sam.Command.SET_BAUD), None)
                self._last = command
                parts.append(f"{command.name if command else f'cmd {f.cmd:02X} {f.para:02X}'}")
            else:
                r = sam.parse_response(event)
                shown = self._last in _SAM_SAFE
                safe = safe and shown
                what = f"SW3 {r.sw3:02X}"
                if r.data:
                    what += f", {len(r.data)} data bytes" + ("" if shown else " (personal data withheld)")
                parts.append(f"reply to {self._last.name if self._last else '?'}: {what}")
        if not parts:
            parts.append("partial frame")
        # A reply's raw bytes are shown only when every frame in the chunk is safe, and a chunk
        # that completes no frame is withheld (it may be the middle of a card read).
        show_hex = direction is Direction.TX or (safe and any(p.startswith("reply") for p in parts))
        return "; ".join(parts), _hex(data) if show_hex else ""


_DLE_EOT = b"\x10\x04"


class PrinterDecoder(Decoder):
    def feed(self, direction: Direction, data: bytes) -> tuple[str, str]:
        if direction is Direction.RX:  # status bytes (DLE EOT, GS r, ASB): no personal data
            return f"status {' '.join(f'{b:02X}' for b in data[:8])}", _hex(data)
        if len(data) == 3 and data.startswith(_DLE_EOT):
            return f"DLE EOT {data[2]} (real-time status {data[2]})", _hex(data)
        if data.startswith(b"\x1b@"):
            return f"ESC @ (initialise), {len(data)} bytes", _hex(data, 8)
        return f"print data, {len(data)} bytes (content withheld: a receipt may carry a pickup code)", ""


class LockerDecoder(Decoder):
    """Kerong CU frames decoded; bcc-8a and others in hex (lock boards carry no personal data)."""

    def __init__(self) -> None:
        self._framers = {Direction.TX: kerong.Framer(), Direction.RX: kerong.Framer()}

    def feed(self, direction: Direction, data: bytes) -> tuple[str, str]:
        parts = []
        for event in self._framers[direction].feed(data):
            if isinstance(event, kerong.KFrame):
                try:
                    name = kerong.Cmd(event.cmd).name
                except ValueError:
                    name = f"cmd {event.cmd:02X}"
                parts.append(f"{name} board {event.board}" + (f" lock {event.lock}" if event.cmd == kerong.Cmd.UNLOCK else "")
                             + (f" data {event.data.hex(' ')}" if event.data else ""))
            else:
                parts.append(f"framing error: {event}")
        return "; ".join(parts) or "bytes", _hex(data)


def decoder_for(kind: DeviceKind) -> Decoder:
    return {DeviceKind.IDCARD: IdCardDecoder, DeviceKind.PRINTER: PrinterDecoder,
            DeviceKind.LOCKER: LockerDecoder}.get(kind, Decoder)()


class Trace:
    """Records of one device's traffic, newest kept (bounded memory on a long trace)."""

    def __init__(self, kind: DeviceKind, keep: int = 2000) -> None:
        self._decoder = decoder_for(kind)
        self._records: deque[TraceRecord] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def tap(self, direction: Direction, data: bytes, ts: float) -> None:
        with self._lock:
            decoded, raw = self._decoder.feed(direction, data)
            self._records.append(TraceRecord(ts, direction, len(data), redact(decoded), redact(raw)))

    def records(self) -> list[TraceRecord]:
        with self._lock:
            return list(self._records)


class NotTraceable(Exception):
    """The device moves no bytes we can see (a UVC camera delivers decoded frames)."""


@contextmanager
def tracing(device: Device, keep: int = 2000) -> Iterator[Trace]:
    """Trace `device` while the block runs; the device keeps working as before."""
    if device.kind is DeviceKind.CAMERA:
        raise NotTraceable(f"{device.device_id}: a camera delivers frames, not a byte stream; use `kiosk diag camera`")
    trace = Trace(device.kind, keep)
    device.set_tap(trace.tap)
    try:
        yield trace
    finally:
        device.set_tap(None)


def format_record(r: TraceRecord) -> str:
    import time

    stamp = time.strftime("%H:%M:%S", time.localtime(r.ts)) + f".{int(r.ts * 1000) % 1000:03d}"
    arrow = "→" if r.direction is Direction.TX else "←"
    return f"{stamp} {arrow} {r.size:>5} B  {r.decoded}" + (f"  [{r.hex}]" if r.hex else "")


def record_dict(r: TraceRecord) -> dict:
    return {"ts": round(r.ts, 3), "dir": r.direction.value, "size": r.size, "decoded": r.decoded, "hex": r.hex}
