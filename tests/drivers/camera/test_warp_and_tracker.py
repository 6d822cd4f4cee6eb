"""Warp output sizes, corner ordering, polygon IoU, the stability tracker and the scene generator."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.camera import Detection, StabilityTracker, detect_document, page_size, polygon_iou, warp_document
from drivers.camera.detect import order_corners
from drivers.sim.camera_scene import SIZE_1080P, render_scene

PORTRAIT = ((100.0, 50.0), (500.0, 60.0), (490.0, 620.0), (95.0, 610.0))  # ~ A4 shape, TL TR BR BL
LANDSCAPE = ((50.0, 100.0), (650.0, 110.0), (640.0, 480.0), (55.0, 470.0))  # ~ ID-1 shape


@pytest.mark.parametrize("corners,kind,expected", [
    (PORTRAIT, "a4", (1654, 2339)),
    (LANDSCAPE, "a4", (2339, 1654)),
    (LANDSCAPE, "id1", (1011, 638)),
    (PORTRAIT, "id1", (638, 1011)),
    (PORTRAIT, "auto", (1654, 2339)),  # aspect 1.40 → A4
    (LANDSCAPE, "auto", (1011, 638)),  # aspect 1.61 → ID-1
])
def test_warp_output_sizes(corners, kind, expected):
    image = np.zeros((700, 700, 3), np.uint8)
    assert (page_size(corners, kind).width, page_size(corners, kind).height) == expected
    out = warp_document(image, corners, kind)
    assert out.shape == (expected[1], expected[0], 3)


def test_warp_free_and_dpi():
    assert page_size(PORTRAIT, "free").width == round((400.1 + 395.1) / 2)
    assert (page_size(PORTRAIT, "a4", dpi=150).width, page_size(PORTRAIT, "a4", dpi=150).height) == (1240, 1754)
    with pytest.raises(ValueError, match="unknown kind"):
        page_size(PORTRAIT, "letter")


def test_warp_of_a_detected_page_is_upright_paper():
    scene = render_scene(0, SIZE_1080P, kind="a4", desk="dark", shadow=False)
    det = detect_document(scene.image)
    page = warp_document(scene.image, det.corners, "a4")
    assert page.shape[:2] in ((2339, 1654), (1654, 2339))
    # the border strip is paper, not desk: the rectified page contains no desk
    assert page[:20].mean() > 120 and page[-20:].mean() > 120


def test_order_corners_from_any_start():
    pts = np.array(PORTRAIT)
    for shift in range(4):
        assert np.allclose(order_corners(np.roll(pts, shift, axis=0)), pts)
        assert np.allclose(order_corners(np.roll(pts, shift, axis=0)[::-1]), pts)


def test_polygon_iou():
    sq = ((0, 0), (10, 0), (10, 10), (0, 10))
    assert polygon_iou(sq, sq) == pytest.approx(1.0)
    assert polygon_iou(sq, ((5, 0), (15, 0), (15, 10), (5, 10))) == pytest.approx(1 / 3)
    assert polygon_iou(sq, None) == 0.0


def test_polygon_iou_coincident_edges_with_rounding_noise():
    # cv2.intersectConvexConvex gives 0.5 here (edges equal up to 1e-13): a perfect detection
    a = ((3.4e-13, -1.7e-13), (1000.0, -6e-13), (1000.0, 1414.0), (-1.7e-13, 1414.0))
    b = ((0.0, 0.0), (1000.0, 0.0), (1000.0, 1414.0), (0.0, 1414.0))
    assert polygon_iou(a, b) == pytest.approx(1.0, abs=1e-9)


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=3, max_size=8),
       st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=3, max_size=8))
def test_polygon_iou_properties(a, b):
    ab, ba = polygon_iou(a, b), polygon_iou(b, a)
    assert 0.0 <= ab <= 1.0 + 1e-9
    assert ab == pytest.approx(ba, abs=1e-6)


def test_document_frame_iou_undoes_perspective():
    from drivers.camera.geometry import document_frame_iou

    # a strongly foreshortened page: the far (top) side is half as long as the near one
    truth = ((300.0, 100.0), (500.0, 100.0), (600.0, 500.0), (200.0, 500.0))
    assert document_frame_iou(truth, truth) == pytest.approx(1.0, abs=1e-6)
    assert document_frame_iou(None, truth) == 0.0
    # the same 10 px error on the far side covers more of the page than on the near side: the
    # document frame scores it worse, while the image frame (a smaller area there) scores it better
    far = ((300.0, 110.0), (500.0, 110.0), (600.0, 500.0), (200.0, 500.0))
    near = ((300.0, 100.0), (500.0, 100.0), (600.0, 490.0), (200.0, 490.0))
    assert document_frame_iou(far, truth) < document_frame_iou(near, truth) - 0.005
    assert polygon_iou(far, truth) > polygon_iou(near, truth)


def _det(dx=0.0):
    return Detection(True, tuple((x + dx, y) for x, y in PORTRAIT), 0.9)


def test_stability_tracker():
    t = StabilityTracker(max_move_px=5.0, frames=3)
    assert not t.update(_det(0)) and not t.update(_det(1))
    assert t.update(_det(2))  # 3 frames, spread 2 px
    assert not t.update(_det(8))  # jumped: spread over the window 7 px
    assert not t.update(_det(8)) and t.update(_det(9))  # window now 8, 8, 9
    assert not t.update(Detection.none())  # a miss resets
    assert not t.update(_det(9)) and not t.update(_det(9)) and t.update(_det(9))
    t.reset()
    assert not t.stable
    with pytest.raises(ValueError):
        StabilityTracker(frames=1)


def test_scene_is_deterministic_and_ground_truth_matches_the_page():
    a = render_scene(5, SIZE_1080P, kind="a4", desk="dark")
    b = render_scene(5, SIZE_1080P, kind="a4", desk="dark")
    assert np.array_equal(a.image, b.image) and a.corners == b.corners
    h, w = a.image.shape[:2]
    xs, ys = zip(*a.corners)
    assert min(xs) >= 0 and min(ys) >= 0 and max(xs) < w and max(ys) < h  # fully inside
    # just inside each ground-truth corner is paper (bright), just outside is the dark desk
    c = np.array(a.corners)
    centre = c.mean(0)
    gray = a.image.mean(2)
    for p in c:
        inside = p + (centre - p) * 0.03
        outside = p - (centre - p) * 0.03
        assert gray[int(inside[1]), int(inside[0])] > gray[int(outside[1]), int(outside[0])] + 60
    assert render_scene(5, SIZE_1080P, kind="none").corners is None
