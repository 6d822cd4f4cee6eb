"""kiosk.materials: captured pages kept on disk (0700/0600, JPEG + PDF + SHA-256) and in the store,
crash-safe (partial writes swept at start), and never leaking an image into a log, an error or a repr."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import stat

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from drivers.camera.cleanup import whiten
from drivers.camera.warp import warp_document
from drivers.sim import registry
from drivers.sim.camera_scene import render_scene
from kiosk.materials import (
    PDF_NAME, MaterialError, MaterialKind, Materials, MaterialState, PageImage, Verification,
)
from kiosk.store import Store

A4_200 = (1654, 2339)  # width, height in px
ID1_300 = (1011, 638)
HEX_ID = re.compile(r"^[0-9a-f]{32}$")
BLOB = re.compile(r"[A-Za-z0-9+/=]{80,}")  # a base64-looking run: image data pasted into text


# -- pages as the camera pipeline makes them: a rendered scene, straightened and whitened ------
@pytest.fixture(scope="module")
def a4_page() -> PageImage:
    scene = render_scene(1, (1920, 1080), kind="a4")
    page = whiten(warp_document(scene.image, scene.corners, "a4", 200), "color")
    assert (page.shape[1], page.shape[0]) == A4_200  # the scene's corners are in the page's own orientation
    return PageImage(page, 200)


@pytest.fixture(scope="module")
def card_page() -> PageImage:
    scene = render_scene(3, (1920, 1080), kind="id1")
    card = whiten(warp_document(scene.image, scene.corners, "id1", 300), "color")
    assert (card.shape[1], card.shape[0]) == ID1_300
    return PageImage(card, 300)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "kiosk.sqlite3")
    yield s
    s.close()


@pytest.fixture
def materials(store, tmp_path) -> Materials:
    return Materials(store, tmp_path)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _pdf_boxes(pdf: bytes) -> list[tuple[float, ...]]:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return [tuple(float(v) for v in p.mediabox) for p in doc.pages]


def _rows(store: Store) -> list[tuple]:
    return store.query("SELECT id, state FROM materials")


def _leftovers(materials: Materials) -> list[str]:
    return sorted(p.name for p in materials.root.iterdir())


# -- saving ------------------------------------------------------------------------------------
def test_save_writes_private_jpegs_and_a_pdf_with_their_hashes(materials, a4_page, card_page):
    m = materials.save(MaterialKind.CERTIFICATE, [a4_page, card_page])

    assert HEX_ID.match(m.id)
    assert m.kind is MaterialKind.CERTIFICATE
    assert m.verification is Verification.SELF_SERVICE_UNVERIFIED  # 自助采集，未经窗口核验
    assert m.state is MaterialState.KEPT
    assert m.pdf_file == PDF_NAME

    d = materials.directory_of(m)
    assert d == materials.root / m.id and materials.directory_of(m.id) == d
    assert sorted(p.name for p in d.iterdir()) == ["material.pdf", "page-01.jpg", "page-02.jpg"]
    assert _mode(materials.root) == 0o700 and _mode(d) == 0o700
    assert all(_mode(p) == 0o600 for p in d.iterdir())
    assert _leftovers(materials) == [m.id]  # no .partial left next to it

    pdf = (d / PDF_NAME).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert m.sha256 == hashlib.sha256(pdf).hexdigest()
    assert materials.pdf_bytes(m) == pdf

    expected = [("page-01.jpg", *A4_200, 200), ("page-02.jpg", *ID1_300, 300)]
    assert [(p.file, p.width, p.height, p.dpi) for p in m.pages] == expected
    for page in m.pages:
        data = (d / page.file).read_bytes()
        assert page.sha256 == hashlib.sha256(data).hexdigest()
        # JFIF APP0: units 1 (dots per inch), X and Y density = the page's dpi
        assert data[:4] == b"\xff\xd8\xff\xe0" and data[6:11] == b"JFIF\x00"
        assert data[13] == 1
        assert int.from_bytes(data[14:16], "big") == int.from_bytes(data[16:18], "big") == page.dpi
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "JPEG" and im.size == (page.width, page.height)
            assert tuple(round(v) for v in im.info["dpi"]) == (page.dpi, page.dpi)
        assert data in pdf  # embedded as written: no second lossy encoding

    boxes = _pdf_boxes(pdf)
    assert len(boxes) == 2
    for (x0, y0, x1, y1), page in zip(boxes, m.pages):
        assert (x0, y0) == (0, 0)
        assert x1 == pytest.approx(page.width / page.dpi * 72, abs=0.05)
        assert y1 == pytest.approx(page.height / page.dpi * 72, abs=0.05)
    assert boxes[0][2:] == pytest.approx((595.44, 842.04), abs=0.05)  # A4 at 200 dpi
    assert boxes[1][2:] == pytest.approx((242.64, 153.12), abs=0.05)  # ID-1 at 300 dpi: 85.6×54 mm


def test_saved_materials_survive_reopening_the_store(tmp_path, a4_page, card_page):
    store = Store(tmp_path / "kiosk.sqlite3")
    first = Materials(store, tmp_path)
    form = first.save(MaterialKind.FORM, [a4_page])
    copy = first.save(MaterialKind.OTHER, [card_page, a4_page])
    store.close()

    store = Store(tmp_path / "kiosk.sqlite3")
    try:
        again = Materials(store, tmp_path)
        again.sweep()  # a restart: nothing of a complete save is swept away
        assert again.get(form.id) == form
        assert again.get(copy.id) == copy
        assert [m.id for m in again.list()] == [form.id, copy.id]  # in creation order
        assert [m.id for m in again.list(MaterialState.KEPT)] == [form.id, copy.id]
        assert again.list(MaterialState.PURGED) == []
        assert again.pdf_bytes(copy) == (again.directory_of(copy) / PDF_NAME).read_bytes()
        with pytest.raises(MaterialError, match="no material 'nope'"):
            again.get("nope")
    finally:
        store.close()


def test_id_card_copy_is_one_a4_page_at_200_dpi(materials, card_page):
    back = PageImage(cv2.rotate(card_page.image, cv2.ROTATE_90_CLOCKWISE), 300)  # a portrait crop is turned
    m = materials.save_id_card_copy(card_page, back)

    assert m.kind is MaterialKind.ID_CARD_COPY
    assert len(m.pages) == 1
    page = m.pages[0]
    assert (page.width, page.height, page.dpi) == (*A4_200, 200)
    data = (materials.directory_of(m) / page.file).read_bytes()
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == A4_200 and tuple(round(v) for v in im.info["dpi"]) == (200, 200)
    boxes = _pdf_boxes(materials.pdf_bytes(m))
    assert len(boxes) == 1 and boxes[0][2:] == pytest.approx((595.44, 842.04), abs=0.05)


def test_a_material_needs_a_page(materials):
    with pytest.raises(MaterialError, match="at least one page"):
        materials.save(MaterialKind.FORM, [])
    assert _leftovers(materials) == [] and _rows(materials.store) == []


def test_pdf_bytes_refuses_a_changed_or_missing_pdf(materials, a4_page):
    m = materials.save(MaterialKind.FORM, [a4_page])
    path = materials.directory_of(m) / PDF_NAME
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(MaterialError, match="SHA-256") as err:
        materials.pdf_bytes(m)
    assert m.id in str(err.value)

    path.unlink()
    with pytest.raises(MaterialError, match="unreadable"):
        materials.pdf_bytes(m)


def test_a_changed_plain_pdf_is_refused_before_its_last_piece(materials, a4_page):
    m = materials.save(MaterialKind.FORM, [a4_page])
    path = materials.directory_of(m) / PDF_NAME
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01
    path.write_bytes(bytes(data))
    sent = []
    with pytest.raises(MaterialError, match="SHA-256"):
        for piece in materials.pdf_pieces(m, 0, 4096):
            sent.append(piece)
    assert sum(map(len, sent)) < len(data)  # the end never left the kiosk


# -- sealed at rest: AES-256-GCM with the kiosk's key until delivered --------------------------
KEY = bytes(range(32))


@pytest.fixture
def sealed(store, tmp_path) -> Materials:
    return Materials(store, tmp_path, key=KEY)


def test_sealed_files_hold_no_plain_image_or_pdf(sealed, a4_page):
    m = sealed.save(MaterialKind.FORM, [a4_page])
    plain = Materials(sealed.store, sealed.root.parent)  # the same files read without the key
    files = sorted(p for p in sealed.directory_of(m).iterdir())
    assert files and all(f.read_bytes().startswith(b"KMAT1") for f in files)
    pdf = sealed.pdf_bytes(m)
    # Windows of 32 bytes spread over the plain PDF (which embeds the page JPEG), and the JPEG
    # header: long enough that ciphertext cannot hold one by chance (a bare 3-byte magic could,
    # and once did in CI).
    windows = [pdf[i:i + 32] for i in range(0, len(pdf) - 32, max(1, len(pdf) // 200))]
    for f in files:
        body = f.read_bytes()
        assert not any(w in body for w in windows) and b"\xff\xd8\xff\xe0\x00\x10JFIF" not in body
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == m.sha256
    assert sealed.pdf_size(m) == len(pdf)
    with pytest.raises(MaterialError, match="sealed and this kiosk has no key"):
        plain.pdf_bytes(m)
    with pytest.raises(MaterialError, match="does not open"):
        Materials(sealed.store, sealed.root.parent, key=bytes(32)).pdf_bytes(m)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(0, 70_000), piece=st.integers(1, 70_000))
def test_pieces_from_any_offset_are_the_pdfs_bytes(sealed_form, start, piece):
    materials, m, pdf = sealed_form
    pieces = list(materials.pdf_pieces(m, start, piece))
    assert b"".join(pieces) == pdf[start:]
    assert all(len(p) == piece for p in pieces[:-1]) and all(0 < len(p) <= piece for p in pieces)


@pytest.fixture(scope="module")
def sealed_form(tmp_path_factory, a4_page):
    root = tmp_path_factory.mktemp("sealed")
    materials = Materials(Store(root / "kiosk.sqlite3"), root, key=KEY)
    m = materials.save(MaterialKind.FORM, [a4_page])
    return materials, m, materials.pdf_bytes(m)


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "moved from another material"])
def test_a_damaged_sealed_pdf_is_refused_before_its_last_piece(sealed, a4_page, card_page, damage):
    m = sealed.save(MaterialKind.FORM, [a4_page])
    path = sealed.directory_of(m) / PDF_NAME
    data = path.read_bytes()
    if damage == "flip a byte":
        path.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif damage == "cut short":
        path.write_bytes(data[:-1000])
    else:  # the associated data names the material: a file moved from another does not open
        other = sealed.save(MaterialKind.FORM, [card_page])
        path.write_bytes((sealed.directory_of(other) / PDF_NAME).read_bytes())
    sent = []
    with pytest.raises(MaterialError, match="does not open") as err:
        for piece in sealed.pdf_pieces(m, 0, 4096):
            sent.append(piece)
    assert sum(map(len, sent)) < sealed.pdf_size(m)
    assert m.id in str(err.value)
    path.write_bytes(data[:20])
    with pytest.raises(MaterialError, match="cut short"):
        sealed.pdf_bytes(m)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=200), st.binary(max_size=200).map(lambda b: b"KMAT1" + b)),
       start=st.integers(0, 300), piece=st.integers(1, 64))
def test_fuzz_any_file_opens_or_raises_material_error(sealed_form, body, start, piece):
    materials, m, _ = sealed_form
    path = materials.directory_of(m) / PDF_NAME
    kept = path.read_bytes()
    try:
        path.write_bytes(body)
        with pytest.raises(MaterialError):
            list(materials.pdf_pieces(m, start, piece))
        if body.startswith(b"KMAT1") and len(body) < 33:  # magic, nonce and tag
            with pytest.raises(MaterialError):
                materials.pdf_size(m)
    finally:
        path.write_bytes(kept)


# -- the life cycle ----------------------------------------------------------------------------
def test_uploaded_then_purged_deletes_the_files_and_keeps_the_row(materials, a4_page):
    m = materials.save(MaterialKind.FORM, [a4_page])
    keep = materials.save(MaterialKind.FORM, [a4_page])

    materials.mark_uploaded(m.id)
    assert materials.get(m.id).state is MaterialState.UPLOADED
    assert materials.directory_of(m).is_dir()  # uploaded is not yet deleted

    materials.purge(m.id)
    assert not materials.directory_of(m).exists()
    purged = materials.get(m.id)
    assert purged.state is MaterialState.PURGED
    assert (purged.sha256, purged.pages, purged.kind) == (m.sha256, m.pages, m.kind)  # the record stays
    assert [x.id for x in materials.list(MaterialState.PURGED)] == [m.id]
    assert materials.get(keep.id).state is MaterialState.KEPT and materials.directory_of(keep).is_dir()

    materials.sweep()  # a purged material's missing files are expected, not lost
    assert materials.get(m.id).state is MaterialState.PURGED

    for action in (materials.mark_uploaded, materials.purge):
        with pytest.raises(MaterialError, match="no material"):
            action("0" * 32)


# -- crash safety ------------------------------------------------------------------------------
def test_sweep_removes_partial_and_unrecorded_files_and_marks_vanished_ones_lost(materials, a4_page, json_log):
    kept = materials.save(MaterialKind.FORM, [a4_page])
    uploaded = materials.save(MaterialKind.FORM, [a4_page])
    materials.mark_uploaded(uploaded.id)
    vanished = materials.save(MaterialKind.CERTIFICATE, [a4_page])

    # a crash mid-save: the partial directory with a page in it
    partial = materials.root / ("a" * 32 + ".partial")
    partial.mkdir(mode=0o700)
    (partial / "page-01.jpg").write_bytes(b"\xff\xd8 half a page")
    # a crash between the rename and the commit: a complete directory with no row
    orphan = materials.root / ("b" * 32)
    orphan.mkdir(mode=0o700)
    (orphan / PDF_NAME).write_bytes(b"%PDF-1.3 orphan")
    # the disk lost a kept material's files
    for p in materials.directory_of(vanished).iterdir():
        p.unlink()
    materials.directory_of(vanished).rmdir()
    json_log.seek(0)
    json_log.truncate()

    materials.sweep()

    assert _leftovers(materials) == sorted([kept.id, uploaded.id])
    assert materials.get(kept.id).state is MaterialState.KEPT
    assert materials.get(uploaded.id).state is MaterialState.UPLOADED
    assert materials.get(vanished.id).state is MaterialState.LOST
    assert materials.pdf_bytes(kept) == (materials.directory_of(kept) / PDF_NAME).read_bytes()

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    mine = [r for r in lines if r["logger"] == "kiosk.materials"]
    assert {(r["level"], r["msg"]) for r in mine} == {
        ("WARNING", "removed unfinished material files"), ("ERROR", "material files missing")}
    assert sorted(r["entry"] for r in mine if "entry" in r) == sorted([partial.name, orphan.name])
    assert [r["material"] for r in mine if "material" in r] == [vanished.id]
    for r in mine:  # ids only: no path, no file content
        assert set(r) <= {"ts", "level", "logger", "msg", "entry", "material"}
        assert str(materials.root) not in json.dumps(r, ensure_ascii=False)

    materials.sweep()  # idempotent: nothing more to do
    assert _leftovers(materials) == sorted([kept.id, uploaded.id])
    assert materials.get(vanished.id).state is MaterialState.LOST


# -- failure leaves nothing --------------------------------------------------------------------
def test_a_page_that_does_not_encode_leaves_nothing(materials, a4_page):
    # the second page is an empty crop: page-01.jpg is already written when encoding fails
    empty = PageImage(np.zeros((0, 0, 3), np.uint8), 200)
    with pytest.raises(MaterialError) as err:
        materials.save(MaterialKind.FORM, [a4_page, empty])
    message = str(err.value)
    assert message.startswith("material ") and HEX_ID.match(message.split()[1].rstrip(":"))
    assert len(message) < 200 and not BLOB.search(message)
    assert err.value.__cause__ is None and err.value.__suppress_context__  # no chained cv2 dump
    assert _leftovers(materials) == []
    assert _rows(materials.store) == []


def test_a_write_failure_leaves_nothing(materials, a4_page, monkeypatch):
    import kiosk.materials as mod

    real = mod._write_private

    def disk_full(path, data):
        if path.name == PDF_NAME:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(mod, "_write_private", disk_full)
    with pytest.raises(MaterialError, match=r"cannot write files \(No space left on device\)"):
        materials.save(MaterialKind.FORM, [a4_page])
    assert _leftovers(materials) == []
    assert _rows(materials.store) == []


def test_a_store_failure_leaves_no_files(tmp_path, a4_page):
    store = Store(tmp_path / "kiosk.sqlite3")
    materials = Materials(store, tmp_path)
    store.close()  # the database is gone (shutdown under way, disk fault)
    with pytest.raises(MaterialError) as err:
        materials.save(MaterialKind.FORM, [a4_page])
    assert "material " in str(err.value) and not BLOB.search(str(err.value))
    assert _leftovers(materials) == []
    store = Store(tmp_path / "kiosk.sqlite3")
    try:
        assert _rows(store) == []
    finally:
        store.close()


# -- privacy -----------------------------------------------------------------------------------
def test_no_image_data_in_reprs_logs_or_errors(materials, a4_page, card_page, json_log, caplog):
    caplog.set_level(logging.DEBUG, logger="kiosk.materials")
    m = materials.save(MaterialKind.CERTIFICATE, [a4_page, card_page])
    materials.mark_uploaded(m.id)
    materials.purge(m.id)
    (materials.root / ("c" * 32 + ".partial")).mkdir()
    materials.sweep()
    with pytest.raises(MaterialError) as err:
        materials.save(MaterialKind.FORM, [PageImage(np.zeros((4, 4, 5), np.uint8), 200)])

    assert repr(a4_page) == "PageImage(1654x2339 @ 200 dpi)"
    assert repr(card_page) == "PageImage(1011x638 @ 300 dpi)"
    for text in (repr(m), repr(m.pages), str(err.value)):
        assert "array" not in text and "\\xff" not in text and not BLOB.search(text)
    assert len(repr(m)) < 1000

    lines = json_log.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    mine = [r for r in records if r["logger"] == "kiosk.materials"]
    saved = [r for r in mine if r["msg"] == "material saved"]
    assert saved and saved[0]["material"] == m.id and saved[0]["kind"] == "certificate" and saved[0]["pages"] == 2
    assert any(r["msg"] == "material purged" and r["material"] == m.id for r in mine)
    assert any(r["msg"] == "removed unfinished material files" for r in mine)
    for line in lines:
        assert len(line) < 400
        assert not BLOB.search(line) and "\\xff\\xd8" not in line and "ÿØ" not in line
        assert m.sha256 not in line and m.pages[0].sha256 not in line
    # the raw records carry only ids, kinds and counts as extras
    for rec in [r for r in caplog.records if r.name == "kiosk.materials"]:
        extras = {k: v for k, v in vars(rec).items() if k in ("material", "kind", "pages", "entry")}
        assert extras and all(isinstance(v, str | int) for v in extras.values())
        assert not any(isinstance(a, bytes | np.ndarray) for a in (rec.args or ()))


# -- in the kiosk --------------------------------------------------------------------------------
def test_the_simulated_hall_keeps_materials_and_sweeps_them_at_start(tmp_path):
    from kiosk.composition import build_kiosk

    kiosk = build_kiosk(data=tmp_path)
    try:
        assert kiosk.materials is not None  # the simulated hall has a document camera
        assert kiosk.materials.root == tmp_path / "materials" and _mode(kiosk.materials.root) == 0o700
        leftover = kiosk.materials.root / ("d" * 32 + ".partial")
        leftover.mkdir()
        (leftover / "page-01.jpg").write_bytes(b"\xff\xd8")
        kiosk.start()
        assert not leftover.exists()
        assert _leftovers(kiosk.materials) == []
    finally:
        kiosk.stop()
        registry.forget_instances()
