"""drivers.camera.cleanup: background whitening keeps red seals red (spec §4.2)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from drivers.camera.cleanup import estimate_background, whiten
from drivers.camera.warp import warp_document
from drivers.sim.camera_scene import SIZE_5MP, render_scene


@pytest.fixture(scope="module", params=[1, 2])
def sealed_page(request):
    sc = render_scene(request.param, size=SIZE_5MP, kind="a4", desk="dark", seal=True, shadow=True)
    assert sc.flags["seal"]
    return warp_document(sc.image, sc.corners, kind="a4", dpi=200)


def _seal_mask(page):
    b, g, r = (page[..., i].astype(int) for i in range(3))
    return (r - np.maximum(g, b)) > 50


MARGIN = (slice(200, 2100), slice(30, 130))  # left margin strip: paper only (text starts at 20 mm)


def test_colour_mode_keeps_seal_red_and_whitens_paper(sealed_page):
    seal = _seal_mask(sealed_page)
    assert seal.sum() > 5000
    out = whiten(sealed_page, "color")
    assert out.shape == sealed_page.shape and out.dtype == np.uint8
    hsv = cv2.cvtColor(out, cv2.COLOR_BGR2HSV)
    hue, sat = hsv[..., 0][seal], hsv[..., 1][seal]
    assert ((hue <= 10) | (hue >= 170)).mean() > 0.95  # still red
    assert np.median(sat) > 120  # still saturated
    assert out[..., 2][seal].mean() > out[..., 1][seal].mean() + 80  # R well above G
    paper_in, paper_out = sealed_page[MARGIN], out[MARGIN]
    assert paper_in.mean() < 235  # the raw page is grey (lighting, shadow)
    assert paper_out.mean() > 245 and paper_out.std() < 8


def test_gray_mode(sealed_page):
    out = whiten(sealed_page, "gray")
    assert out.ndim == 2 and out.shape == sealed_page.shape[:2]
    assert out[MARGIN].mean() > 245
    # text stays dark: the darkest percent of the page is near black
    assert np.percentile(out, 1) < 60


def test_bw_mode_is_bilevel(sealed_page):
    out = whiten(sealed_page, "bw")
    assert set(np.unique(out)) <= {0, 255}


def test_background_removes_gradient():
    yy, xx = np.mgrid[0:800, 0:600]
    page = (150 + 90 * xx / 600).astype(np.uint8)  # lighting gradient 150 -> 240
    page[300:310, 100:500] = 40  # a text line
    bg = estimate_background(page)
    assert abs(int(bg[305, 300]) - int(page[290, 300])) < 12  # ink removed from the background
    out = whiten(page, "gray")
    assert out[50:250, :].min() > 240 and out[300:310, 120:480].max() < 60


def test_bad_mode():
    with pytest.raises(ValueError):
        whiten(np.zeros((10, 10, 3), np.uint8), "sepia")
