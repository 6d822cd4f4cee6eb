"""Synthetic document-camera scenes with exact ground truth (document-camera spec §10).

A flat document (A4 page or ID-1 card) is rendered, placed on a procedural desk through a known
homography, then lit, blurred, noised and JPEG-compressed, in that order. Scene ``seed`` at one size
is fully determined by ``(seed, size, kind, desk)``: a seeded numpy ``Generator`` draws every random
choice, nothing reads global state.

    scene = render_scene(7, size=(1920, 1080))
    scene.image     # BGR uint8, decoded from the JPEG like a real MJPEG frame
    scene.corners   # ((x, y), ...) TL, TR, BR, BL in the document's own orientation, full-res px
    scene.kind      # "a4" | "id1" | "none"

Coordinates follow OpenCV's convention (integer = pixel centre). For an ID card the corners are
those of the bounding rectangle, not points on the rounded corners. The document always lies fully
inside the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

SIZE_1080P = (1920, 1080)
SIZE_5MP = (2592, 1944)
SIZE_13MP = (4208, 3120)

DOC_MM = {"a4": (210.0, 297.0), "id1": (85.6, 54.0)}
DESKS = ("wood", "dark", "grey", "beige")
# spec §10.2: wood 30 %, dark mat 25 %, grey laminate 25 %, light beige 20 %
_DESK_P = (0.30, 0.25, 0.25, 0.20)


@dataclass(frozen=True)
class Scene:
    image: np.ndarray = field(repr=False)  # BGR uint8, H×W×3, decoded from ``jpeg``
    corners: tuple[tuple[float, float], ...] | None  # TL, TR, BR, BL; None without a document
    kind: str  # "a4" | "id1" | "phone" | "none"
    desk: str
    flags: dict = field(default_factory=dict)  # seal, shadow, rotation, jpeg quality, ...
    jpeg: bytes = field(default=b"", repr=False)  # the frame as the camera would send it

    @property
    def has_document(self) -> bool:
        return self.corners is not None


def pick_kind(seed: int) -> str:
    """The document kind used by :func:`render_scene` when none is given (5 A4 : 2 ID-1)."""
    return "id1" if seed % 7 in (3, 6) else "a4"


def render_scene(
    seed: int,
    size: tuple[int, int] = SIZE_1080P,
    kind: str | None = None,
    desk: str | None = None,
    seal: bool | None = None,
    shadow: bool | None = None,
) -> Scene:
    """Render scene ``seed`` at ``size`` = (width, height).

    ``kind``: "a4", "id1" or "none" (a desk with no document); default :func:`pick_kind`.
    ``desk``: one of :data:`DESKS`; "beige" is the low-contrast case (light desk, white page).
    ``seal``/``shadow``: force the red seal (A4 only) or the soft shadow on or off.
    """
    width, height = size
    kind = pick_kind(seed) if kind is None else kind
    if kind not in ("a4", "id1", "none"):
        raise ValueError(f"render_scene: unknown document kind {kind!r}; use 'a4', 'id1' or 'none'")
    rng = np.random.default_rng([seed, width, height, 0xD0C])
    desk = str(rng.choice(DESKS, p=_DESK_P)) if desk is None else desk
    if desk not in DESKS:
        raise ValueError(f"render_scene: unknown desk {desk!r}; use one of {DESKS}")
    flags: dict = {}

    frame = _desk_texture(rng, desk, width, height)  # float32 BGR 0..255
    corners = None
    if kind != "none":
        doc, mask = (_render_a4(rng, seal, flags) if kind == "a4" else _render_id1(rng))
        dst = _place(rng, kind, width, height, flags)
        h_doc, w_doc = mask.shape
        src = np.float32([[-0.5, -0.5], [w_doc - 0.5, -0.5], [w_doc - 0.5, h_doc - 0.5], [-0.5, h_doc - 0.5]])
        _composite(frame, doc, mask, src, dst)
        corners = tuple((float(x), float(y)) for x, y in dst)

    frame = _light(rng, frame, shadow, flags)
    sigma = float(rng.uniform(0.4, 1.2) * math.sqrt(height / 1080))
    image, jpeg = _finish(rng, frame, sigma, flags)
    return Scene(image=image, corners=corners, kind=kind, desk=desk, flags=flags, jpeg=jpeg)


# --- desk ---------------------------------------------------------------------------------------


def _desk_texture(rng: np.random.Generator, desk: str, width: int, height: int) -> np.ndarray:
    """Procedural desk rendered at ¼ scale and upsampled (it is smooth), float32 BGR."""
    w4, h4 = (width + 3) // 4, (height + 3) // 4
    yy, xx = np.mgrid[0:h4, 0:w4].astype(np.float32)
    if desk == "wood":
        base = np.float32([rng.uniform(40, 80), rng.uniform(80, 120), rng.uniform(120, 170)])
        ang = rng.uniform(0, math.pi)
        u = xx * math.cos(ang) + yy * math.sin(ang)
        v = -xx * math.sin(ang) + yy * math.cos(ang)
        warp = cv2.resize(rng.standard_normal((8, 8)).astype(np.float32), (w4, h4), interpolation=cv2.INTER_CUBIC)
        period = rng.uniform(6, 16)
        grain = np.sin((v + 12 * warp + 0.02 * u) * (2 * math.pi / period))
        amp = rng.uniform(0.08, 0.25)
        tex = base[None, None, :] * (1 + amp * grain[..., None])
    elif desk == "dark":
        g = rng.uniform(25, 55)
        tex = np.empty((h4, w4, 3), np.float32)
        tex[:] = np.float32([g * rng.uniform(0.95, 1.15), g, g * rng.uniform(0.9, 1.05)])
    elif desk == "grey":
        g = rng.uniform(95, 150)
        tex = np.empty((h4, w4, 3), np.float32)
        tex[:] = np.float32([g * rng.uniform(0.97, 1.05), g, g * rng.uniform(0.95, 1.03)])
        tex += rng.normal(0, 5, (h4, w4, 1)).astype(np.float32)  # speckle
    else:  # beige: light and warm, barely darker than paper
        tex = np.empty((h4, w4, 3), np.float32)
        tex[:] = np.float32([rng.uniform(165, 190), rng.uniform(195, 212), rng.uniform(212, 228)])
        tex += rng.normal(0, 2.5, (h4, w4, 1)).astype(np.float32)
    return cv2.resize(tex, (width, height), interpolation=cv2.INTER_LINEAR)


# --- documents ----------------------------------------------------------------------------------


def _text_lines(rng, img, x0, x1, y0, y1, line_h, gap, ink):
    y = y0
    while y + line_h < y1:
        x = x0 + (int(rng.integers(0, 4)) * line_h * 2 if rng.random() < 0.15 else 0)
        end = x1 if rng.random() > 0.2 else int(x0 + (x1 - x0) * rng.uniform(0.3, 0.8))
        while x < end:
            wlen = int(rng.integers(line_h, line_h * 5))
            x2 = min(x + wlen, end)
            cv2.rectangle(img, (x, y), (x2, y + line_h), ink, -1)
            x = x2 + int(line_h * rng.uniform(0.4, 0.9))
        y += line_h + gap


def _render_a4(rng, seal, flags):
    ppm = 4  # px/mm: 840×1188
    w, h = 210 * ppm, 297 * ppm
    paper = np.float32([rng.uniform(236, 250), rng.uniform(240, 252), rng.uniform(240, 253)])
    doc = np.empty((h, w, 3), np.uint8)
    doc[:] = paper.astype(np.uint8)
    ink = (40, 35, 35)
    # title
    cv2.rectangle(doc, (w // 2 - 240, 90), (w // 2 + 240, 130), ink, -1)
    y = 180
    if rng.random() < 0.5:  # a bordered table: the classic false positive inside a page
        ty1 = y + int(rng.integers(250, 450))
        cv2.rectangle(doc, (80, y), (w - 80, ty1), ink, 3)
        for yy in range(y + 60, ty1, 60):
            cv2.line(doc, (80, yy), (w - 80, yy), ink, 2)
        cv2.line(doc, (300, y), (300, ty1), ink, 2)
        y = ty1 + 40
        flags["table"] = True
    _text_lines(rng, doc, 80, w - 80, y, h - 120, 12, 16, ink)
    seal = (rng.random() < 0.4) if seal is None else seal
    if seal:
        cx, cy, r = int(w * rng.uniform(0.55, 0.75)), int(h * rng.uniform(0.7, 0.85)), 21 * ppm
        layer = np.zeros((h, w), np.uint8)
        cv2.circle(layer, (cx, cy), r, 255, 10)
        star = [(cx + 0.38 * r * math.cos(-math.pi / 2 + k * 4 * math.pi / 5),
                 cy + 0.38 * r * math.sin(-math.pi / 2 + k * 4 * math.pi / 5)) for k in range(5)]
        cv2.fillPoly(layer, [np.int32(star)], 255)
        cv2.fillConvexPoly(layer, np.int32(star), 255)
        a = (layer.astype(np.float32) / 255 * 0.85)[..., None]
        red = np.float32([40, 40, 210])
        doc[:] = (doc * (1 - a) + np.minimum(doc, red) * a).astype(np.uint8)
    flags["seal"] = bool(seal)
    mask = np.full((h, w), 255, np.uint8)
    return doc, mask


def _render_id1(rng):
    ppm = 10  # 856×540
    w, h = 856, 540
    base = np.float32([rng.uniform(215, 240), rng.uniform(220, 240), rng.uniform(210, 235)])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    pattern = 6 * np.sin(xx / 23 + 0.5 * np.sin(yy / 31))
    doc = np.clip(base[None, None, :] + pattern[..., None], 0, 255).astype(np.uint8)
    ink = (45, 40, 40)
    cv2.rectangle(doc, (w - 300, 90), (w - 60, 400), (150, 150, 160), -1)  # photo box
    _text_lines(rng, doc, 60, w - 340, 80, h - 120, 16, 22, ink)
    cv2.rectangle(doc, (60, h - 80), (w - 60, h - 56), ink, -1)  # ID number line
    mask = np.zeros((h, w), np.uint8)
    r = round(3.18 * ppm)
    cv2.rectangle(mask, (r, 0), (w - 1 - r, h - 1), 255, -1)
    cv2.rectangle(mask, (0, r), (w - 1, h - 1 - r), 255, -1)
    for cx, cy in ((r, r), (w - 1 - r, r), (w - 1 - r, h - 1 - r), (r, h - 1 - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1, lineType=cv2.LINE_AA)
    return doc, mask


# --- geometry and compositing -------------------------------------------------------------------


def _place(rng, kind, width, height, flags):
    """Destination corners (TL, TR, BR, BL of the document) fully inside the frame."""
    wmm, hmm = DOC_MM[kind]
    if kind == "a4":
        long_frac, max_rot = rng.uniform(0.60, 0.93), 22.0
    else:
        long_frac, max_rot = rng.uniform(0.22, 0.45), 30.0
    rot = rng.uniform(-max_rot, max_rot) + (90.0 if rng.random() < 0.25 else 0.0)
    jitter = rng.uniform(-1, 1, (4, 2)) * rng.uniform(0, 0.035)
    cx_f, cy_f = rng.uniform(-1, 1, 2)
    margin = 0.015 * height
    long_px = long_frac * height
    for _ in range(60):
        s = long_px / max(wmm, hmm)
        half = np.float64([[-wmm, -hmm], [wmm, -hmm], [wmm, hmm], [-wmm, hmm]]) * (s / 2)
        a = math.radians(rot)
        rmat = np.float64([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        pts = half @ rmat.T + jitter * long_px
        lo, hi = pts.min(0), pts.max(0)
        span_x = width - 2 * margin - (hi[0] - lo[0])
        span_y = height - 2 * margin - (hi[1] - lo[1])
        if span_x >= 0 and span_y >= 0:
            cx = margin - lo[0] + span_x * (0.5 + 0.4 * cx_f)
            cy = margin - lo[1] + span_y * (0.5 + 0.4 * cy_f)
            flags.update(rotation=rot, long_frac=long_px / height)
            return (pts + [cx, cy]).astype(np.float32)
        long_px *= 0.97
    raise RuntimeError("camera_scene: could not fit the document in the frame")


def _composite(frame, doc, mask, src, dst):
    """Warp the document into its bounding box only (cheap at 5 MP) and alpha-blend it."""
    height, width = frame.shape[:2]
    x0, y0 = np.floor(dst.min(0)).astype(int) - 2
    x1, y1 = np.ceil(dst.max(0)).astype(int) + 3
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    m = cv2.getPerspectiveTransform(src, dst - np.float32([x0, y0]))
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(doc, m, size, flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(mask, m, size, flags=cv2.INTER_LINEAR).astype(np.float32)[..., None] / 255
    roi = frame[y0:y1, x0:x1]
    roi *= 1 - alpha
    roi += warped.astype(np.float32) * alpha


def _light(rng, frame, shadow, flags):
    """Gradient × vignette × soft shadow × exposure, as one smooth field computed at ⅛ scale."""
    height, width = frame.shape[:2]
    w8, h8 = (width + 7) // 8, (height + 7) // 8
    yy, xx = np.mgrid[0:h8, 0:w8].astype(np.float32)
    u, v = xx / w8 - 0.5, yy / h8 - 0.5
    ang = rng.uniform(0, 2 * math.pi)
    lin = u * math.cos(ang) + v * math.sin(ang)  # about -0.7..0.7
    field = 1 - rng.uniform(0.10, 0.35) * (lin - lin.min()) / max(float(np.ptp(lin)), 1e-6)
    field *= 1 - rng.uniform(0.05, 0.30) * (u * u + v * v) / 0.5
    shadow = (rng.random() < 0.7) if shadow is None else shadow
    if shadow:
        pts = []
        cx, cy = rng.uniform(0, w8), rng.uniform(0, h8)
        rad = rng.uniform(0.2, 0.5) * h8
        for k in range(6):
            a = k * math.pi / 3 + rng.uniform(-0.4, 0.4)
            r = rad * rng.uniform(0.6, 1.4)
            pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
        sh = np.zeros((h8, w8), np.float32)
        cv2.fillPoly(sh, [np.int32(pts)], 1.0)
        sh = cv2.GaussianBlur(sh, (0, 0), rng.uniform(0.03, 0.08) * h8)
        field *= 1 - rng.uniform(0.15, 0.45) * sh
    flags["shadow"] = bool(shadow)
    field *= rng.uniform(0.85, 1.1)
    gains = np.float32(rng.uniform(0.93, 1.07, 3))  # white-balance cast
    field = cv2.resize(field, (width, height), interpolation=cv2.INTER_LINEAR)
    frame *= field[..., None]
    frame *= gains[None, None, :]
    return frame


# --- codes: phone-screen QR and a QR printed on an A4 page (added for drivers/camera/codes.py) ---
# New generators only: nothing above is changed, so render_scene's outputs stay bit-identical.
# Each draws from its own RNG key, distinct from render_scene's.


def qr_modules(text: str, ec_level: str = "M") -> np.ndarray:
    """QR module matrix (uint8, 0 = dark, 255 = light) with a 4-module quiet zone.

    Written by zxing-cpp's encoder in byte mode (UTF-8 for non-ASCII text).
    """
    import zxingcpp

    bc = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=ec_level)
    return np.ascontiguousarray(np.asarray(bc.to_image(scale=1, add_quiet_zones=True), np.uint8))


def render_code_image(modules: np.ndarray, size_px: int) -> np.ndarray:
    """Draw ``modules`` at an integer scale, then area-average down to ``size_px`` (spec §10.1)."""
    n = modules.shape[0]
    k = max(1, int(math.ceil(4 * size_px / n)))
    big = np.kron(modules, np.ones((k, k), np.uint8))
    return cv2.resize(big, (size_px, size_px), interpolation=cv2.INTER_AREA)


def _random_token(rng: np.random.Generator, lo: int, hi: int) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    n = int(rng.integers(lo, hi + 1))
    return "".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), n))


def _finish(rng: np.random.Generator, frame: np.ndarray, sigma: float, flags: dict) -> tuple[np.ndarray, bytes]:
    """Blur → noise → JPEG (spec §10.1 order): the decoded frame and its JPEG bytes.

    Noise is near-Gaussian, the sum of two uniform bytes (triangular, sd 255·√(1/6)): about 5×
    cheaper than standard_normal at 5 MP.
    """
    frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    noise_sigma = float(rng.uniform(1.5, 4.5))
    k = noise_sigma / (255.0 * math.sqrt(1 / 6))
    u1 = rng.integers(0, 256, frame.shape, dtype=np.uint8)
    u2 = rng.integers(0, 256, frame.shape, dtype=np.uint8)
    frame = cv2.add(frame, cv2.addWeighted(u1, k, u2, k, -255.0 * k, dtype=cv2.CV_32F))
    img8 = cv2.convertScaleAbs(frame)  # saturates at 255 (a rare value below 0 is mirrored)
    quality = int(rng.integers(70, 93))
    ok, buf = cv2.imencode(".jpg", img8, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    flags.update(blur=sigma, noise=noise_sigma, jpeg_quality=quality)
    return cv2.imdecode(buf, cv2.IMREAD_COLOR), buf.tobytes()


def _quad_in_frame(rng, w_mm, h_mm, ppm, rot_deg, tilt, width, height, margin):
    """TL, TR, BR, BL of a w_mm×h_mm rectangle at ppm px/mm, rotated and tilted, inside the frame."""
    half = np.float64([[-w_mm, -h_mm], [w_mm, -h_mm], [w_mm, h_mm], [-w_mm, h_mm]]) * (ppm / 2)
    a = math.radians(rot_deg)
    rmat = np.float64([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    pts = half @ rmat.T + rng.uniform(-1, 1, (4, 2)) * tilt * max(w_mm, h_mm) * ppm
    lo, hi = pts.min(0), pts.max(0)
    span_x = width - 2 * margin - (hi[0] - lo[0])
    span_y = height - 2 * margin - (hi[1] - lo[1])
    if span_x < 0 or span_y < 0:
        return None
    cx = margin - lo[0] + rng.uniform(0, span_x)
    cy = margin - lo[1] + rng.uniform(0, span_y)
    return (pts + [cx, cy]).astype(np.float32)


def _rect_src(w: int, h: int) -> np.ndarray:
    return np.float32([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])


def render_phone_scene(
    seed: int,
    size: tuple[int, int] = SIZE_1080P,
    text: str | None = None,
    desk: str | None = None,
    motion_blur: tuple[float, float] = (0.0, 3.0),
    glare: float = 0.5,
) -> Scene:
    """A phone (70×150 mm) held under the camera, its screen showing a QR code.

    Spec §10.2 "phone scenes": 35–50 mm QR at 4.5–8 px/mm (scaled with the frame height from
    1080p), rotation ±45° (+90° on a quarter), tilt 0–6 %, glare on ``glare`` of scenes, motion blur
    drawn from ``motion_blur`` px (default 0–3 px: the spec's harsher 1–7 px set is
    ``motion_blur=(1, 7)``). Gaussian blur σ 0.4–1.0 · √(H/1080), noise, JPEG q70–92.
    ``scene.corners`` are the phone's corners; ``flags["payload"]`` is the QR text and
    ``flags["qr_corners"]`` the QR symbol's corners (inside the quiet zone) in frame pixels.
    """
    width, height = size
    rng = np.random.default_rng([seed, width, height, 0x9405E])
    desk = str(rng.choice(DESKS, p=_DESK_P)) if desk is None else desk
    flags: dict = {}
    if text is None:
        text = _random_token(rng, 12, 90) if rng.random() < 0.8 else "预约号" + _random_token(rng, 6, 20)
    flags["payload"] = text
    frame = _desk_texture(rng, desk, width, height)

    scale_h = height / 1080
    ppm = float(rng.uniform(4.5, 8.0)) * scale_h
    qr_mm = float(rng.uniform(35, 50))
    rot = float(rng.uniform(-45, 45) + (90 if rng.random() < 0.25 else 0))
    tilt = float(rng.uniform(0, 0.06)) / 2
    margin = 0.01 * height
    dst = None
    for _ in range(60):
        dst = _quad_in_frame(rng, 70, 150, ppm, rot, tilt, width, height, margin)
        if dst is not None:
            break
        ppm *= 0.97
    if dst is None:
        raise RuntimeError("camera_scene: could not fit the phone in the frame")
    flags.update(rotation=rot, ppm=ppm, qr_mm=qr_mm)

    # phone, rendered in its own plane at about the frame's scale (≈1:1 warp, no aliasing)
    pw, ph = max(8, round(70 * ppm)), max(8, round(150 * ppm))
    body = float(rng.uniform(15, 40))
    phone = np.full((ph, pw, 3), body, np.uint8)
    bez = max(2, round(4 * ppm))
    screen = np.float32([rng.uniform(235, 252), rng.uniform(235, 250), rng.uniform(230, 248)])
    phone[bez:ph - bez, bez:pw - bez] = screen.astype(np.uint8)
    header = round(18 * ppm)
    phone[bez:bez + header, bez:pw - bez] = (80, 170, 40)  # green header bar
    qr_px = max(8, round(qr_mm * ppm))
    qr_px = min(qr_px, pw - 2 * bez)
    qr = render_code_image(qr_modules(text), qr_px)
    qx0 = (pw - qr_px) // 2
    qy0 = bez + header + max(0, (ph - 2 * bez - header - qr_px) // 2)
    phone[qy0:qy0 + qr_px, qx0:qx0 + qr_px] = qr[..., None]
    mask = np.zeros((ph, pw), np.uint8)
    r = max(2, round(8 * ppm))
    cv2.rectangle(mask, (r, 0), (pw - 1 - r, ph - 1), 255, -1)
    cv2.rectangle(mask, (0, r), (pw - 1, ph - 1 - r), 255, -1)
    for cx, cy in ((r, r), (pw - 1 - r, r), (pw - 1 - r, ph - 1 - r), (r, ph - 1 - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1, lineType=cv2.LINE_AA)
    src = _rect_src(pw, ph)
    _composite(frame, phone, mask, src, dst)

    # QR symbol corners (inside the 4-module quiet zone) mapped into the frame
    n = qr_modules(text).shape[0]
    q = 4 * qr_px / n
    m = cv2.getPerspectiveTransform(src, dst)
    qr_pts = np.float32([[qx0 + q, qy0 + q], [qx0 + qr_px - q, qy0 + q],
                         [qx0 + qr_px - q, qy0 + qr_px - q], [qx0 + q, qy0 + qr_px - q]]) - 0.5
    flags["qr_corners"] = tuple(map(tuple, cv2.perspectiveTransform(qr_pts[None], m)[0].tolist()))

    has_glare = bool(rng.random() < glare)
    if has_glare:  # a soft bright streak across the screen
        g = np.zeros((height, width), np.float32)
        c = dst.mean(0)
        ang = rng.uniform(0, math.pi)
        ln = 60 * ppm
        p0 = (int(c[0] - ln * math.cos(ang)), int(c[1] - ln * math.sin(ang)))
        p1 = (int(c[0] + ln * math.cos(ang)), int(c[1] + ln * math.sin(ang)))
        cv2.line(g, p0, p1, 1.0, max(2, int(rng.uniform(4, 10) * ppm)))
        g = cv2.GaussianBlur(g, (0, 0), 4 * ppm)
        frame += (rng.uniform(30, 70) * g)[..., None]
    flags["glare"] = has_glare

    frame = _light(rng, frame, False, flags)
    mb = float(rng.uniform(*motion_blur))
    if mb >= 1.0:
        k = int(round(mb)) | 1
        kern = np.zeros((k, k), np.float32)
        kern[k // 2, :] = 1.0 / k
        rm = cv2.getRotationMatrix2D(((k - 1) / 2, (k - 1) / 2), float(rng.uniform(0, 180)), 1.0)
        kern = cv2.warpAffine(kern, rm, (k, k))
        kern /= max(float(kern.sum()), 1e-6)
        frame = cv2.filter2D(frame, -1, kern)
    flags["motion_blur"] = mb
    sigma = float(rng.uniform(0.4, 1.0) * math.sqrt(height / 1080))
    image, jpeg = _finish(rng, frame, sigma, flags)
    return Scene(image=image, corners=tuple(map(tuple, dst.tolist())), kind="phone", desk=desk, flags=flags, jpeg=jpeg)


def render_page_code_scene(
    seed: int,
    size: tuple[int, int] = SIZE_5MP,
    text: str | None = None,
    qr_mm: float | None = None,
    desk: str | None = None,
) -> Scene:
    """An A4 page (as in :func:`render_scene`) with a QR code printed at its top right.

    QR ``qr_mm`` wide (default 24–34 mm, spec §10.2), level M, its modules rendered cleanly at the
    frame's scale and warped with the page's homography. ``flags["payload"]`` is the QR text;
    ``scene.corners`` the page corners (TL, TR, BR, BL).
    """
    width, height = size
    rng = np.random.default_rng([seed, width, height, 0xC0DE])
    desk = str(rng.choice(DESKS, p=_DESK_P)) if desk is None else desk
    flags: dict = {}
    if text is None:
        text = "https://zwfw.example.gov.cn/q/" + _random_token(rng, 10, 40)
    qr_mm = float(rng.uniform(24, 34)) if qr_mm is None else float(qr_mm)
    flags.update(payload=text, qr_mm=qr_mm)
    frame = _desk_texture(rng, desk, width, height)
    doc, mask = _render_a4(rng, False, flags)
    dst = _place(rng, "a4", width, height, flags)
    h_doc, w_doc = mask.shape
    src = _rect_src(w_doc, h_doc)
    doc_ppm = w_doc / 210.0
    # blank a white patch for the code (the text lines run there) before compositing the page
    qx_mm, qy_mm = 210 - 20 - qr_mm, 12.0
    x0, y0 = int(qx_mm * doc_ppm) - 4, int(qy_mm * doc_ppm) - 4
    x1, y1 = int((qx_mm + qr_mm) * doc_ppm) + 4, int((qy_mm + qr_mm) * doc_ppm) + 4
    doc[y0:y1, x0:x1] = doc[5, 5]
    _composite(frame, doc, mask, src, dst)

    m = cv2.getPerspectiveTransform(src, dst)  # doc px -> frame px
    page_ppm = float(np.linalg.norm(dst[1] - dst[0]) / 210.0)
    qr_px = max(8, round(qr_mm * page_ppm * 1.5))
    qr = render_code_image(qr_modules(text), qr_px)
    qr_bgr = np.repeat(qr[..., None], 3, axis=2)
    qr_bgr = np.minimum(qr_bgr, doc[5, 5][None, None, :])  # same paper tint as the page
    q_doc = np.float32([[qx_mm, qy_mm], [qx_mm + qr_mm, qy_mm], [qx_mm + qr_mm, qy_mm + qr_mm],
                        [qx_mm, qy_mm + qr_mm]]) * doc_ppm - 0.5
    q_dst = cv2.perspectiveTransform(q_doc[None], m)[0].astype(np.float32)
    _composite(frame, qr_bgr, np.full((qr_px, qr_px), 255, np.uint8), _rect_src(qr_px, qr_px), q_dst)
    flags["qr_corners"] = tuple(map(tuple, q_dst.tolist()))

    frame = _light(rng, frame, None, flags)
    sigma = float(rng.uniform(0.4, 1.2) * math.sqrt(height / 1080))
    image, jpeg = _finish(rng, frame, sigma, flags)
    return Scene(image=image, corners=tuple(map(tuple, dst.tolist())), kind="a4", desk=desk, flags=flags, jpeg=jpeg)
