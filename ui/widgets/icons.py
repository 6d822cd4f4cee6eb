"""Simple line icons for the journey tiles, drawn with canvas lines (no image files to ship).

Each icon is a list of strokes in a unit box (0..1, origin bottom left); `JourneyIcon` scales them
into a soft rounded square. Decoration only: the tile's words carry the meaning.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

import math

from kivy.graphics import Color, Line, RoundedRectangle
from kivy.metrics import dp
from kivy.properties import ColorProperty, StringProperty
from kivy.uix.widget import Widget

from ui import theme as T

Stroke = list[tuple[float, float]]


def _rect(x0: float, y0: float, x1: float, y1: float) -> Stroke:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]


def _circle(cx: float, cy: float, r: float, steps: int = 28) -> Stroke:
    return [(cx + r * math.cos(2 * math.pi * i / steps), cy + r * math.sin(2 * math.pi * i / steps)) for i in range(steps + 1)]


ICONS: dict[str, list[Stroke]] = {
    # a queue ticket: the stub, a perforation, two lines of print
    "take_number": [
        _rect(0.08, 0.24, 0.92, 0.76),
        [(0.34, 0.30), (0.34, 0.38)],
        [(0.34, 0.46), (0.34, 0.54)],
        [(0.34, 0.62), (0.34, 0.70)],
        [(0.46, 0.58), (0.82, 0.58)],
        [(0.46, 0.42), (0.72, 0.42)],
    ],
    # a calendar with a tick
    "check_in": [
        _rect(0.14, 0.10, 0.86, 0.80),
        [(0.14, 0.62), (0.86, 0.62)],
        [(0.34, 0.72), (0.34, 0.90)],
        [(0.66, 0.72), (0.66, 0.90)],
        [(0.34, 0.36), (0.46, 0.24), (0.68, 0.48)],
    ],
    # a document with an upward arrow
    "self_submit": [
        [(0.22, 0.08), (0.22, 0.92), (0.60, 0.92), (0.80, 0.72), (0.80, 0.08), (0.22, 0.08)],
        [(0.60, 0.92), (0.60, 0.72), (0.80, 0.72)],
        [(0.51, 0.20), (0.51, 0.58)],
        [(0.38, 0.45), (0.51, 0.58), (0.64, 0.45)],
    ],
    # a certificate with a seal and ribbons
    "pickup": [
        _rect(0.08, 0.30, 0.92, 0.86),
        [(0.20, 0.72), (0.80, 0.72)],
        [(0.20, 0.58), (0.50, 0.58)],
        _circle(0.70, 0.40, 0.11),
        [(0.64, 0.31), (0.60, 0.10), (0.67, 0.15), (0.70, 0.08)],
        [(0.76, 0.31), (0.80, 0.10), (0.73, 0.15), (0.70, 0.08)],
    ],
}


class JourneyIcon(Widget):
    kind = StringProperty("")
    colour = ColorProperty(T.ACCENT)
    fill = ColorProperty(T.ACCENT_SOFT)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, kind=self._draw, colour=self._draw, fill=self._draw)
        self._draw()

    def _draw(self, *_args) -> None:
        self.canvas.clear()
        side = min(self.width, self.height)
        if side <= 0 or self.kind not in ICONS:
            return
        x0, y0 = self.x, self.y + (self.height - side) / 2
        inset = side * 0.2
        box = side - 2 * inset
        with self.canvas:
            Color(rgba=self.fill)
            RoundedRectangle(pos=(x0, y0), size=(side, side), radius=[side * 0.22])
            Color(rgba=self.colour)
            for stroke in ICONS[self.kind]:
                points = [c for x, y in stroke for c in (x0 + inset + x * box, y0 + inset + y * box)]
                Line(points=points, width=max(dp(2), side * 0.028), cap="round", joint="round")
