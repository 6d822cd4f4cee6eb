"""Document camera (高拍仪) image pipeline: detection, corner refinement, rectification (sans-IO)."""

from drivers.camera.detect import Detection, DetectorConfig, StabilityTracker, detect_document
from drivers.camera.geometry import polygon_iou
from drivers.camera.warp import PageSize, page_size, warp_document

__all__ = [
    "Detection", "DetectorConfig", "PageSize", "StabilityTracker", "detect_document",
    "page_size", "polygon_iou", "warp_document",
]
