"""Where frames come from: a UVC camera, an MJPEG stream, a still image, a folder or a video file.

Every source keeps only the **latest** frame (a one-slot ring: older frames are dropped, spec §2.1)
and is read by one background thread, so a slow consumer never builds a backlog and never blocks
the camera. Consumers call :meth:`FrameSource.latest` with a timeout.

Source specs, as written in config (``port``) or given to ``kiosk diag camera --source``:

=================================  =================================================================
``uvc://0``, ``/dev/video0``,      a V4L2 camera (OpenCV), MJPEG at the configured size and rate,
``/dev/v4l/by-id/…``, ``/dev/kiosk/camera``   raw JPEG buffers when the backend hands them over
``sim://camera?…``                 the camera simulator, MJPEG over HTTP (in process)
``tcp://H:P``, ``http://H:P/PATH`` an MJPEG-over-HTTP stream (network camera, ``kiosk sim camera``)
``/path/photo.jpg`` (or .png …)    a still image, repeated at the configured rate
``/path/folder/``                  the images in a folder, sorted, each held ``hold`` seconds, looped
``/path/clip.avi`` (or .mp4 …)     a video file, at its own rate, looped
=================================  =================================================================
"""

from __future__ import annotations

import enum
import os
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from drivers.camera.frames import Frame, FrameError
from drivers.camera.mjpeg import MjpegError, MjpegReader, stream_request
from drivers.errors import BadPortUrl, PortClosed, PortNotFound, PortTimeout, ProtocolError, TransportError
from drivers.transport import open_transport
from drivers.transport.url import PortScheme, parse_port_url

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
VIDEO_SUFFIXES = frozenset({".avi", ".mp4", ".mkv", ".mov", ".mjpeg", ".mjpg", ".webm"})


class SourceKind(enum.Enum):
    UVC = "uvc"
    STREAM = "stream"
    STILL = "still"
    FOLDER = "folder"
    VIDEO = "video"


@dataclass(frozen=True)
class CaptureSettings:
    """What to ask of the camera, and how long a silent stream is tolerated."""

    width: int = 2592
    height: int = 1944
    fps: float = 15.0
    stall_timeout: float = 3.0  # no new frame for this long: the stream is stalled
    hold: float = 2.0  # folder source: seconds each image is shown


@dataclass(frozen=True)
class SourceSpec:
    kind: SourceKind
    raw: str  # as written; names the source in messages (a path or URL, never image content)


def parse_source(spec: str) -> SourceSpec:
    """Classify a source spec. Raises BadPortUrl for anything that is not a camera source."""
    raw = spec.strip() if isinstance(spec, str) else ""
    if not raw:
        raise BadPortUrl(repr(spec), "empty camera source")
    if "://" in raw:
        port = parse_port_url(raw)
        if port.scheme is PortScheme.UVC:
            return SourceSpec(SourceKind.UVC, raw)
        if port.scheme in (PortScheme.SIM, PortScheme.TCP, PortScheme.HTTP):
            return SourceSpec(SourceKind.STREAM, raw)
        raise BadPortUrl(raw, "a camera is uvc://N, a /dev/video path, sim://camera, tcp://, http:// or a file")
    path = Path(raw)
    if raw.startswith("/dev/"):
        return SourceSpec(SourceKind.UVC, raw)
    if path.is_dir():
        return SourceSpec(SourceKind.FOLDER, raw)
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return SourceSpec(SourceKind.STILL, raw)
    if suffix in VIDEO_SUFFIXES:
        return SourceSpec(SourceKind.VIDEO, raw)
    raise BadPortUrl(raw, "not a camera source: expected uvc://N, /dev/video…, sim://camera, tcp://, http://, "
                          "an image (.jpg .png …), a folder or a video file (.avi .mp4 …)")


def open_source(spec: str, settings: CaptureSettings = CaptureSettings()) -> FrameSource:
    """Open and start the source; its first frame may still be on its way."""
    parsed = parse_source(spec)
    cls = {SourceKind.UVC: UvcSource, SourceKind.STREAM: StreamSource, SourceKind.STILL: StillSource,
           SourceKind.FOLDER: FolderSource, SourceKind.VIDEO: VideoFileSource}[parsed.kind]
    source = cls(parsed.raw, settings)
    source.start()
    return source


