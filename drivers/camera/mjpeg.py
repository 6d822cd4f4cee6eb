"""MJPEG over HTTP (``multipart/x-mixed-replace``), both sides, sans-IO.

The stream network document cameras, mjpg-streamer and IP cameras serve, and what the camera
simulator speaks on ``sim://camera`` and on its TCP port::

    GET /stream HTTP/1.1                      (host → camera)
    HTTP/1.1 200 OK                           (camera → host)
    Content-Type: multipart/x-mixed-replace; boundary=frame

    --frame
    Content-Type: image/jpeg
    Content-Length: 271828

    <JPEG bytes>
    --frame
    …

Frames reach the host still compressed, so the preview can use a reduced JPEG decode and a capture
a full decode of the same buffer (document-camera spec §2.1). Parts without ``Content-Length`` are
delimited by the next boundary. Every size is bounded: a head over 8 KiB or a part over
:data:`MAX_PART` is a protocol error, never an unbounded buffer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEAD = 8 * 1024
MAX_PART = 24 * 1024 * 1024  # a 13 MP q95 frame is ≈ 2.5 MB, its worst case ≈ 6 MB (spec §1.1)
DEFAULT_BOUNDARY = "frame"
_BOUNDARY_RE = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


class MjpegError(ValueError):
    """The peer broke the MJPEG-over-HTTP protocol (the message says how; no image data in it)."""


# --- host side ------------------------------------------------------------------------------------


def stream_request(path: str = "/stream", host: str = "camera") -> bytes:
    if not path.startswith("/") or any(c in path for c in "\r\n ") or any(c in host for c in "\r\n "):
        raise ValueError(f"stream_request: bad path or host {path!r} {host!r}")
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: multipart/x-mixed-replace\r\n"
            "Connection: keep-alive\r\n\r\n").encode("ascii")


def _split_head(head: bytes) -> tuple[str, dict[str, str]]:
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
        raise MjpegError("undecodable header") from None
    first, *rest = text.split("\r\n")
    headers: dict[str, str] = {}
    for line in rest:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise MjpegError(f"malformed header line {line[:40]!r}")
        headers[name.strip().lower()] = value.strip()
    return first, headers


@dataclass(frozen=True)
class JpegPart:
    data: bytes
    seq: int  # 0, 1, 2 … in arrival order


class MjpegReader:
    """Host side: feed received bytes, get whole JPEG parts.

    Raises :class:`MjpegError` on a non-200 answer, a content type that is not
    ``multipart/x-mixed-replace``, a part that is not ``image/jpeg``, or an oversized head/part.
    Bytes between parts that do not start a boundary are skipped and counted in ``discarded``.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._boundary: bytes | None = None
        self._part_len: int | None = None  # Content-Length of the part being read, or -1 = scan
        self._seq = 0
        self._scanned = 0  # bytes of an unframed part already searched for the boundary
        self._skip_crlf = False
        self.discarded = 0

    @property
    def boundary(self) -> str | None:
        return None if self._boundary is None else self._boundary.decode("latin-1")

    def feed(self, data: bytes) -> list[JpegPart]:
        self._buf += data
        parts: list[JpegPart] = []
        if self._boundary is None and not self._read_response_head():
            return parts
        while True:
            part = self._next_part()
            if part is None:
                return parts
            parts.append(part)

    def _read_response_head(self) -> bool:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_HEAD:
                raise MjpegError(f"response head longer than {MAX_HEAD} bytes")
            return False
        status, headers = _split_head(bytes(self._buf[:end]))
        del self._buf[: end + 4]
        m = re.fullmatch(r"HTTP/1\.[01] (\d{3})(?: .*)?", status)
        if m is None:
            raise MjpegError(f"not an HTTP response: {status[:40]!r}")
        if m.group(1) != "200":
            raise MjpegError(f"camera answered HTTP {m.group(1)}")
        ctype = headers.get("content-type", "")
        if not ctype.lower().startswith("multipart/x-mixed-replace"):
            raise MjpegError(f"expected multipart/x-mixed-replace, got {ctype[:60]!r}")
        b = _BOUNDARY_RE.search(ctype)
        if b is None:
            raise MjpegError("multipart stream without a boundary")
        boundary = b.group(1).strip()
        if boundary.startswith("--"):  # some servers repeat the dashes in the header
            boundary = boundary[2:]
        self._boundary = ("--" + boundary).encode("latin-1")
        return True

    def _next_part(self) -> JpegPart | None:
        assert self._boundary is not None
        while self._part_len is None:
            if self._skip_crlf and len(self._buf) >= 2:
                if self._buf[:2] == b"\r\n":
                    del self._buf[:2]
                self._skip_crlf = False
            start = self._buf.find(self._boundary)
            if start < 0:
                keep = len(self._boundary) - 1  # a boundary may be split across reads
                drop = max(0, len(self._buf) - keep)
                self.discarded += drop
                del self._buf[:drop]
                return None
            self.discarded += start
            del self._buf[:start]
            head_end = self._buf.find(b"\r\n\r\n")
            if head_end < 0:
                if len(self._buf) > MAX_HEAD:
                    raise MjpegError(f"part head longer than {MAX_HEAD} bytes")
                return None
            line, headers = _split_head(bytes(self._buf[:head_end]))
            if line.strip() != self._boundary.decode("latin-1"):
                if line.strip() == self._boundary.decode("latin-1") + "--":
                    raise MjpegError("camera ended the stream")
                # the boundary string appeared inside other bytes: skip past it and hunt again
                self.discarded += len(self._boundary)
                del self._buf[: len(self._boundary)]
                continue
            ctype = headers.get("content-type", "image/jpeg").lower()
            if not ctype.startswith("image/jpeg"):
                raise MjpegError(f"part is {ctype[:40]!r}, not image/jpeg")
            length = headers.get("content-length")
            if length is not None:
                # ASCII digits only ("²".isdigit() is true), few enough for int() (4300-digit cap)
                if re.fullmatch(r"[0-9]{1,9}", length) is None or int(length) > MAX_PART:
                    raise MjpegError(f"bad part length {length[:20]!r}")
                self._part_len = int(length)
            else:
                self._part_len = -1
            del self._buf[: head_end + 4]
        if self._part_len >= 0:
            if len(self._buf) < self._part_len:
                return None
            data = bytes(self._buf[: self._part_len])
            del self._buf[: self._part_len]
            self._skip_crlf = True  # the CRLF that ends a part is framing, not garbage
        else:
            delim = b"\r\n" + self._boundary
            end = self._buf.find(delim, self._scanned)
            if end < 0:
                if len(self._buf) > MAX_PART:
                    raise MjpegError(f"part longer than {MAX_PART} bytes without a boundary")
                self._scanned = max(0, len(self._buf) - len(delim) + 1)  # rescan only new bytes
                return None
            self._scanned = 0
            data = bytes(self._buf[:end])
            del self._buf[:end]
        self._part_len = None
        part = JpegPart(data, self._seq)
        self._seq += 1
        return part


