"""Document camera, device side: an MJPEG-over-HTTP stream of synthetic desk scenes.

The camera answers ``GET /stream`` (also ``/``, ``/video``, ``/mjpeg``) with
``multipart/x-mixed-replace`` and then sends one JPEG part per frame at ``fps``, like a network
document camera or mjpg-streamer. Like a real server on a slow link it never queues more than
about one frame for the host: frames are dropped at the source, not buffered without bound.

What lies under the camera is set at run time, as a citizen would set it:

* :meth:`place` a document (A4 page or ID-1 card, seeded scene: random rotation, perspective,
  lighting, shadow, noise, JPEG compression on one of four desks, with ground-truth corners);
  the first ``settle`` frames show it still moving into place, then it lies still;
* :meth:`show_phone` a phone with a QR code on its screen;
* :meth:`clear` the desk; :meth:`stall` stops frames while the connection stays up (a hung camera).

Options (``sim://camera?…``): ``size=WxH`` (default 1920x1080), ``fps`` (15), ``scene`` =
none|a4|id1|phone at start (none), ``seed`` (0), ``desk`` (wood|dark|grey|beige, default by seed),
``settle`` (frames of motion after a placement, 6).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from drivers.camera.mjpeg import MjpegError, RequestReader, error_response, frame_part, stream_response_head
from drivers.sim.base import Simulator
from drivers.sim.camera_scene import DESKS, Scene, render_phone_scene, render_scene
from drivers.sim.registry import register

STREAM_PATHS = frozenset({"/", "/stream", "/video", "/mjpeg"})
IDLE_STOP = 5.0  # nobody read for this long: the host is gone, stop streaming
_CHUNK = 64 * 1024


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"camera simulator: size must be WIDTHxHEIGHT, not {text!r}") from None
    if not (160 <= w <= 8192 and 120 <= h <= 8192):
        raise ValueError(f"camera simulator: size {w}x{h} out of range")
    return w, h


@dataclass
class _Stage:
    scene: Scene
    settle_left: int


class CameraSimulator(Simulator):
    kind = "camera"

    def __init__(self, options: Mapping[str, str] | None = None) -> None:
        super().__init__({k: v for k, v in (options or {}).items() if k != "baud"})
        o = self.options
        self.size = _parse_size(o.get("size", "1920x1080"))
        self.fps = float(o.get("fps", "15"))
        if not 0.5 <= self.fps <= 60:
            raise ValueError("camera simulator: fps must be within 0.5..60")
        self.settle = int(o.get("settle", "6"))
        desk = o.get("desk") or None
        if desk is not None and desk not in DESKS:
            raise ValueError(f"camera simulator: desk must be one of {DESKS}")
        self._desk = desk
        self._requests = RequestReader()
        self._stream_token: object | None = None
        self._last_take = time.monotonic()
        self._stalled = False
        self._stage: _Stage
        self.frames_sent = 0
        scene, seed = o.get("scene", "none"), int(o.get("seed", "0"))
        if scene == "phone":
            self.show_phone(seed=seed)
        elif scene in ("a4", "id1"):
            self.place(scene, seed, settle=0)
        else:
            self.clear(seed)

    # -- what lies under the camera ----------------------------------------------------------
    @property
    def scene(self) -> Scene:
        """The scene being shown (ground truth: ``corners``, ``kind``, ``flags``)."""
        return self._stage.scene

    def place(self, kind: str = "a4", seed: int = 0, desk: str | None = None, settle: int | None = None) -> Scene:
        scene = render_scene(seed, self.size, kind=kind, desk=desk or self._desk)
        return self._set(scene, self.settle if settle is None else settle)

    def show_phone(self, text: str | None = None, seed: int = 0) -> Scene:
        return self._set(render_phone_scene(seed, self.size, text=text, desk=self._desk, motion_blur=(0.0, 0.0)), 0)

    def clear(self, seed: int = 0) -> Scene:
        return self._set(render_scene(seed, self.size, kind="none", desk=self._desk), 0)

    def stall(self, on: bool = True) -> None:
        """Keep the connection but send no frames (a hung camera), or resume."""
        self._stalled = on

    def _set(self, scene: Scene, settle: int) -> Scene:
        with self._lock:
            self._stage = _Stage(scene, max(0, settle))
        return scene

    def _next_jpeg(self) -> bytes:
        with self._lock:
            stage = self._stage
            left = stage.settle_left
            if left:
                stage.settle_left -= 1
        if not left:
            return stage.scene.jpeg
        # still sliding into place: shifted by a step that shrinks to nothing
        step = 0.012 * self.size[1] * left
        m = np.float32([[1, 0, step], [0, 1, -0.6 * step]])
        img = cv2.warpAffine(stage.scene.image, m, self.size, borderMode=cv2.BORDER_REPLICATE)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        return buf.tobytes()

    # -- the wire ----------------------------------------------------------------------------
    def receive(self, data: bytes) -> None:
        try:
            requests = self._requests.feed(data)
        except MjpegError:
            self._requests = RequestReader()
            self.emit(error_response(400, "Bad Request"))
            return
        for request in requests:
            if request.method != "GET":
                self.emit(error_response(405, "Method Not Allowed"))
            elif request.path.split("?", 1)[0] not in STREAM_PATHS:
                self.emit(error_response(404, "Not Found"))
            else:
                self._start_stream()

    def take_output(self, max_bytes: int, timeout: float) -> bytes:
        self._last_take = time.monotonic()
        return super().take_output(max_bytes, timeout)

    def _start_stream(self) -> None:
        token = object()
        with self._lock:
            self._stream_token = token
            self._out.clear()
            self._last_take = time.monotonic()
        self.emit(stream_response_head())
        threading.Thread(target=self._stream, args=(token,), name="sim-camera-stream", daemon=True).start()

    def _stream(self, token: object) -> None:
        period = 1.0 / self.fps
        tick = time.monotonic()
        wake = threading.Event()
        while self._stream_token is token and self.plugged_in:
            if time.monotonic() - self._last_take > IDLE_STOP:
                break
            # hold back while the host has not taken the previous frame (a server on a slow link
            # drops frames; it does not buffer them)
            if not self._stalled and self._out.pending < _CHUNK:
                part = frame_part(self._next_jpeg())
                with self._lock:  # the host may have gone while the frame was made
                    if self._stream_token is not token:
                        break
                    for i in range(0, len(part), _CHUNK):  # chunks keep the transport's reads cheap
                        self.emit(part[i:i + _CHUNK])
                    self.frames_sent += 1
            tick = max(tick + period, time.monotonic() - period)
            wake.wait(max(0.0, tick - time.monotonic()))
        with self._lock:
            if self._stream_token is token:
                self._stream_token = None

    def host_disconnected(self) -> None:
        with self._lock:
            self._stream_token = None
            self._requests = RequestReader()
            self._out.clear()

    def unplug(self) -> None:
        self.host_disconnected()
        super().unplug()


register("camera", CameraSimulator)