class FrameSource(ABC):
    """A frame producer on its own thread with a one-slot "latest frame" mailbox."""

    kind: SourceKind

    def __init__(self, url: str, settings: CaptureSettings) -> None:
        self.url = url
        self.settings = settings
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._error: TransportError | None = None
        self._seq = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_received = 0
        self.frames_dropped = 0  # frames replaced before anyone took them
        self.bad_frames = 0
        self._taken_seq = -1

    # -- consumer side ---------------------------------------------------------------------
    def latest(self, timeout: float, newer_than: int = -1) -> Frame:
        """The newest frame with ``seq > newer_than``, waiting up to ``timeout`` s for one.

        Raises PortTimeout when none arrives in time and PortClosed once the source has failed.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._error is not None:  # failed: no stale frame from a dead source
                    raise self._error
                if self._latest is not None and self._latest.seq > newer_than:
                    self._taken_seq = self._latest.seq
                    return self._latest
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PortTimeout(self.url, f"no new camera frame within {timeout:.3g} s")
                self._cond.wait(left)

    @property
    def last_frame_age(self) -> float | None:
        """Seconds since the newest frame arrived (None before the first)."""
        with self._cond:
            return None if self._latest is None else time.monotonic() - self._latest.taken

    @property
    def failed(self) -> TransportError | None:
        return self._error

    def close(self) -> None:
        """Stop the reader; it frees the device itself (never under a read in progress)."""
        self._stop.set()
        if self._thread is None:
            self._release()
        elif self._thread is not threading.current_thread():
            self._thread.join(timeout=self.settings.stall_timeout + 1.0)

    # -- producer side ---------------------------------------------------------------------
    def start(self) -> None:
        self._open()
        self._thread = threading.Thread(target=self._run, name=f"camera:{self.url}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._produce()
        except TransportError as e:
            self._fail(e)
        except Exception as e:  # a bug or a library error: the source is dead, say so once
            self._fail(PortClosed(self.url, f"camera source failed ({type(e).__name__})"))
        finally:
            if self._error is None:
                self._fail(PortClosed(self.url, "camera source closed"))
            self._release()

    def _publish(self, make) -> None:
        """Store the frame ``make(seq, taken)`` builds as the latest (one slot: the old one is dropped)."""
        with self._cond:
            seq = self._seq
            try:
                frame = make(seq, time.monotonic())
            except FrameError:
                self.bad_frames += 1
                return
            self._seq += 1
            self.frames_received += 1
            if self._latest is not None and self._latest.seq > self._taken_seq:
                self.frames_dropped += 1
            self._latest = frame
            self._cond.notify_all()

    def _fail(self, error: TransportError) -> None:
        with self._cond:
            if self._error is None:
                self._error = error
            self._cond.notify_all()

    def _pace(self, period: float, last: float) -> float:
        """Sleep until ``last + period`` (or stop); return the new tick time."""
        due = last + period
        self._stop.wait(max(0.0, due - time.monotonic()))
        return max(due, time.monotonic() - period)  # never try to catch up a long backlog

    @abstractmethod
    def _open(self) -> None:
        """Open the device or file; raise PortNotFound / BadPortUrl with a clear message."""

    @abstractmethod
    def _produce(self) -> None:
        """Deliver the next frame (blocking at most about ``stall_timeout``), or raise TransportError."""

    def _release(self) -> None:
        """Free the device or file (called on the reader thread at exit, and by close)."""


class StreamSource(FrameSource):
    """MJPEG over HTTP on a byte transport: ``sim://camera``, ``tcp://H:P`` or ``http://H:P/PATH``."""

    kind = SourceKind.STREAM
    READ_SIZE = 256 * 1024

    def _open(self) -> None:
        port = parse_port_url(self.url)
        path = port.options.get("path", "/stream")
        self._transport = open_transport(self.url)
        self._reader = MjpegReader()
        self._last_frame = time.monotonic()
        try:
            self._transport.write(stream_request(path, port.host or "camera"))
        except TransportError:
            self._transport.close()
            raise

    def _produce(self) -> None:
        try:
            data = self._transport.read(self.READ_SIZE, min(0.5, self.settings.stall_timeout))
        except PortTimeout:
            data = b""
        if data:
            try:
                parts = self._reader.feed(data)
            except MjpegError as e:
                raise ProtocolError(self.url, str(e)) from None
            for part in parts:
                self._publish(lambda seq, t, p=part: Frame.from_jpeg(p.data, seq, t))
                self._last_frame = time.monotonic()
        if time.monotonic() - self._last_frame > self.settings.stall_timeout:
            raise PortTimeout(self.url, f"stream stalled: no frame for {self.settings.stall_timeout:.3g} s")

    def _release(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None:
            transport.close()


class UvcSource(FrameSource):
    """A V4L2 camera through OpenCV, MJPEG at the configured size, raw JPEG buffers when possible.

    With ``CAP_PROP_CONVERT_RGB`` off, OpenCV's V4L2 backend hands over each MJPEG buffer as a 1×N
    byte row (checked per frame by the JPEG SOI marker); a backend that decodes anyway gives BGR
    frames, which still work, at the cost of a full decode per frame.
    """

    kind = SourceKind.UVC

    def _open(self) -> None:
        target: int | str = self.url
        if self.url.startswith("uvc://"):
            target = parse_port_url(self.url).port
        elif not os.path.exists(self.url):
            raise PortNotFound(self.url, "no such camera device (is it plugged in? check `v4l2-ctl --list-devices`)")
        cap = cv2.VideoCapture(target, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise PortNotFound(self.url, "camera does not open (busy, no permission, or not a V4L2 capture device)")
        s = self.settings
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, s.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, s.height)
        cap.set(cv2.CAP_PROP_FPS, s.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        cap.set(cv2.CAP_PROP_CONVERT_RGB, 0)
        if hasattr(cv2, "CAP_PROP_READ_TIMEOUT_MSEC"):
            cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(s.stall_timeout * 1000))
        self._cap = cap

    def _produce(self) -> None:
        ok, buf = self._cap.read()
        if not ok or buf is None:
            raise PortClosed(self.url, "camera stopped delivering frames (unplugged?)")
        raw = buf.reshape(-1) if buf.ndim <= 2 and (buf.ndim == 1 or buf.shape[0] == 1) else None
        if raw is not None and raw.size > 2 and raw[0] == 0xFF and raw[1] == 0xD8:
            data = raw.tobytes()
            self._publish(lambda seq, t: Frame.from_jpeg(data, seq, t))
        elif buf.ndim == 3 and buf.shape[2] == 3:
            self._publish(lambda seq, t: Frame.from_image(buf, seq, t))
        else:
            # raw pixels that are not MJPEG (the camera kept YUYV): let OpenCV convert from now on
            self.bad_frames += 1
            self._cap.set(cv2.CAP_PROP_CONVERT_RGB, 1)

    def _release(self) -> None:
        cap = getattr(self, "_cap", None)
        if cap is not None:
            cap.release()


def _read_image_file(path: Path, url: str) -> tuple[bytes | None, np.ndarray | None]:
    """JPEG files stay compressed (reduced preview decode works); others are decoded once."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PortNotFound(url, f"cannot read {path.name} ({e.strerror or e})") from None
    if data[:2] == b"\xff\xd8":
        return data, None
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise BadPortUrl(url, f"{path.name} is not an image OpenCV can read")
    return None, img


def _frame_maker(jpeg: bytes | None, image: np.ndarray | None):
    if jpeg is not None:
        return lambda seq, t: Frame.from_jpeg(jpeg, seq, t)
    return lambda seq, t: Frame.from_image(image, seq, t)


class _ImageFilesSource(FrameSource):
    """Image files in turn, each held ``hold`` seconds and delivered at the frame rate, looped."""

    def _list(self) -> list[Path]:
        raise NotImplementedError

    def _open(self) -> None:
        self._files = self._list()
        self._index = 0
        self._make = self._load(0)
        try:
            self._make(0, 0.0)  # fail now on a corrupt JPEG header, not on the thread
        except FrameError as e:
            raise BadPortUrl(self.url, f"{self._files[0].name} is not a readable JPEG ({e})") from None
        self._shown_since = time.monotonic()
        self._tick = time.monotonic() - 1.0

    def _load(self, index: int):
        return _frame_maker(*_read_image_file(self._files[index], self.url))

    def _produce(self) -> None:
        self._tick = self._pace(1.0 / self.settings.fps, self._tick)
        if self._stop.is_set():
            return
        if len(self._files) > 1 and time.monotonic() - self._shown_since >= self.settings.hold:
            self._index = (self._index + 1) % len(self._files)
            self._make = self._load(self._index)
            self._shown_since = time.monotonic()
        self._publish(self._make)


class StillSource(_ImageFilesSource):
    """One image file, delivered again at the configured frame rate (a document lying still)."""

    kind = SourceKind.STILL

    def _list(self) -> list[Path]:
        path = Path(self.url)
        if not path.is_file():
            raise PortNotFound(self.url, "no such image file")
        return [path]


class FolderSource(_ImageFilesSource):
    """The images of a folder in name order, each held ``hold`` seconds at the frame rate, looped."""

    kind = SourceKind.FOLDER

    def _list(self) -> list[Path]:
        folder = Path(self.url)
        if not folder.is_dir():
            raise PortNotFound(self.url, "no such folder")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not files:
            raise PortNotFound(self.url, "folder holds no images (.jpg .png …)")
        return files


class VideoFileSource(FrameSource):
    """A video file through OpenCV at its own frame rate, looped (decoded frames)."""

    kind = SourceKind.VIDEO

    def _open(self) -> None:
        if not Path(self.url).is_file():
            raise PortNotFound(self.url, "no such video file")
        self._cap = cv2.VideoCapture(self.url)
        if not self._cap.isOpened():
            self._cap.release()
            raise BadPortUrl(self.url, "not a video OpenCV can read")
        rate = self._cap.get(cv2.CAP_PROP_FPS)
        self._period = 1.0 / (rate if rate and 0 < rate <= 120 else self.settings.fps)
        self._tick = time.monotonic() - 1.0

    def _produce(self) -> None:
        self._tick = self._pace(self._period, self._tick)
        ok, img = self._cap.read()
        if not ok:  # end of file: loop
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, img = self._cap.read()
            if not ok:
                raise PortClosed(self.url, "video file has no readable frames")
        self._publish(lambda seq, t: Frame.from_image(img, seq, t))

    def _release(self) -> None:
        cap = getattr(self, "_cap", None)
        if cap is not None:
            cap.release()
