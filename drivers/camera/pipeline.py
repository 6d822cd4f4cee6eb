"""From frames to what the kiosk uses: a live preview with an outline, and a captured page.

Preview (spec §2.2): each frame is decoded at reduced scale; detection runs on it (≈640 px wide,
no full-resolution refinement) and a :class:`StabilityTracker` says when the document has stopped
moving, so the UI can capture automatically. Phone QR codes (check-in) are read on a ≈960–1300 px
decode of the same frame; printed codes are never read on preview frames (spec §5.3).

Capture (spec §3.2, §4, §5.3): the same buffer decoded at full resolution, the document found and
its corners refined there, warped to its true aspect at 200 dpi (pages) or 300 dpi (cards),
whitened, and the printed codes read on the straightened page.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from drivers.camera.codes import PAGE_FORMATS, PHONE_FORMATS, Code, read_codes
from drivers.camera.cleanup import whiten
from drivers.camera.detect import (
    Corners, Detection, DetectorConfig, StabilityTracker, detect_document, order_corners, refine_corners,
)
from drivers.camera.frames import Frame
from drivers.camera.output import encode_jpeg
from drivers.camera.warp import page_size, warp_document

QR_PREVIEW_WIDTH = 900  # phone QR: decode at the smallest reduction at least this wide (spec §5.2)


def reduction_for(width: int, min_width: int) -> int:
    """The largest JPEG reduction (1, 2, 4, 8) that keeps the frame at least ``min_width`` wide."""
    for r in (8, 4, 2):
        if width // r >= min_width:
            return r
    return 1


class NoDocument(Exception):
    """No document outline was found (the right answer when unsure); nothing was captured."""


@dataclass(frozen=True)
class PreviewResult:
    seq: int
    image: np.ndarray = field(repr=False)  # what the screen shows (reduced BGR)
    scale: float  # preview px per source px
    detection: Detection  # corners in source pixels (not refined)
    stable: bool  # the outline has not moved for the tracker's window: capture now
    codes: tuple[Code, ...] = ()

    def corners_on_preview(self) -> Corners | None:
        if self.detection.corners is None:
            return None
        return tuple((x * self.scale, y * self.scale) for x, y in self.detection.corners)


class PreviewAnalyzer:
    """One per preview session (it holds the stability window)."""

    def __init__(self, reduction: int = 4, *, stable_frames: int = 5, detector: DetectorConfig = DetectorConfig(),
                 phone_formats: frozenset[str] = PHONE_FORMATS) -> None:
        self.reduction = reduction
        self.detector = replace(detector, refine=False)  # refinement happens on the captured frame
        self.tracker = StabilityTracker(max_move_px=0.01 * detector.work_width, frames=stable_frames)
        self.phone_formats = phone_formats

    def analyse(self, frame: Frame, *, document: bool = True, codes: bool = False) -> PreviewResult:
        """Decode ``frame`` reduced; find the document outline and/or phone QR codes on it."""
        found_codes: tuple[Code, ...] = ()
        if codes:
            r = min(self.reduction, reduction_for(frame.width, QR_PREVIEW_WIDTH))
            big = frame.preview(r)
            found_codes = tuple(read_codes(big, self.phone_formats, fallback=False))
            size = (-(-frame.width // self.reduction), -(-frame.height // self.reduction))
            image = big if r == self.reduction else cv2.resize(big, size, interpolation=cv2.INTER_LINEAR)
        else:
            image = frame.preview(self.reduction)
        scale = image.shape[1] / frame.width
        detection = Detection.none()
        if document:
            small = detect_document(image, self.detector)
            if small.found and small.corners is not None:
                corners = tuple(((x + 0.5) / scale - 0.5, (y + 0.5) / scale - 0.5) for x, y in small.corners)
                detection = Detection(True, corners, small.score)
        stable = self.tracker.update(_scaled(detection, scale)) if document else False
        return PreviewResult(frame.seq, image, scale, detection, stable, found_codes)

    def reset(self) -> None:
        self.tracker.reset()


def _scaled(d: Detection, scale: float) -> Detection:
    if d.corners is None:
        return d
    return Detection(True, tuple((x * scale, y * scale) for x, y in d.corners), d.score)


@dataclass(frozen=True)
class CapturedPage:
    image: np.ndarray = field(repr=False)  # straightened and whitened page
    kind: str  # "a4" | "id1" | "free"
    dpi: int  # for "free" pages only the PDF page size, not a measured resolution
    corners: Corners  # the document in source pixels, TL, TR, BR, BL (refined)
    codes: tuple[Code, ...]
    source_seq: int

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]

    def jpeg(self, quality: int = 85) -> bytes:
        return encode_jpeg(self.image, quality, self.dpi)


def classify_kind(corners, frame_size: tuple[int, int]) -> str:
    """"a4" or "id1" from the document's size in the frame, not its aspect ratio.

    A 高拍仪 looks down from a fixed height, so size separates a page from a card reliably (an A4
    long side spans 60–93 % of the frame height, a card's 22–45 %), while the measured aspect
    ratio moves by up to ±7 % with perspective: between A4's 1.41 and ID-1's 1.59 that is not enough.
    """
    c = np.asarray(corners, np.float64).reshape(4, 2)
    long_side = max(float(np.linalg.norm(c[(i + 1) % 4] - c[i])) for i in range(4))
    return "a4" if long_side >= 0.5 * min(frame_size) else "id1"


def capture_page(frame: Frame, *, kind: str = "auto", mode: str = "color", page_dpi: int = 200, card_dpi: int = 300,
                 corners: Corners | None = None, formats: frozenset[str] | None = PAGE_FORMATS,
                 expect_1d: bool = False, detector: DetectorConfig = DetectorConfig()) -> CapturedPage:
    """Straighten and clean the document in ``frame``.

    ``kind``: "a4", "id1", "free", or "auto" (:func:`classify_kind`); pages come out at
    ``page_dpi``, cards at ``card_dpi``, "free" at the source's pixels. ``corners``: the outline in
    source pixels when the user placed it by hand (refined on the full frame like a detected one);
    otherwise it is detected. Raises :class:`NoDocument` when no outline is found. ``formats``:
    codes to read on the straightened page (None: none); ``expect_1d``: forms carry a 1D code, so
    run the slower pyzbar pass when zxing-cpp misses it (spec §5.3).
    """
    full = frame.full()
    if corners is None:
        found = detect_document(full, detector)
        if not found.found or found.corners is None:
            raise NoDocument(f"frame {frame.seq}: no document outline found")
        quad = np.asarray(found.corners, np.float64)
    else:
        quad = order_corners(np.asarray(corners, np.float64))
        quad = refine_corners(full, quad, reach=0.01 * max(frame.width, frame.height))
    if kind == "auto":
        kind = classify_kind(quad, (frame.width, frame.height))
    dpi = {"a4": page_dpi, "id1": card_dpi}.get(kind, page_dpi)
    size = page_size(quad, kind, dpi)
    page = warp_document(full, quad, size.kind, dpi)
    # printed codes are dark on light: no inverted pass; keep the 90° search (spec §5.3)
    codes = tuple(read_codes(page, formats, try_invert=False, fallback=expect_1d)) if formats else ()
    cleaned = whiten(page, mode)
    return CapturedPage(cleaned, size.kind, dpi, tuple((float(x), float(y)) for x, y in quad), codes, frame.seq)
