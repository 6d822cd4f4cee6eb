from ui.corner_taps import CornerTaps


def taps(gesture: CornerTaps, times, x=20, y=20, corner=160):
    return [gesture.touch(x, y, corner, t) for t in times]


def test_five_quick_taps_in_the_corner_open_the_way():
    assert taps(CornerTaps(), [0, 0.5, 1.0, 1.5, 2.0]) == [False] * 4 + [True]


def test_slow_taps_do_not():
    g = CornerTaps()
    assert not any(taps(g, [0, 1.5, 3.0, 4.5, 6.0]))
    assert taps(g, [10, 10.2, 10.4, 10.6, 10.8]) == [False] * 4 + [True]  # five quick ones still count


def test_a_touch_elsewhere_starts_the_count_again():
    g = CornerTaps()
    taps(g, [0, 0.2, 0.4, 0.6])
    assert g.touch(500, 20, 160, 0.7) is False
    assert taps(g, [0.8]) == [False]
    assert g.touch(20, 400, 160, 0.9) is False  # below the corner


def test_the_gesture_resets_after_it_completes():
    g = CornerTaps()
    assert taps(g, [0, 0.1, 0.2, 0.3, 0.4])[-1]
    assert not taps(g, [0.5])[-1]
