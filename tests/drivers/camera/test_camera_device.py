"""DocumentCamera as the composition root builds it, on the camera simulator (MJPEG over sim://):
open, preview stability, capture against the scene's ground truth, health, stall and unplug."""

from __future__ import annotations

import dataclasses
import time
import uuid

import pytest

from drivers.camera import polygon_iou
from drivers.camera.camera import DocumentCamera, StreamState
from drivers.camera.pipeline import NoDocument
from drivers.device import DeviceState, HealthLevel, StateChanged, StatusChanged
from drivers.errors import PortClosed, TransportError
from drivers.sim import registry
from kiosk.composition import build_camera_for_source


class Rig:
    def __init__(self, stall_timeout: float | None = None) -> None:
        self.sim_id = f"camdev-{uuid.uuid4().hex[:10]}"
        self.camera: DocumentCamera = build_camera_for_source(
            f"sim://camera?id={self.sim_id}&scene=a4&seed=2", model="sim-scene")
        if stall_timeout is not None:  # a short stall window keeps the stall tests quick
            self.camera.settings = dataclasses.replace(self.camera.settings, stall_timeout=stall_timeout)
        self.events: list = []
        self.camera.set_listener(self.events.append)

    @property
    def sim(self):
        """The simulator the camera's stream reaches (created by the camera's first open)."""
        return registry.simulator_for("camera", {"id": self.sim_id})

    def next_frame(self, after: int):
        return self.camera.frame(timeout=2.0, newer_than=after)

    def fresh_frame(self):
        """A frame rendered after whatever was just changed on the desk (frames in flight skipped)."""
        seq = self.camera.frame(timeout=2.0).seq
        return self.camera.frame(timeout=2.0, newer_than=seq + 2)


@pytest.fixture
def rig():
    r = Rig()
    yield r
    r.camera.close()
    registry.forget_instances()


@pytest.fixture
def quick_stall_rig():
    r = Rig(stall_timeout=1.0)
    yield r
    r.camera.close()
    registry.forget_instances()


def _poll_until_it_raises(camera: DocumentCamera, within: float) -> Exception:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            camera.poll()
        except Exception as e:  # noqa: BLE001 - the test asserts the type
            return e
        time.sleep(0.05)
    pytest.fail(f"poll() kept succeeding for {within} s")


def test_open_streams_from_the_simulator(rig):
    camera = rig.camera
    with pytest.raises(PortClosed):
        camera.frame()  # not open yet
    assert not camera.is_open and camera.status.stream is StreamState.UNKNOWN

    camera.open()
    assert camera.is_open
    assert camera.state is DeviceState.ONLINE
    assert camera.status.stream is StreamState.FLOWING
    assert camera.info.model == "sim-scene"
    assert {"resolution:1920x1080", "mjpeg"} <= camera.info.capabilities
    assert camera.stats.snapshot()["opens"] == 1
    assert any(isinstance(e, StateChanged) and e.state is DeviceState.ONLINE for e in rig.events)
    assert any(isinstance(e, StatusChanged) and e.delta == {"stream": StreamState.FLOWING} for e in rig.events)

    first = camera.frame(timeout=2.0)
    second = rig.next_frame(first.seq)
    assert second.seq > first.seq and (second.width, second.height) == (1920, 1080)
    assert second.jpeg is not None and second.jpeg[:2] == b"\xff\xd8"  # MJPEG: kept compressed
    camera.poll()  # frames keep coming
    camera.close()
    assert camera.stats.snapshot()["frames"] >= 2


def test_preview_becomes_stable_resets_on_a_new_page_and_clears(rig):
    camera = rig.camera
    camera.open()
    analyzer = camera.preview_analyzer()
    needed = max(2, round(camera.output.stable_s * camera.output.detect_hz))
    assert needed == 4  # sim-scene profile: 0.5 s at 8 Hz

    last, results = -1, []
    for _ in range(needed + 2):
        frame = rig.next_frame(last)
        last = frame.seq
        results.append(analyzer.analyse(frame))
    assert all(r.detection.found for r in results)
    assert [r.stable for r in results] == [False] * (needed - 1) + [True] * 3
    assert polygon_iou(results[-1].detection.corners, rig.sim.scene.corners) >= 0.95
    assert results[-1].corners_on_preview() is not None

    # another page slides into place: the outline moves, stability is lost, then comes back
    rig.sim.place(kind="a4", seed=9)
    seen = []
    for _ in range(40):
        frame = rig.next_frame(last)
        last = frame.seq
        r = analyzer.analyse(frame)
        seen.append(r.stable)
        if False in seen and r.stable:
            break
    assert False in seen, "placing a new page did not reset stability"
    assert seen[-1] is True, f"stability never came back: {seen}"
    assert polygon_iou(r.detection.corners, rig.sim.scene.corners) >= 0.95  # the new page, not the old
    assert polygon_iou(r.detection.corners, results[-1].detection.corners) < 0.9

    # the desk is cleared: nothing found, never stable
    rig.sim.clear()
    frame = rig.fresh_frame()
    last = frame.seq
    after = [analyzer.analyse(frame)]
    for _ in range(3):
        frame = rig.next_frame(last)
        last = frame.seq
        after.append(analyzer.analyse(frame))
    assert not any(r.detection.found or r.stable for r in after)
    assert all(r.detection.corners is None and r.corners_on_preview() is None for r in after)


