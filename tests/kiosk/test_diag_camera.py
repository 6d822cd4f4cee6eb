"""`kiosk diag camera`: detect, capture and scan on rendered scenes (still images and the simulator),
through kiosk.cli.main in process, plus one run as a process for the stdout contract."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from drivers.camera import polygon_iou
from drivers.sim import registry
from drivers.sim.camera_scene import SIZE_5MP, render_page_code_scene, render_phone_scene, render_scene
from kiosk.cli import main

KIOSK = str(Path(sys.executable).with_name("kiosk"))
A4_PT = (1654 / 200 * 72, 2339 / 200 * 72)  # 595.44 × 842.04
CHINESE = "预约号：张三 2026"


@pytest.fixture(autouse=True)
def restore_process_state():
    """main() installs the JSON log handler and the excepthooks: put everything back after each run."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, sys.excepthook, threading.excepthook)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    sys.excepthook, threading.excepthook = saved[2], saved[3]
    registry.forget_instances()


def camera(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["diag", "camera", *args])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, scene) -> Path:
    path = tmp_path / name
    path.write_bytes(scene.jpeg)
    return path


@pytest.fixture(scope="module")
def empty_desk():
    return render_scene(4, SIZE_5MP, kind="none")


def _assert_ordered_tl_tr_br_bl(corners) -> None:
    pts = np.asarray(corners, np.float64)
    # clockwise on screen (y down): positive shoelace area; TL is the corner nearest the origin
    area = 0.5 * sum(pts[i, 0] * pts[(i + 1) % 4, 1] - pts[(i + 1) % 4, 0] * pts[i, 1] for i in range(4))
    assert area > 0
    assert int(np.argmin(pts.sum(1))) == 0


