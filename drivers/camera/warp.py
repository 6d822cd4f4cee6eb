"""Perspective rectification of a detected document (document-camera spec §4.1).

The output aspect ratio comes from the document type (A4 210:297, ID-1 85.6:54), not from the
measured quad, whose side lengths perspective distorts; portrait or landscape comes from the quad.
``kind="auto"`` picks the known type whose aspect is nearest the quad's; ``kind="free"`` keeps the
quad's own measured size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MM_PER_INCH = 25.4
KNOWN_MM = {"a4": (210.0, 297.0), "id1": (85.6, 54.0)}  # (width, height) as usually written
DEFAULT_DPI = {"a4": 200, "id1": 300}


@dataclass(frozen=True)
class PageSize:
    width: int
    height: int
    kind: str  # "a4" | "id1" | "free"


def _quad_sides(corners: np.ndarray) -> tuple[float, float]:
    """Mean horizontal (TL-TR, BL-BR) and vertical (TL-BL, TR-BR) side lengths."""
    tl, tr, br, bl = corners
    horiz = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    vert = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(horiz), float(vert)


def page_size(corners, kind: str = "auto", dpi: int | None = None) -> PageSize:
    """Output size in pixels for a quad (TL, TR, BR, BL) of the given document kind."""
    c = np.asarray(corners, np.float64).reshape(4, 2)
    horiz, vert = _quad_sides(c)
    if horiz <= 0 or vert <= 0:
        raise ValueError("page_size: degenerate quad (a side has zero length)")
    if kind == "auto":
        ratio = max(horiz, vert) / min(horiz, vert)
        kind = min(KNOWN_MM, key=lambda k: abs(max(KNOWN_MM[k]) / min(KNOWN_MM[k]) - ratio))
    if kind == "free":
        return PageSize(max(1, round(horiz)), max(1, round(vert)), "free")
    if kind not in KNOWN_MM:
        raise ValueError(f"page_size: unknown kind {kind!r}; use 'a4', 'id1', 'auto' or 'free'")
    dpi = DEFAULT_DPI[kind] if dpi is None else dpi
    short_mm, long_mm = sorted(KNOWN_MM[kind])
    short_px = round(short_mm / MM_PER_INCH * dpi)
    long_px = round(long_mm / MM_PER_INCH * dpi)
    if horiz >= vert:
        return PageSize(long_px, short_px, kind)
    return PageSize(short_px, long_px, kind)


def warp_document(image: np.ndarray, corners, kind: str = "auto", dpi: int | None = None) -> np.ndarray:
    """Rectify the quad (TL, TR, BR, BL, full-res pixels) of ``image`` to an upright page.

    A4 at 200 dpi is 1654×2339 (portrait) or 2339×1654; ID-1 at 300 dpi is 1011×638 or 638×1011.
    """
    size = page_size(corners, kind, dpi)
    src = np.asarray(corners, np.float32).reshape(4, 2)
    w, h = size.width, size.height
    dst = np.float32([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
