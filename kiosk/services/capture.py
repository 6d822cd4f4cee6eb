"""Material capture for a journey screen: live preview with the detected outline, auto-capture
when the document lies still, and a manual shutter.

One thread reads preview frames (reduced decode) and hands each :class:`PreviewResult` to the
screen. When the outline has been steady for the camera's stability window, the page is captured
at full resolution once; the next auto-capture waits until that page has been taken away or
turned over (the outline gone or moved), so one page lying there is not captured twice. The
manual shutter captures what lies there now, whether or not it has settled. Callbacks run on the
capture thread: a UI hands them over to its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from drivers.camera.pipeline import CapturedPage, NoDocument, PreviewResult
from drivers.errors import TransportError

log = logging.getLogger(__name__)

MOVED = 0.08  # an outline that moved by this much of the preview's width is another placement


class CaptureSession:
    def __init__(self, camera: Any, period_s: float = 0.1) -> None:
        self._camera = camera  # drivers.camera.camera.DocumentCamera
        self._period = period_s
        self._stop = threading.Event()
        self._shutter = threading.Event()
        self._thread: threading.Thread | None = None
        self._armed = True
        self._last_capture: np.ndarray | None = None  # preview corners of the page last captured

    def start(self, on_preview: Callable[[PreviewResult], None], on_page: Callable[[CapturedPage], None],
              on_problem: Callable[[str, str], None], armed: bool = True) -> None:
        """``armed=False``: no auto-capture until what lies there now is taken away or moved."""
        self._armed = armed
        self._last_capture = None
        analyzer = self._camera.preview_analyzer()

        def run() -> None:
            last, trouble = -1, False
            while not self._stop.is_set():
                try:
                    frame = self._camera.frame(timeout=1.0, newer_than=last)
                    last = frame.seq
                    preview = analyzer.analyse(frame, document=True)
                except (TransportError, ValueError):
                    if not trouble:
                        trouble = True
                        on_problem("高拍仪暂时没有画面，请稍候", "The document camera shows no picture yet; please wait")
                    self._stop.wait(0.5)
                    continue
                trouble = False
                on_preview(preview)
                self._rearm(preview)
                if self._shutter.is_set() or (self._armed and preview.stable):
                    self._shutter.clear()
                    self._take(preview, on_page, on_problem)
                self._stop.wait(self._period)

        self._thread = threading.Thread(target=run, name="capture", daemon=True)
        self._thread.start()

    def shutter(self) -> None:
        """Capture now (the 拍照 button)."""
        self._shutter.set()

    def _rearm(self, preview: PreviewResult) -> None:
        corners = preview.corners_on_preview()
        if corners is None:
            self._armed = True  # the page was taken away
        elif self._last_capture is None:
            self._last_capture = np.asarray(corners)  # started disarmed: what lies there now
        else:
            moved = float(np.abs(np.asarray(corners) - self._last_capture).max()) / preview.image.shape[1]
            if moved > MOVED:
                self._armed = True  # another page, or the same turned over

    def _take(self, preview: PreviewResult, on_page, on_problem) -> None:
        try:
            # the outline the person saw, refined on the full frame (none seen: detect on it)
            page = self._camera.capture(corners=preview.detection.corners)
        except NoDocument:
            on_problem("没有找到材料的边缘，请把材料平放在台面中间", "No document edge found; lay it flat in the middle")
            return
        except (TransportError, ValueError):
            on_problem("拍摄未成功，请再试一次", "The capture did not work; please try again")
            return
        seen = preview.corners_on_preview()
        self._last_capture = None if seen is None else np.asarray(seen)
        self._armed = False
        on_page(page)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(3.0)

