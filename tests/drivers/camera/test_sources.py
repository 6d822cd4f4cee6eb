"""drivers.camera.sources: every kind of frame source through its real code path, and the camera
simulator behind sim:// and behind a real TCP socket (spec §2.1: one-slot latest frame, a slow
consumer never builds a backlog, a stalled or vanished camera is reported, never waited on)."""

from __future__ import annotations

import itertools
import os
import threading
import time

import cv2
import numpy as np
import pytest

from drivers.camera import detect_document, polygon_iou
from drivers.camera.frames import Frame, FrameError
from drivers.camera.sources import (
    CaptureSettings,
    FolderSource,
    SourceKind,
    StillSource,
    StreamSource,
    UvcSource,
    VideoFileSource,
    open_source,
    parse_source,
)
from drivers.errors import BadPortUrl, PortClosed, PortNotFound, PortTimeout, ProtocolError, TransportError
from drivers.sim import registry
from drivers.sim.camera import CameraSimulator
from drivers.sim.serve import TcpServer
from tests.support import wait_for

FAST = CaptureSettings(fps=20, stall_timeout=1.5)
_ids = itertools.count()


@pytest.fixture(autouse=True)
def _fresh_simulators():
    yield
    registry.forget_instances()


@pytest.fixture
def opened():
    """open_source(spec, settings) for the test; every source it opened is closed afterwards."""
    sources = []

    def _open(spec, settings=FAST):
        source = open_source(spec, settings)
        sources.append(source)
        return source

    yield _open
    for source in sources:
        source.close()


def _sim_url(**options) -> tuple[str, str]:
    sim_id = f"sources-{os.getpid()}-{next(_ids)}"
    query = "&".join(f"{k}={v}" for k, v in {"id": sim_id, **options}.items())
    return f"sim://camera?{query}", sim_id


def _sim(sim_id: str) -> CameraSimulator:
    sim = registry.simulator_for("camera", {"id": sim_id})
    assert isinstance(sim, CameraSimulator)
    return sim


def _frames(source, n, timeout=3.0):
    """The next ``n`` frames, each newer than the one before."""
    out, last = [], -1
    for _ in range(n):
        out.append(source.latest(timeout, newer_than=last))
        last = out[-1].seq
    return out


def _frame_where(source, predicate, timeout=5.0):
    """The first new frame for which ``predicate(frame)`` holds (frames in flight are skipped)."""
    deadline, last = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        frame = source.latest(max(0.05, deadline - time.monotonic()), newer_than=last)
        if predicate(frame):
            return frame
        last = frame.seq
    raise AssertionError("no frame matched within the timeout")


def _found(frame) -> bool:
    return detect_document(frame.full()).found


