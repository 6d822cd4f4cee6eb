"""The document camera as a device: a frame source under the supervisor, preview and capture on demand.

Unlike the serial devices, a camera is not a byte-stream command/answer device: ``open`` starts a
frame source (UVC, MJPEG stream, file) and waits for its first frame; ``poll`` checks that frames
keep coming (a stalled or vanished stream raises, and the supervisor re-opens with back-off). The
preview and the capture take the latest frame without the device lock, so a flow's preview loop
never waits behind the supervisor's poll.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

from drivers.camera.detect import Corners
from drivers.camera.frames import Frame
from drivers.camera.pipeline import CapturedPage, NoDocument, PreviewAnalyzer, capture_page
from drivers.camera.sources import CaptureSettings, FrameSource, open_source
from drivers.device import (
    Device, DeviceInfo, DeviceKind, DeviceState, DeviceStatus, HealthLevel, HealthResult,
)
from drivers.errors import PortClosed, PortTimeout, TransportError
from drivers.transport import Transport

FIRST_FRAME_GRACE = 2.0  # seconds a camera may take to send its first frame after opening


class StreamState(enum.Enum):
    FLOWING = "flowing"
    STALLED = "stalled"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CameraStatus(DeviceStatus):
    stream: StreamState = StreamState.UNKNOWN


@dataclass(frozen=True)
class CameraOutput:
    """How pages leave the camera: the profile's dpi and JPEG quality, the preview's reduction."""

    preview_reduction: int = 4
    dpi: int = 200
    jpeg_quality: int = 85
    stable_s: float = 0.5  # auto-capture once the outline held still this long
    detect_hz: float = 8.0


class DocumentCamera(Device):
    kind = DeviceKind.CAMERA
    status_type = CameraStatus
    counters = ("opens", "communication_errors", "frames", "captures", "no_document", "bad_frames")

    def __init__(self, device_id: str, port: str, *, model: str = "", settings: CaptureSettings = CaptureSettings(),
                 output: CameraOutput = CameraOutput(), listener=None) -> None:
        super().__init__(device_id, port, model=model, listener=listener)
        self.settings = settings
        self.output = output
        self._source: FrameSource | None = None
        self._counted = (0, 0)  # frames and bad frames already added to the statistics

    # -- lifecycle (the supervisor's thread) --------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._source is not None and self._source.failed is None

    def open(self) -> None:
        with self.io_lock:
            self.close()
            try:
                self._source = open_source(self.port, self.settings)
                self.set_state(DeviceState.STARTING, "stream open")
                first = self._source.latest(self.settings.stall_timeout + FIRST_FRAME_GRACE)
            except TransportError:
                self.stats.incr("communication_errors")
                self.close()
                raise
            self.info = DeviceInfo(kind=self.kind, model=self.model, capabilities=frozenset(
                {f"resolution:{first.width}x{first.height}", "mjpeg" if first.jpeg is not None else "decoded"}))
            self.stats.incr("opens")
            self.set_status(CameraStatus(StreamState.FLOWING))
            self.set_state(DeviceState.ONLINE, f"{first.width}×{first.height}")

    def poll(self) -> None:
        with self.io_lock:
            source = self._source
            if source is None:
                raise RuntimeError(f"{self.device_id}: poll() before open()")
            self._count(source)
            age = source.last_frame_age
            error = source.failed
            if error is None and age is not None and age > self.settings.stall_timeout:
                error = PortTimeout(self.port, f"no frame for {age:.1f} s")
            if error is not None:
                self.stats.incr("communication_errors")
                self.set_status(CameraStatus(StreamState.STALLED))
                raise error
            self.set_status(CameraStatus(StreamState.FLOWING))

    def close(self) -> None:
        with self.io_lock:
            if self._source is not None:
                self._count(self._source)
                self._source.close()
                self._source = None
                self._counted = (0, 0)

    def _count(self, source: FrameSource) -> None:
        frames, bad = source.frames_received, source.bad_frames
        self.stats.incr("frames", frames - self._counted[0])
        self.stats.incr("bad_frames", bad - self._counted[1])
        self._counted = (frames, bad)

    # Device's byte-stream hooks: a camera opens a frame source instead (see open/poll above).
    def _identify(self, transport: Transport) -> None:  # pragma: no cover - never called
        raise NotImplementedError

    def _poll(self, transport: Transport) -> None:  # pragma: no cover - never called
        raise NotImplementedError

    # -- what flows use (any thread) ----------------------------------------------------------
    def frame(self, timeout: float = 1.0, newer_than: int = -1) -> Frame:
        """The latest frame (newer than ``newer_than``). Raises PortClosed while the camera is down."""
        source = self._source
        if source is None:
            raise PortClosed(self.port, "camera is not open")
        return source.latest(timeout, newer_than)

    def preview_analyzer(self) -> PreviewAnalyzer:
        """A fresh preview session: stability needs ``stable_s`` of frames analysed at ``detect_hz``."""
        frames = max(2, round(self.output.stable_s * self.output.detect_hz))
        return PreviewAnalyzer(self.output.preview_reduction, stable_frames=frames)

    def capture(self, *, kind: str = "auto", mode: str = "color", corners: Corners | None = None,
                expect_1d: bool = False, timeout: float = 1.0) -> CapturedPage:
        """Straighten the document in the latest frame. Raises NoDocument or TransportError."""
        frame = self.frame(timeout)
        try:
            page = capture_page(frame, kind=kind, mode=mode, corners=corners, expect_1d=expect_1d,
                                page_dpi=self.output.dpi, card_dpi=max(300, self.output.dpi))
        except NoDocument:
            self.stats.incr("no_document")
            raise
        self.stats.incr("captures")
        return page

    def check_health(self, level: HealthLevel) -> HealthResult:
        if level is not HealthLevel.INTERNAL:
            return super().check_health(level)
        try:
            if not self.is_open:
                self.open()
            first = self.frame(self.settings.stall_timeout)
            started = time.monotonic()
            count, last = 0, first.seq
            while time.monotonic() - started < 1.0:
                last = self.frame(self.settings.stall_timeout, newer_than=last).seq
                count += 1
            fps = count / (time.monotonic() - started)
            first.preview(self.output.preview_reduction)  # the frame must decode, not only arrive
        except TransportError as e:
            return HealthResult(level, False, f"摄像头无画面：{e}", f"no picture: {e}")
        except ValueError as e:  # FrameError: frames arrive but do not decode
            return HealthResult(level, False, f"画面无法解码：{e}", f"frames do not decode: {e}")
        return HealthResult(level, True, f"画面正常，{first.width}×{first.height}，约 {fps:.0f} 帧/秒",
                            f"picture ok, {first.width}x{first.height}, about {fps:.0f} frames/s",
                            (("width", str(first.width)), ("height", str(first.height)), ("fps", f"{fps:.1f}")))

