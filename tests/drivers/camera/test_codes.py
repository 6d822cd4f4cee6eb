"""drivers.camera.codes: zxing-cpp primary, pyzbar 1D fallback, UTF-8 payloads (spec §5)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from drivers.camera.codes import PAGE_FORMATS, Code, parse_format, read_codes
from drivers.camera.detect import detect_document
from drivers.camera.warp import warp_document
from drivers.sim.camera_scene import (
    SIZE_5MP, qr_modules, render_code_image, render_page_code_scene, render_phone_scene,
)

PHONE_SEEDS = range(40)


def _hit(codes, payload):
    return any(c.format == "QRCode" and c.text == payload for c in codes)


def test_phone_qr_in_1080p_desk_scenes():
    hits = []
    for s in PHONE_SEEDS:
        sc = render_phone_scene(s)
        assert sc.image.shape == (1080, 1920, 3)
        hits.append(_hit(read_codes(sc.image, {"QRCode"}, fallback=False), sc.flags["payload"]))
    rate = sum(hits) / len(hits)
    print(f"phone QR decode rate 1080p: {sum(hits)}/{len(hits)}")
    assert rate >= 0.95, [s for s, h in zip(PHONE_SEEDS, hits) if not h]


def test_phone_scene_is_deterministic():
    a, b = render_phone_scene(3), render_phone_scene(3)
    assert np.array_equal(a.image, b.image) and a.flags["payload"] == b.flags["payload"]


@pytest.mark.parametrize("seed", [0, 1, 3, 4])
def test_printed_qr_on_a4_page_at_5mp(seed):
    sc = render_page_code_scene(seed, size=SIZE_5MP)
    assert sc.image.shape == (1944, 2592, 3)
    codes = read_codes(sc.image, {"QRCode"}, fallback=False)
    if not _hit(codes, sc.flags["payload"]):
        # second chance: the rectified 200 dpi page (what the capture pipeline decodes)
        det = detect_document(sc.image)
        corners = det.corners if det.found else sc.corners
        page = warp_document(sc.image, corners, kind="a4", dpi=200)
        codes = read_codes(page, PAGE_FORMATS)
    assert _hit(codes, sc.flags["payload"])


@pytest.mark.parametrize("text", ["统一社会信用代码 91110000MA01ABCD2X", "办件编号：浙-2024-０００１ 你好，世界", "ASCII-only token 123"])
def test_utf8_chinese_round_trip(text):
    img = render_code_image(qr_modules(text), 300)
    codes = read_codes(img, {"QRCode"})
    assert [c.text for c in codes] == [text]


def test_utf8_without_eci_from_qrcode_package():
    import qrcode  # a runtime dependency
    text = "预约取号 A0123 请到3号窗口"
    q = qrcode.QRCode(border=4)
    q.add_data(text.encode("utf-8"))  # byte mode, no ECI header
    q.make()
    m = np.where(np.array(q.get_matrix()), 0, 255).astype(np.uint8)
    codes = read_codes(render_code_image(m, 330), {"QR Code"})
    assert codes and codes[0].text == text and codes[0].format == "QRCode"


def _code128_image(text: str, height_px: int = 80, scale: int = 3) -> np.ndarray:
    import zxingcpp

    bc = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128)
    row = np.asarray(bc.to_image(scale=1, add_quiet_zones=True), np.uint8)[:1]
    img = np.repeat(np.kron(row, np.ones((1, scale), np.uint8)), height_px, axis=0)
    return np.pad(img, 20, constant_values=255)


def test_code128_with_zxing_and_restricted_formats():
    img = _code128_image("110105202401010001")
    assert read_codes(img, {"Code128"}) == [Code("Code128", "110105202401010001")]
    assert read_codes(img, {"QRCode"}, fallback=False) == []


def test_pyzbar_fallback_for_1d(monkeypatch):
    import pyzbar.pyzbar  # noqa: F401  (a runtime dependency; needs libzbar0)
    import drivers.camera.codes as codes_mod

    img = _code128_image("110105202401010001")
    monkeypatch.setattr(codes_mod.zxingcpp, "read_barcodes", lambda *a, **k: [])
    got = read_codes(img, {"Code128", "QRCode"})
    assert got == [Code("Code128", "110105202401010001")] and got[0].decoder == "zbar"
    assert read_codes(img, {"QRCode"}) == []  # no 1D format asked: no fallback
    assert read_codes(img, {"Code128"}, fallback=False) == []


def test_bgr_input_and_format_names():
    img = cv2.cvtColor(render_code_image(qr_modules("HELLO"), 200), cv2.COLOR_GRAY2BGR)
    assert read_codes(img)[0] == Code("QRCode", "HELLO")
    assert parse_format("code_128").name == "Code128" and parse_format("qr").name == "QRCode"
    with pytest.raises(ValueError):
        parse_format("nonsense")
