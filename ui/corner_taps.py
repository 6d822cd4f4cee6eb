"""The hidden way into 维护模式: five taps in the top-left corner of the screen within four seconds.

Hidden, so a citizen does not find it by accident, and harmless if one does (a PIN follows).
The corner is the hall name on every screen: no button lies under it, and the taps are not
consumed, so nothing on screen behaves differently. No Kivy import: the app feeds it touches.
"""

from __future__ import annotations

from collections import deque

TAPS = 5
WITHIN_S = 4.0
CORNER_DP = 160  # the square, from the top-left corner, that counts


class CornerTaps:
    def __init__(self, taps: int = TAPS, within_s: float = WITHIN_S) -> None:
        self.taps = taps
        self.within_s = within_s
        self._times: deque[float] = deque(maxlen=taps)

    def touch(self, x: float, y_from_top: float, corner: float, now: float) -> bool:
        """A touch at (x, y measured from the top); True when it completes the gesture. A touch
        outside the corner starts the count again."""
        if x > corner or y_from_top > corner:
            self._times.clear()
            return False
        self._times.append(now)
        if len(self._times) == self.taps and now - self._times[0] <= self.within_s:
            self._times.clear()
            return True
        return False