# -- detect ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 2, 5])  # dark desk; beige desk turned 100°; wood grain
def test_detect_json_finds_the_page_at_its_true_corners(capsys, tmp_path, seed):
    scene = render_scene(seed, SIZE_5MP, kind="a4")
    code, out, err = camera(capsys, "--image", str(write(tmp_path, "scene.jpeg", scene)), "detect", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert list(report) == ["found", "corners", "width", "height"]
    assert report["found"] is True and (report["width"], report["height"]) == (2592, 1944)
    corners = report["corners"]
    assert len(corners) == 4 and all(len(c) == 2 for c in corners)
    _assert_ordered_tl_tr_br_bl(corners)
    # ground truth is in the page's own orientation: match each detected corner to its nearest
    dist = np.linalg.norm(np.asarray(corners)[:, None] - np.asarray(scene.corners)[None], axis=2)
    nearest = dist.argmin(1)
    assert sorted(nearest) == [0, 1, 2, 3]  # one to one
    assert dist.min(1).max() <= 6.0
    assert polygon_iou(corners, scene.corners) >= 0.97


def test_detect_text_output_names_the_corners(capsys, tmp_path):
    scene = render_scene(1, SIZE_5MP, kind="a4")
    code, out, _ = camera(capsys, "--image", str(write(tmp_path, "scene.jpeg", scene)), "detect")
    assert code == 0
    assert out.startswith("document at (") and "(TL, TR, BR, BL) in the 2592×1944 frame" in out


def test_detect_on_an_empty_desk_finds_nothing(capsys, tmp_path, empty_desk):
    path = write(tmp_path, "desk.jpeg", empty_desk)
    code, out, _ = camera(capsys, "--image", str(path), "detect", "--json")
    assert code == 3
    assert json.loads(out) == {"found": False, "corners": None, "width": 2592, "height": 1944}
    code, out, _ = camera(capsys, "--image", str(path), "detect")
    assert code == 3 and out.strip() == "no document in the 2592×1944 frame"


# -- capture -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def a4_scene():
    return render_scene(1, SIZE_5MP, kind="a4")


def test_capture_to_jpeg_is_an_a4_page_at_200_dpi(capsys, tmp_path, a4_scene):
    out_path = tmp_path / "page.jpg"
    code, out, err = camera(capsys, "--image", str(write(tmp_path, "scene.jpeg", a4_scene)),
                            "capture", "--out", str(out_path))
    assert code == 0, err
    assert out.strip().startswith(f"{out_path}: a4 page") and "at 200 dpi" in out
    data = out_path.read_bytes()
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert (img.shape[1], img.shape[0]) in ((1654, 2339), (2339, 1654))
    with Image.open(io.BytesIO(data)) as im:
        assert tuple(round(v) for v in im.info["dpi"]) == (200, 200)
    assert img.mean() > 150  # whitened paper, not the desk


def test_capture_to_pdf_is_one_a4_page(capsys, tmp_path, a4_scene):
    import pikepdf

    out_path = tmp_path / "page.PDF"  # the suffix is case-insensitive
    code, out, err = camera(capsys, "--image", str(write(tmp_path, "scene.jpeg", a4_scene)),
                            "capture", "--out", str(out_path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["kind"] == "a4" and report["dpi"] == 200 and report["out"] == str(out_path)
    assert polygon_iou(report["corners"], a4_scene.corners) >= 0.97
    with pikepdf.open(out_path) as pdf:
        assert len(pdf.pages) == 1
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].mediabox)
    assert (x0, y0) == (0, 0)
    size = sorted((x1, y1))
    assert size == pytest.approx(A4_PT, abs=0.05)
    assert [x1, y1] == pytest.approx([report["width"] / 200 * 72, report["height"] / 200 * 72], abs=0.05)


def test_capture_an_id_card(capsys, tmp_path):
    scene = render_scene(0, SIZE_5MP, kind="id1")
    out_path = tmp_path / "card.jpeg"
    code, _, err = camera(capsys, "--image", str(write(tmp_path, "card-scene.jpeg", scene)),
                          "capture", "--kind", "id1", "--out", str(out_path))
    assert code == 0, err
    img = cv2.imdecode(np.frombuffer(out_path.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert (img.shape[1], img.shape[0]) in ((1011, 638), (638, 1011))  # 85.6×54 mm at 300 dpi
    with Image.open(out_path) as im:
        assert tuple(round(v) for v in im.info["dpi"]) == (300, 300)


@pytest.mark.parametrize("out", [None, "page.png", "page"])
def test_capture_needs_a_jpeg_or_pdf_out(capsys, tmp_path, a4_scene, out):
    args = ["--image", str(write(tmp_path, "scene.jpeg", a4_scene)), "capture"]
    if out is not None:
        args += ["--out", str(tmp_path / out)]
    code, stdout, err = camera(capsys, *args)
    assert code == 2 and stdout == ""
    assert "capture needs --out FILE ending in .jpg, .jpeg or .pdf" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.jpeg"]  # nothing written


def test_capture_on_an_empty_desk(capsys, tmp_path, empty_desk):
    out_path = tmp_path / "page.jpg"
    code, out, err = camera(capsys, "--image", str(write(tmp_path, "desk.jpeg", empty_desk)),
                            "capture", "--out", str(out_path))
    assert code == 3 and out == ""
    assert "no document found" in err and "desk.jpeg" in err
    assert not out_path.exists()


# -- scan --------------------------------------------------------------------------------------
def test_scan_reads_the_qr_printed_on_a_page(capsys, tmp_path):
    scene = render_page_code_scene(1, SIZE_5MP)
    code, out, err = camera(capsys, "--image", str(write(tmp_path, "form.jpeg", scene)), "scan", "--json")
    assert code == 0, err
    codes = json.loads(out)["codes"]
    assert {"format": "QRCode", "text": scene.flags["payload"]} in codes
    assert len(codes) == len({(c["format"], c["text"]) for c in codes})  # the page pass adds no duplicate


def test_scan_keeps_chinese_text_exact(capsys, tmp_path):
    scene = render_page_code_scene(2, SIZE_5MP, text=CHINESE)
    code, out, err = camera(capsys, "--image", str(write(tmp_path, "form.jpeg", scene)), "scan", "--json")
    assert code == 0, err
    assert CHINESE in out  # printed as is, not \\u-escaped
    assert {"format": "QRCode", "text": CHINESE} in json.loads(out)["codes"]
    code, out, _ = camera(capsys, "--image", str(tmp_path / "form.jpeg"), "scan")
    assert code == 0 and f"QRCode: {CHINESE}" in out.splitlines()


def test_scan_reads_a_phone_screen(capsys, tmp_path):
    scene = render_phone_scene(3, (1920, 1080), text="预约号ABC123")
    code, out, err = camera(capsys, "--image", str(write(tmp_path, "phone.jpeg", scene)), "scan", "--json")
    assert code == 0, err
    assert json.loads(out)["codes"] == [{"format": "QRCode", "text": "预约号ABC123"}]


def test_scan_on_an_empty_desk(capsys, tmp_path, empty_desk):
    path = write(tmp_path, "desk.jpeg", empty_desk)
    code, out, _ = camera(capsys, "--image", str(path), "scan", "--json")
    assert code == 3 and json.loads(out) == {"codes": []}
    code, out, _ = camera(capsys, "--image", str(path), "scan")
    assert code == 3 and out.strip() == "no code found"


def test_scan_refuses_an_unknown_format(capsys, tmp_path):
    scene = render_page_code_scene(1, SIZE_5MP)
    code, out, err = camera(capsys, "--image", str(write(tmp_path, "form.jpeg", scene)),
                            "scan", "--formats", "QRCode,NoSuchCode", "--json")
    assert code == 2 and out == ""
    assert "NoSuchCode" in err


# -- sources -----------------------------------------------------------------------------------
def test_detect_over_the_simulator(capsys):
    sim_id = f"diag-{uuid.uuid4().hex[:8]}"
    code, out, err = camera(capsys, "--source", f"sim://camera?id={sim_id}&scene=a4&seed=5", "detect", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["found"] is True and (report["width"], report["height"]) == (1920, 1080)
    sim = registry.simulator_for("camera", {"id": sim_id})
    assert sim.frames_sent >= 1  # the frame really came over the simulated stream
    assert polygon_iou(report["corners"], sim.scene.corners) >= 0.97


def test_a_missing_camera_device(capsys):
    code, out, err = camera(capsys, "--source", "/dev/video9", "detect")
    assert code == 4 and out == ""
    assert "/dev/video9" in err and "no such camera device" in err


def test_a_missing_image_file(capsys, tmp_path):
    code, out, err = camera(capsys, "--image", str(tmp_path / "missing.jpg"), "detect")
    assert code == 2 and out == ""
    assert "missing.jpg: no such image file" in err


def test_a_relative_image_path(capsys, tmp_path, monkeypatch, a4_scene):
    write(tmp_path, "scene.jpeg", a4_scene)
    monkeypatch.chdir(tmp_path)
    code, out, err = camera(capsys, "--image", "scene.jpeg", "detect", "--json")
    assert code == 0, err
    assert json.loads(out)["found"] is True
    code, _, err = camera(capsys, "--image", "scene.jpeg", "capture", "--out", "page.jpg")
    assert code == 0, err
    assert (tmp_path / "page.jpg").is_file()


def test_json_stdout_is_only_the_report_in_a_fresh_process(tmp_path, a4_scene):
    """A first PDF loads pikepdf, which logs a line; that line must not land in the --json report."""
    scene = write(tmp_path, "scene.jpeg", a4_scene)
    done = subprocess.run([KIOSK, "diag", "camera", "--image", str(scene), "capture", "--out", str(tmp_path / "p.pdf"),
                           "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # one JSON document, nothing else
    assert report["kind"] == "a4" and (report["width"], report["height"]) in ((1654, 2339), (2339, 1654))
