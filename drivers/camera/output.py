"""Page output: JPEG bytes, multi-page PDF, ID-card copy (document-camera spec §4.3).

* :func:`encode_jpeg`: ``cv2.imencode`` JPEG (q85 default), colour or gray.
* :func:`make_pdf`: one page per image, each page's JPEG embedded **without re-encoding** by
  ``img2pdf`` at its dpi (page size in points = pixels / dpi × 72; A4 at 200 dpi, 1654×2339 px,
  is 595.44×842.04 pt).
* :func:`id_card_copy`: 身份证复印件: front above back, each at true size (85.6×54 mm), on one
  white A4 page at 200 dpi, centred horizontally; the pair is centred vertically with ``gap_mm``
  between the cards.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MM_PER_INCH = 25.4
A4_MM = (210.0, 297.0)
ID1_MM = (85.6, 54.0)


def mm_to_px(mm: float, dpi: int) -> int:
    return int(round(mm / MM_PER_INCH * dpi))


def encode_jpeg(page: np.ndarray, quality: int = 85, dpi: int | None = None) -> bytes:
    """JPEG bytes of a BGR or gray uint8 image; with ``dpi``, the JFIF header says so."""
    if not 1 <= quality <= 100:
        raise ValueError("encode_jpeg: quality must be in 1..100")
    ok, buf = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("encode_jpeg: cv2.imencode failed")
    data = buf.tobytes()
    return data if dpi is None else set_jpeg_dpi(data, dpi)


def set_jpeg_dpi(jpeg: bytes, dpi: int) -> bytes:
    """The JPEG with its JFIF density set to ``dpi`` dots per inch (so viewers, printers and
    img2pdf size the page right). The APP0 JFIF segment libjpeg writes first is patched in place;
    a JPEG without one gets it inserted after SOI."""
    if not 1 <= dpi <= 65535:
        raise ValueError("set_jpeg_dpi: dpi must be in 1..65535")
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("set_jpeg_dpi: not a JPEG")
    density = bytes([1]) + dpi.to_bytes(2, "big") * 2  # units = dots per inch, X, Y
    if jpeg[2:4] == b"\xff\xe0" and jpeg[6:11] == b"JFIF\x00" and len(jpeg) >= 18:
        return jpeg[:13] + density + jpeg[18:]
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01" + density + b"\x00\x00"
    return jpeg[:2] + app0 + jpeg[2:]


def make_pdf(pages, dpi: int | list[int] | tuple[int, ...] = 200, quality: int = 85) -> bytes:
    """PDF bytes with one page per item of ``pages`` (numpy images or JPEG bytes).

    ``dpi``: one resolution for every page, or one per page (cards at 300, pages at 200). Page
    size in points = pixels / dpi × 72. img2pdf embeds the JPEGs as they are (no second lossy
    encoding; only the JFIF density bytes are set).
    """
    import img2pdf

    pages = list(pages)
    if not pages:
        raise ValueError("make_pdf: no pages")
    dpis = [dpi] * len(pages) if isinstance(dpi, int) else list(dpi)
    if len(dpis) != len(pages):
        raise ValueError("make_pdf: one dpi per page")
    jpegs = [set_jpeg_dpi(bytes(p) if isinstance(p, (bytes, bytearray)) else encode_jpeg(p, quality), d)
             for p, d in zip(pages, dpis)]
    return img2pdf.convert(jpegs)


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class IdCopyLayout:
    page_width: int
    page_height: int
    front: Rect
    back: Rect


def id_card_layout(dpi: int = 200, gap_mm: float = 20.0) -> IdCopyLayout:
    """Pixel layout of :func:`id_card_copy`: A4 portrait page, two landscape cards."""
    pw, ph = mm_to_px(A4_MM[0], dpi), mm_to_px(A4_MM[1], dpi)
    cw, ch = mm_to_px(ID1_MM[0], dpi), mm_to_px(ID1_MM[1], dpi)
    gap = mm_to_px(gap_mm, dpi)
    x = (pw - cw) // 2
    y0 = (ph - (2 * ch + gap)) // 2
    return IdCopyLayout(pw, ph, Rect(x, y0, cw, ch), Rect(x, y0 + ch + gap, cw, ch))


def _fit_card(card: np.ndarray, rect: Rect) -> np.ndarray:
    if card.ndim == 2:
        card = cv2.cvtColor(card, cv2.COLOR_GRAY2BGR)
    if card.shape[0] > card.shape[1]:  # portrait card image: turn it landscape
        card = cv2.rotate(card, cv2.ROTATE_90_CLOCKWISE)
    interp = cv2.INTER_AREA if card.shape[1] > rect.width else cv2.INTER_LINEAR
    return cv2.resize(card, (rect.width, rect.height), interpolation=interp)


def id_card_copy(front: np.ndarray, back: np.ndarray, dpi: int = 200, gap_mm: float = 20.0) -> np.ndarray:
    """身份证复印件: BGR A4 page (1654×2339 at 200 dpi), front above back, both at true size."""
    lay = id_card_layout(dpi, gap_mm)
    page = np.full((lay.page_height, lay.page_width, 3), 255, np.uint8)
    for img, r in ((front, lay.front), (back, lay.back)):
        page[r.y:r.y + r.height, r.x:r.x + r.width] = _fit_card(img, r)
    return page