def test_capture_straightens_the_page_at_200_dpi(rig):
    camera = rig.camera
    camera.open()
    page = camera.capture()
    assert page.kind == "a4" and page.dpi == 200
    assert page.size == (1654, 2339)
    assert polygon_iou(page.corners, rig.sim.scene.corners) >= 0.97
    jpeg = page.jpeg(camera.output.jpeg_quality)
    assert jpeg[:2] == b"\xff\xd8" and int.from_bytes(jpeg[14:16], "big") == 200
    assert page.image.mean() > 150  # whitened paper
    stats = camera.stats.snapshot()
    assert (stats["captures"], stats["no_document"]) == (1, 0)

    rig.sim.clear()
    rig.fresh_frame()
    with pytest.raises(NoDocument):
        camera.capture()
    stats = camera.stats.snapshot()
    assert (stats["captures"], stats["no_document"]) == (1, 1)


def test_health_ok_while_streaming(rig):
    camera = rig.camera
    camera.open()
    result = camera.check_health(HealthLevel.INTERNAL)
    assert result.ok, result.text_en
    details = dict(result.details)
    assert (details["width"], details["height"]) == ("1920", "1080")
    assert float(details["fps"]) > 5  # the simulator sends 15 frames/s
    assert result.text_en.startswith("picture ok, 1920x1080")


def test_a_stalled_stream_is_reported_and_reopened(quick_stall_rig):
    rig = quick_stall_rig
    camera = rig.camera
    camera.open()
    errors_before = camera.stats.snapshot()["communication_errors"]
    rig.sim.stall()
    started = time.monotonic()
    error = _poll_until_it_raises(camera, within=5.0)
    assert isinstance(error, TransportError)
    assert time.monotonic() - started >= 0.8  # not before the stall window (1 s) has passed
    assert camera.status.stream is StreamState.STALLED
    assert any(isinstance(e, StatusChanged) and e.delta == {"stream": StreamState.STALLED} for e in rig.events)
    assert camera.stats.snapshot()["communication_errors"] > errors_before
    assert not camera.is_open

    result = camera.check_health(HealthLevel.INTERNAL)
    assert not result.ok and result.text_en.startswith("no picture")

    rig.sim.stall(False)
    camera.open()  # what the supervisor does next
    assert camera.state is DeviceState.ONLINE and camera.status.stream is StreamState.FLOWING
    camera.poll()


def test_unplug_and_plug_back_in(rig):
    camera = rig.camera
    camera.open()
    rig.sim.unplug()
    assert isinstance(_poll_until_it_raises(camera, within=5.0), TransportError)
    assert camera.status.stream is StreamState.STALLED

    with pytest.raises(TransportError):
        camera.open()  # the supervisor's first retry: the cable is still out
    assert not camera.is_open
    with pytest.raises(PortClosed):
        camera.frame()

    rig.sim.plug_in()
    camera.open()  # the supervisor's reopen
    assert camera.state is DeviceState.ONLINE and camera.status.stream is StreamState.FLOWING
    assert camera.stats.snapshot()["opens"] == 2
    assert camera.frame(timeout=2.0).width == 1920
    camera.poll()


def test_reprs_carry_no_pixels(rig):
    camera = rig.camera
    camera.open()
    frame = camera.frame(timeout=2.0)
    preview = camera.preview_analyzer().analyse(frame)
    page = camera.capture()
    for obj in (frame, preview, page):
        text = repr(obj)
        assert len(text) < 400, text
        assert "array" not in text and "\\x" not in text and "b'" not in text
    assert repr(frame).startswith(f"Frame(seq={frame.seq}, ") and "width=1920, height=1080" in repr(frame)
    assert "PreviewResult(" in repr(preview) and "image=" not in repr(preview)
    assert "CapturedPage(kind='a4', dpi=200" in repr(page) and "image=" not in repr(page)
