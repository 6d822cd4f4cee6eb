"""Quadrilateral geometry shared by detection, tests and benchmarks."""

from __future__ import annotations

import cv2
import numpy as np


def polygon_iou(a, b) -> float:
    """Jaccard index (intersection over union) of two convex polygons, in the image frame.

    Uses ``cv2.intersectConvexConvex``; union = area(a) + area(b) − intersection. Either polygon
    being ``None`` gives 0.
    """
    if a is None or b is None:
        return 0.0
    pa = cv2.convexHull(np.asarray(a, np.float32).reshape(-1, 1, 2))
    pb = cv2.convexHull(np.asarray(b, np.float32).reshape(-1, 1, 2))
    inter, _ = cv2.intersectConvexConvex(pa, pb)
    union = cv2.contourArea(pa) + cv2.contourArea(pb) - inter
    return float(inter / union) if union > 0 else 0.0
