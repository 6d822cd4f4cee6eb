"""Phone QR codes through the document camera, for a journey screen: one thread reads preview
frames (reduced decode, phone-QR formats only) until a code is seen or the scan is stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from drivers.errors import TransportError

log = logging.getLogger(__name__)


class QrScanner:
    def __init__(self, camera: Any, period_s: float = 0.12) -> None:
        self._camera = camera  # drivers.camera.camera.DocumentCamera
        self._period = period_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_code: Callable[[str], None]) -> None:
        """``on_code(text)`` once, from the scanner's thread, for the first code seen."""
        analyzer = self._camera.preview_analyzer()

        def run() -> None:
            last = -1
            while not self._stop.is_set():
                try:
                    frame = self._camera.frame(timeout=1.0, newer_than=last)
                    last = frame.seq
                    codes = analyzer.analyse(frame, document=False, codes=True).codes
                except (TransportError, ValueError):  # no picture for now: keep trying quietly
                    self._stop.wait(0.5)
                    continue
                if codes:
                    self._stop.set()
                    on_code(codes[0].text)
                    return
                self._stop.wait(self._period)

        self._thread = threading.Thread(target=run, name="qr-scan", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)
