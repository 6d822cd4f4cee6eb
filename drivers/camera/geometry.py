"""Quadrilateral geometry shared by detection, tests and benchmarks."""

from __future__ import annotations

import cv2
import numpy as np


def polygon_iou(a, b) -> float:
    """Jaccard index (intersection over union) of two convex polygons, in the image frame.

    The intersection is clipped exactly (Sutherland–Hodgman against the convex hull of ``b``):
    ``cv2.intersectConvexConvex`` returns half the area for coincident edges that differ by
    rounding noise, which would score a perfect detection 0.5. Either polygon being ``None`` gives 0.
    """
    if a is None or b is None:
        return 0.0
    pa = _hull(a)
    pb = _hull(b)
    inter = _area(_clip(pa, pb))
    union = _area(pa) + _area(pb) - inter
    return float(inter / union) if union > 0 else 0.0


def _hull(points) -> np.ndarray:
    """Convex hull, counter-clockwise in a y-up sense (float64, N × 2)."""
    hull = cv2.convexHull(np.asarray(points, np.float32).reshape(-1, 1, 2)).reshape(-1, 2).astype(np.float64)
    return hull if _signed_area(hull) >= 0 else hull[::-1]


def _signed_area(p: np.ndarray) -> float:
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _area(p: np.ndarray) -> float:
    return abs(_signed_area(p))


def _clip(subject: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """Part of convex ``subject`` inside convex ``clip`` (both with positive signed area)."""
    out = subject
    for i in range(len(clip)):
        if len(out) == 0:
            break
        a, b = clip[i], clip[(i + 1) % len(clip)]
        edge = b - a
        side = edge[0] * (out[:, 1] - a[1]) - edge[1] * (out[:, 0] - a[0])  # ≥ 0: inside (left of a→b)
        kept = []
        for j in range(len(out)):
            p, q = out[j], out[(j + 1) % len(out)]
            sp, sq = side[j], side[(j + 1) % len(out)]
            if sp >= 0:
                kept.append(p)
            if (sp >= 0) != (sq >= 0):
                kept.append(p + (q - p) * (sp / (sp - sq)))
        out = np.array(kept, np.float64).reshape(-1, 2)
    return out


def document_frame_iou(detected, truth, size: tuple[float, float] = (1000.0, 1414.0)) -> float:
    """SmartDoc 2015 Jaccard index: IoU measured in the document's own frame (spec §9).

    Both quads are mapped by the homography that takes ``truth`` (TL, TR, BR, BL) to an upright
    ``size`` rectangle, which undoes perspective, so an error weighs the same wherever it lies on
    the document. ``detected`` None gives 0 (a miss).
    """
    if detected is None or truth is None:
        return 0.0
    w, h = size
    dst = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    m = cv2.getPerspectiveTransform(np.asarray(truth, np.float32).reshape(4, 2), dst)
    mapped = cv2.perspectiveTransform(np.asarray(detected, np.float32).reshape(1, 4, 2), m)[0]
    return polygon_iou(mapped, dst)