# --- camera side (the simulator) ------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str


class RequestReader:
    """Camera side: feed bytes from the host, get whole request heads (bodies are not expected)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Request]:
        self._buf += data
        out = []
        while (end := self._buf.find(b"\r\n\r\n")) >= 0:
            line, _ = _split_head(bytes(self._buf[:end]))
            del self._buf[: end + 4]
            m = re.fullmatch(r"([A-Z]+) (\S+) HTTP/1\.[01]", line)
            if m is None:
                raise MjpegError(f"not an HTTP request: {line[:40]!r}")
            out.append(Request(m.group(1), m.group(2)))
        if len(self._buf) > MAX_HEAD:
            self._buf.clear()
            raise MjpegError(f"request head longer than {MAX_HEAD} bytes")
        return out


def stream_response_head(boundary: str = DEFAULT_BOUNDARY) -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary={boundary}\r\n"
            "Cache-Control: no-cache\r\nConnection: close\r\n\r\n").encode("ascii")


def error_response(code: int, reason: str) -> bytes:
    return f"HTTP/1.1 {code} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode("ascii")


def frame_part(jpeg: bytes, boundary: str = DEFAULT_BOUNDARY) -> bytes:
    head = f"--{boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode("ascii")
    return head + jpeg + b"\r\n"


# --- JPEG header --------------------------------------------------------------------------------

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's SOF segment, without decoding. MjpegError if not a JPEG."""
    if data[:2] != b"\xff\xd8":
        raise MjpegError("not a JPEG (no SOI marker)")
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            raise MjpegError(f"JPEG marker expected at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # standalone markers
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if length < 2:
            raise MjpegError(f"bad JPEG segment length at byte {i}")
        if marker in _SOF:
            if i + 9 > n:
                break
            h = int.from_bytes(data[i + 5:i + 7], "big")
            w = int.from_bytes(data[i + 7:i + 9], "big")
            if w == 0 or h == 0:
                raise MjpegError("JPEG with a zero dimension")
            return w, h
        if marker == 0xDA:  # start of scan before any SOF
            break
        i += 2 + length
    raise MjpegError("JPEG without a frame header (SOF)")
