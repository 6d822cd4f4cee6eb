"""drivers.camera.output: JPEG, PDF page count/size, ID-card copy layout (spec §4.3)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest

from drivers.camera.output import encode_jpeg, id_card_copy, id_card_layout, make_pdf, set_jpeg_dpi

A4_200 = (2339, 1654)  # rows, cols


def _page(seed=0, shape=A4_200, color=True):
    rng = np.random.default_rng(seed)
    img = np.full(shape + ((3,) if color else ()), 250, np.uint8)
    for _ in range(30):
        y, x = int(rng.integers(0, shape[0] - 30)), int(rng.integers(0, shape[1] - 300))
        cv2.rectangle(img, (x, y), (x + 300, y + 20), (40, 40, 40) if color else 40, -1)
    return img


def test_jpeg_a4_200dpi_dimensions_and_quality():
    page = _page()
    hi, lo = encode_jpeg(page, 95), encode_jpeg(page, 50)
    assert hi[:2] == b"\xff\xd8" and len(lo) < len(hi)
    dec = cv2.imdecode(np.frombuffer(encode_jpeg(page), np.uint8), cv2.IMREAD_UNCHANGED)
    assert dec.shape == (2339, 1654, 3)
    gray = cv2.imdecode(np.frombuffer(encode_jpeg(_page(color=False)), np.uint8), cv2.IMREAD_UNCHANGED)
    assert gray.shape == (2339, 1654)
    with pytest.raises(ValueError):
        encode_jpeg(page, 0)


def _pdf_pages(pdf: bytes):
    import pikepdf  # comes with img2pdf, a runtime dependency

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return [tuple(float(v) for v in p.mediabox) for p in doc.pages]


def test_pdf_page_count_and_a4_size():
    pages = [_page(0), _page(1, color=False), encode_jpeg(_page(2))]
    pdf = make_pdf(pages, dpi=200)
    assert pdf.startswith(b"%PDF")
    boxes = _pdf_pages(pdf)
    assert len(boxes) == 3
    for x0, y0, x1, y1 in boxes:
        assert (x0, y0) == (0, 0)
        assert x1 == pytest.approx(1654 / 200 * 72, abs=0.05)  # 595.44 pt
        assert y1 == pytest.approx(2339 / 200 * 72, abs=0.05)  # 842.04 pt (A4 ≈ 595.28×841.89)


def test_pdf_embeds_jpeg_without_reencoding():
    jpg = encode_jpeg(_page(3), 85)
    assert set_jpeg_dpi(jpg, 200) in make_pdf([jpg])
    assert jpg[20:] in make_pdf([jpg])  # only the density bytes of the header change


def test_pdf_pages_at_their_own_dpi():
    card = _page(4, shape=(638, 1011))  # ID-1 at 300 dpi
    boxes = _pdf_pages(make_pdf([_page(5), card], dpi=[200, 300]))
    assert boxes[0][2:] == pytest.approx((1654 / 200 * 72, 2339 / 200 * 72), abs=0.05)
    assert boxes[1][2:] == pytest.approx((85.6 / 25.4 * 72, 54 / 25.4 * 72), abs=0.3)  # true card size
    with pytest.raises(ValueError, match="one dpi per page"):
        make_pdf([card], dpi=[200, 300])


def test_jpeg_density_bytes():
    jpg = encode_jpeg(np.full((40, 60, 3), 200, np.uint8), 85, dpi=300)
    assert jpg[2:4] == b"\xff\xe0" and jpg[6:11] == b"JFIF\x00"
    assert jpg[13:18] == b"\x01\x01\x2c\x01\x2c"  # units dpi, 300 × 300
    from PIL import Image

    assert Image.open(io.BytesIO(jpg)).info["dpi"] == (300, 300)
    bare = b"\xff\xd8\xff\xdb\x00\x02"  # no APP0: one is inserted
    assert set_jpeg_dpi(bare, 200)[:20] == b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x00\xc8\x00\xc8\x00\x00"
    with pytest.raises(ValueError):
        set_jpeg_dpi(b"PNG", 200)


def test_id_card_layout_pixels():
    lay = id_card_layout(200)
    assert (lay.page_width, lay.page_height) == (1654, 2339)
    for r in (lay.front, lay.back):
        assert (r.width, r.height) == (674, 425)  # 85.6×54 mm at 200 dpi
        assert r.x == (1654 - 674) // 2  # centred horizontally
    gap = lay.back.y - (lay.front.y + lay.front.height)
    assert gap == 157  # 20 mm
    top, bottom = lay.front.y, 2339 - (lay.back.y + lay.back.height)
    assert abs(top - bottom) <= 1  # the pair is centred vertically


def test_id_card_copy_places_cards():
    front = np.zeros((638, 1011, 3), np.uint8)
    front[:] = (0, 0, 200)  # red
    back = np.zeros((1011, 638, 3), np.uint8)  # portrait: rotated to landscape
    back[:] = (200, 0, 0)  # blue
    page = id_card_copy(front, back)
    lay = id_card_layout(200)
    assert page.shape == (2339, 1654, 3)
    f, b = lay.front, lay.back
    assert (page[f.y:f.y + f.height, f.x:f.x + f.width] == (0, 0, 200)).all()
    assert (page[b.y:b.y + b.height, b.x:b.x + b.width] == (200, 0, 0)).all()
    # everything else is white
    mask = np.ones(page.shape[:2], bool)
    mask[f.y:f.y + f.height, f.x:f.x + f.width] = False
    mask[b.y:b.y + b.height, b.x:b.x + b.width] = False
    assert (page[mask] == 255).all()
    # bounding boxes of non-white pixels match the layout exactly
    ys, xs = np.nonzero((page != 255).any(axis=2))
    assert (xs.min(), xs.max() + 1) == (f.x, f.x + f.width)
    assert (ys.min(), ys.max() + 1) == (f.y, b.y + b.height)