def _write_jpeg(path, w, h, value=128, color=True):
    img = np.full((h, w, 3) if color else (h, w), value, np.uint8)
    cv2.rectangle(img, (w // 4, h // 4), (w // 2, h // 2), 255 - value, -1)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    path.write_bytes(buf.tobytes())
    return buf.tobytes()


def _camera_threads(url):
    return [t for t in threading.enumerate() if t.name == f"camera:{url}" and t.is_alive()]


# -- classification -----------------------------------------------------------------------------------


def test_parse_source_kinds(tmp_path):
    photo = tmp_path / "page.jpg"
    _write_jpeg(photo, 32, 24)
    (tmp_path / "shots").mkdir()
    (tmp_path / "odd.png").mkdir()  # a folder whose name looks like an image is still a folder
    cases = {
        "uvc://0": SourceKind.UVC, "/dev/video0": SourceKind.UVC, "/dev/v4l/by-id/usb-cam-video-index0": SourceKind.UVC,
        "/dev/kiosk/camera": SourceKind.UVC, "sim://camera": SourceKind.STREAM,
        "sim://camera?id=x&scene=a4": SourceKind.STREAM, "tcp://h:1": SourceKind.STREAM,
        "http://h/stream": SourceKind.STREAM, "http://10.0.0.7:8080/?action=stream": SourceKind.STREAM,
        str(photo): SourceKind.STILL, str(tmp_path / "missing.PNG"): SourceKind.STILL,
        str(tmp_path / "shots"): SourceKind.FOLDER, str(tmp_path / "odd.png"): SourceKind.FOLDER,
        str(tmp_path / "clip.avi"): SourceKind.VIDEO, "/data/CLIP.MP4": SourceKind.VIDEO,
        f"  {photo}  ": SourceKind.STILL,
    }
    for spec, kind in cases.items():
        parsed = parse_source(spec)
        assert parsed.kind is kind, spec
        assert parsed.raw == spec.strip()


@pytest.mark.parametrize("spec,message", [
    ("", "empty camera source"),
    ("   ", "empty camera source"),
    (None, "empty camera source"),
    ("ftp://x", "unknown scheme 'ftp'; use a /dev path, tcp://, usb://, sim://, http://, uvc://"),
    ("notes.txt", "expected uvc://N, /dev/video…, sim://camera, tcp://, http://"),
    ("usb://0416:5011", "a camera is uvc://N"),
    ("socket://h:1", "a camera is uvc://N"),
    ("uvc://front", "expected uvc://INDEX"),
    ("tcp://h", "expected tcp://HOST:PORT"),
])
def test_parse_source_rejects(spec, message):
    with pytest.raises(BadPortUrl) as info:
        parse_source(spec)
    assert message in str(info.value)
    if spec and spec.strip():
        assert str(info.value).startswith(spec)  # the message names the spec it refuses
    with pytest.raises(BadPortUrl):
        open_source(spec)


# -- frames -----------------------------------------------------------------------------------------------


def test_frame_repr_has_no_image_bytes():
    ok, buf = cv2.imencode(".jpg", np.full((101, 203, 3), 200, np.uint8))
    frame = Frame.from_jpeg(buf.tobytes(), 7, 12.5)
    text = repr(frame)
    assert "width=203" in text and "height=101" in text and "seq=7" in text
    assert "\\xff\\xd8" not in text and "jpeg" not in text and len(text) < 120
    frame = Frame.from_image(np.full((10, 20, 3), 7, np.uint8), 1, 0.0)
    assert "array" not in repr(frame) and "image" not in repr(frame)
    for img in (np.full((10, 20), 7, np.uint8), np.full((10, 20, 4), 7, np.uint8)):  # gray, BGRA → BGR
        frame = Frame.from_image(img, 2, 0.0)
        assert frame.full().shape == (10, 20, 3) and (frame.width, frame.height) == (20, 10)
    with pytest.raises(FrameError, match="frame 9: not a JPEG"):
        Frame.from_jpeg(b"GIF89a", 9, 0.0)


# -- still image ----------------------------------------------------------------------------------------


def test_still_jpeg_keeps_the_compressed_bytes(tmp_path, opened):
    path = tmp_path / "page.jpg"
    data = _write_jpeg(path, 203, 101)
    source = opened(str(path))
    assert isinstance(source, StillSource) and source.kind is SourceKind.STILL
    frames = _frames(source, 3)
    assert [f.seq for f in frames] == sorted({f.seq for f in frames})
    for frame in frames:
        assert frame.jpeg == data and frame.image is None
        assert (frame.width, frame.height) == (203, 101)
    frame = frames[-1]
    assert frame.preview(4).shape == (26, 51, 3)  # ceil(101/4) × ceil(203/4), a reduced decode
    assert frame.preview(2).shape == (51, 102, 3)
    assert frame.preview(8).shape == (13, 26, 3)
    full = frame.full()
    assert full.shape == (101, 203, 3)
    assert abs(int(full[10, 10, 0]) - 128) < 8 and abs(int(full[40, 70, 0]) - 127) < 8
    with pytest.raises(ValueError, match="1, 2, 4 or 8"):
        frame.preview(3)


@pytest.mark.parametrize("channels", [3, 1, 4])
def test_still_png_is_decoded_once(tmp_path, opened, channels):
    img = np.zeros((101, 203, channels) if channels > 1 else (101, 203), np.uint8)
    img[:, 100:] = 255
    path = tmp_path / "page.png"
    assert cv2.imwrite(str(path), img)
    source = opened(str(path))
    frame = source.latest(3.0)
    assert frame.jpeg is None and frame.image is not None
    assert (frame.width, frame.height) == (203, 101)
    assert frame.full().shape == (101, 203, 3)  # always BGR
    assert frame.preview(4).shape == (26, 51, 3)
    assert frame.full()[50, 10].tolist() == [0, 0, 0] and frame.full()[50, 150].tolist() == [255, 255, 255]


def test_still_rate_follows_the_settings(tmp_path, opened):
    path = tmp_path / "page.jpg"
    _write_jpeg(path, 40, 30)
    source = opened(str(path), CaptureSettings(fps=20))
    first = source.latest(3.0)
    time.sleep(0.5)
    later = source.latest(3.0, newer_than=first.seq)
    assert 3 <= later.seq - first.seq <= 13  # about 10 frames in half a second at 20 fps, never more


def test_still_missing_file(tmp_path):
    with pytest.raises(PortNotFound, match="no such image file") as info:
        open_source(str(tmp_path / "gone.jpg"))
    assert "gone.jpg" in str(info.value)


@pytest.mark.parametrize("content", [
    b"this is not a picture at all",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",  # SOI, APP0, no SOF
    b"\xff\xd8\xff",
])
def test_still_corrupt_jpeg_fails_at_open_not_on_the_thread(tmp_path, content):
    path = tmp_path / "broken.jpg"
    path.write_bytes(content)
    with pytest.raises(BadPortUrl) as info:
        open_source(str(path))
    assert "broken.jpg" in str(info.value)
    assert not _camera_threads(str(path))


# -- folder ---------------------------------------------------------------------------------------------


def test_folder_cycles_sorted_images_with_hold(tmp_path, opened):
    _write_jpeg(tmp_path / "1-first.jpg", 64, 48)
    assert cv2.imwrite(str(tmp_path / "2-second.png"), np.full((60, 80, 3), 30, np.uint8))
    (tmp_path / "0-notes.txt").write_text("not an image")
    (tmp_path / "0-dir.jpg").mkdir()
    source = opened(str(tmp_path), CaptureSettings(fps=20, hold=0.2))
    assert isinstance(source, FolderSource)
    sizes, last, deadline = [], -1, time.monotonic() + 1.1
    while time.monotonic() < deadline:
        frame = source.latest(2.0, newer_than=last)
        last = frame.seq
        sizes.append((frame.width, frame.height, frame.jpeg is not None, frame.taken))
    runs = [list(g) for _, g in itertools.groupby(sizes, key=lambda s: s[:3])]
    assert [r[0][:3] for r in runs[:4]] == [(64, 48, True), (80, 60, False), (64, 48, True), (80, 60, False)]
    assert len(runs) >= 4, [(r[0][:2], len(r)) for r in runs]
    for run in runs[1:-1]:  # whole runs: each image held about 0.2 s at 20 fps
        assert 2 <= len(run) <= 7
        assert run[-1][3] - run[0][3] < 0.4


def test_folder_without_images(tmp_path):
    with pytest.raises(PortNotFound, match="folder holds no images"):
        open_source(str(tmp_path))
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(PortNotFound, match="folder holds no images"):
        FolderSource(str(tmp_path), FAST).start()


# -- video file -----------------------------------------------------------------------------------------

_LEVELS = (20, 70, 120, 170, 220)


def _write_avi(path, size=(160, 120), fps=20.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    assert writer.isOpened(), "this OpenCV build cannot write an MJPG .avi"
    for level in _LEVELS:
        writer.write(np.full((size[1], size[0], 3), level, np.uint8))
    writer.release()
    assert path.stat().st_size > 0


def _level_index(frame) -> int:
    mean = float(frame.full().mean())
    return min(range(len(_LEVELS)), key=lambda i: abs(_LEVELS[i] - mean))


def test_video_file_frames_arrive_and_loop(tmp_path, opened):
    path = tmp_path / "clip.avi"
    _write_avi(path)
    source = opened(str(path))
    assert isinstance(source, VideoFileSource)
    frames = _frames(source, 13)  # 5 frames a loop: this spans more than two loops
    for frame in frames:
        assert frame.jpeg is None and (frame.width, frame.height) == (160, 120)
        assert frame.preview(4).shape == (30, 40, 3)
    levels = [_level_index(f) for f in frames]
    assert set(levels) == set(range(len(_LEVELS))), levels
    # in file order (a loaded machine may make the reader miss one), back to the first after the last
    assert all((b - a) % len(_LEVELS) in (1, 2) for a, b in zip(levels, levels[1:])), levels
    assert sum(1 for a, b in zip(levels, levels[1:]) if b < a) >= 2, levels
    assert source.failed is None


def test_video_file_errors(tmp_path):
    with pytest.raises(PortNotFound, match="no such video file"):
        open_source(str(tmp_path / "missing.avi"))
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"RIFF....AVI nonsense" * 10)
    with pytest.raises(BadPortUrl, match="not a video OpenCV can read"):
        open_source(str(junk))
    assert not _camera_threads(str(junk))


# -- stream: the simulator in process ---------------------------------------------------------------------


def test_sim_stream_frames_and_latest_semantics(opened):
    url, _ = _sim_url(scene="a4", seed=3, fps=20)
    source = opened(url)
    assert isinstance(source, StreamSource) and source.kind is SourceKind.STREAM
    frames = _frames(source, 4)
    seqs = [f.seq for f in frames]
    assert seqs == sorted(set(seqs))
    assert all(a.taken < b.taken for a, b in zip(frames, frames[1:]))
    frame = frames[-1]
    assert (frame.width, frame.height) == (1920, 1080)
    assert frame.jpeg is not None and frame.jpeg[:2] == b"\xff\xd8"
    assert frame.preview(4).shape == (270, 480, 3)
    assert source.last_frame_age is not None and source.last_frame_age < 1.0
    # nothing newer than a sequence number far ahead: PortTimeout after the timeout, not before
    started = time.monotonic()
    with pytest.raises(PortTimeout, match="no new camera frame within 0.3 s"):
        source.latest(0.3, newer_than=frame.seq + 10_000)
    assert 0.28 <= time.monotonic() - started < 1.0
    # without newer_than the newest frame comes at once, and it is at least as new as any seen
    started = time.monotonic()
    now = source.latest(2.0)
    assert now.seq >= frame.seq and time.monotonic() - started < 0.2
    assert source.failed is None


def test_sim_slow_consumer_drops_frames_not_builds_backlog(opened):
    url, _ = _sim_url(size="640x480", fps=20)
    source = opened(url)
    first = source.latest(3.0)
    received = source.frames_received
    time.sleep(0.6)  # a slow consumer: ~12 frames arrive meanwhile
    assert source.frames_received - received >= 4
    assert source.frames_dropped >= 3
    newest = source.latest(1.0, newer_than=first.seq)
    assert newest.seq - first.seq >= 4  # the newest frame, not the next one after the last taken
    # a prompt consumer loses at most a frame that raced it now and then
    dropped = source.frames_dropped
    _frames(source, 5)
    assert source.frames_dropped - dropped <= 3


def test_sim_scene_control_changes_what_is_seen(opened):
    url, sim_id = _sim_url(size="640x480", scene="a4", seed=3, fps=20)
    source = opened(url)
    sim = _sim(sim_id)
    frame = source.latest(3.0)
    assert (frame.width, frame.height) == (640, 480)
    det = detect_document(frame.full())
    assert det.found and polygon_iou(det.corners, sim.scene.corners) > 0.95

    sim.clear(seed=3)
    assert sim.scene.kind == "none" and not sim.scene.has_document
    _frame_where(source, lambda f: not _found(f))

    sim.show_phone(seed=2)
    assert sim.scene.kind == "phone"
    phone = _frame_where(source, lambda f: f.jpeg == sim.scene.jpeg)
    assert not _found(phone)

    scene = sim.place("id1", seed=5)  # settles over 6 frames, then lies still
    still = _frame_where(source, lambda f: f.jpeg == scene.jpeg)
    det = detect_document(still.full())
    assert det.found and polygon_iou(det.corners, scene.corners) > 0.95


def test_sim_place_slides_into_view_before_settling(opened):
    url, sim_id = _sim_url(size="640x480", fps=20, settle=4)
    source = opened(url)
    sim = _sim(sim_id)
    empty = sim.scene.jpeg
    assert source.latest(3.0).jpeg == empty
    scene = sim.place("a4", seed=1)
    frames = _frames(source, 12, timeout=3.0)
    # each frame is the empty desk (in flight), the page sliding in, or the page lying still
    phases = [0 if f.jpeg == empty else 2 if f.jpeg == scene.jpeg else 1 for f in frames]
    assert phases == sorted(phases), phases  # in that order, and once still it stays still
    assert 1 <= phases.count(1) <= 4, phases  # settle=4: four moving frames (a slow reader may miss some)
    assert phases[-1] == 2


def test_sim_stall_then_failure(opened):
    url, sim_id = _sim_url(size="640x480", fps=20)
    source = opened(url, CaptureSettings(fps=20, stall_timeout=0.6))
    sim = _sim(sim_id)
    last = source.latest(3.0).seq
    sim.stall()
    with pytest.raises(PortTimeout, match="no new camera frame"):
        for _ in range(5):  # at most a frame or two were in flight when the camera hung
            last = source.latest(0.3, newer_than=last).seq
    assert wait_for(lambda: source.failed is not None, timeout=3.0)
    assert isinstance(source.failed, PortTimeout)
    assert "stream stalled" in str(source.failed) and url in str(source.failed)
    with pytest.raises(PortTimeout, match="stream stalled"):
        source.latest(0.1)  # a failed source hands out no stale frame
    assert wait_for(lambda: not _camera_threads(url), timeout=2.0)


def test_sim_unplug_fails_the_source(opened):
    url, sim_id = _sim_url(size="640x480", fps=20)
    source = opened(url)
    sim = _sim(sim_id)
    source.latest(3.0)
    sim.unplug()
    assert wait_for(lambda: source.failed is not None, timeout=3.0)
    assert isinstance(source.failed, PortClosed) and isinstance(source.failed, TransportError)
    assert "unplugged" in str(source.failed)
    with pytest.raises(PortClosed, match="unplugged"):
        source.latest(0.5)
    with pytest.raises(PortNotFound, match="unplugged"):
        open_source(url)
    sim.plug_in()
    again = opened(url)
    assert again.latest(3.0).width == 640


def test_sim_close_is_prompt_and_the_simulator_stops(opened):
    url, sim_id = _sim_url(size="640x480", fps=20)
    source = opened(url)
    sim = _sim(sim_id)
    _frames(source, 2)
    assert sim.frames_sent >= 2
    started = time.monotonic()
    source.close()
    assert time.monotonic() - started < 1.0
    assert not _camera_threads(url)
    time.sleep(0.15)  # a frame being sent at the moment of closing may still go out
    sent = sim.frames_sent
    time.sleep(0.4)  # 8 frame periods at 20 fps
    assert sim.frames_sent == sent
    with pytest.raises(PortClosed, match="camera source closed"):
        source.latest(0.2)
    source.close()  # twice is harmless


def test_sim_unknown_kind():
    with pytest.raises(PortNotFound, match="no simulator 'kamera'"):
        open_source("sim://kamera")


# -- stream: a real TCP socket --------------------------------------------------------------------------


@pytest.fixture
def camera_server():
    server = TcpServer(CameraSimulator({"size": "640x480", "fps": "20", "scene": "id1", "seed": "2"}))
    yield server
    server.close()


@pytest.mark.parametrize("form", ["http", "tcp"])
def test_tcp_stream(camera_server, opened, form):
    url = f"http://127.0.0.1:{camera_server.port}/stream" if form == "http" else camera_server.url
    source = opened(url)
    frames = _frames(source, 3)
    assert [(f.width, f.height) for f in frames] == [(640, 480)] * 3
    assert frames[-1].jpeg == camera_server.sim.scene.jpeg
    det = detect_document(frames[-1].full())
    assert det.found and polygon_iou(det.corners, camera_server.sim.scene.corners) > 0.95


def test_tcp_wrong_path_is_a_protocol_error(camera_server, opened):
    source = opened(f"http://127.0.0.1:{camera_server.port}/nope")
    assert wait_for(lambda: source.failed is not None, timeout=3.0)
    assert isinstance(source.failed, ProtocolError)
    assert "HTTP 404" in str(source.failed)
    with pytest.raises(ProtocolError, match="HTTP 404"):
        source.latest(0.5)


def test_tcp_server_serves_the_next_client(camera_server, opened):
    first = opened(camera_server.url)
    _frames(first, 2)
    first.close()
    second = opened(f"http://127.0.0.1:{camera_server.port}/video")
    sent = camera_server.sim.frames_sent
    frames = _frames(second, 3)
    assert all(f.jpeg == camera_server.sim.scene.jpeg for f in frames)  # whole frames, nothing left over
    assert camera_server.sim.frames_sent > sent
    assert second.failed is None and second.bad_frames == 0


def test_tcp_nobody_listening():
    with TcpServer(CameraSimulator({"size": "160x120"})) as server:
        port = server.port
    with pytest.raises(PortNotFound, match="cannot connect"):
        open_source(f"http://127.0.0.1:{port}/stream")


# -- UVC ------------------------------------------------------------------------------------------------


def test_uvc_missing_device_path():
    assert not os.path.exists("/dev/video9")
    with pytest.raises(PortNotFound) as info:
        open_source("/dev/video9")
    assert "/dev/video9" in str(info.value) and "no such camera device" in str(info.value)
    assert not _camera_threads("/dev/video9")


def test_uvc_index_without_a_camera():
    assert not os.path.exists("/dev/video9")
    with pytest.raises(PortNotFound) as info:
        open_source("uvc://9")
    assert str(info.value).startswith("uvc://9:") and "does not open" in str(info.value)
    with pytest.raises(PortNotFound):
        UvcSource("uvc://9", FAST).start()
