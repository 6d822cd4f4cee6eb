"""QR code and barcode reading (document-camera spec §5).

zxing-cpp is the primary decoder (fast, reads at fewer pixels per module); pyzbar is used only as a
fallback for **1D** codes (it read more thin Code128 on the rectified page, spec §5.3), and only
when zxing-cpp found none of the requested 1D formats.

    codes = read_codes(frame, {"QRCode"})                 # phone QR on a ~960 px preview frame
    codes = read_codes(page, PAGE_FORMATS)                 # QR + Code128 on the rectified page

Format names are zxing-cpp's (``"QRCode"``, ``"Code128"``, ``"EAN13"`` ...); lookup ignores case,
spaces, dashes and underscores, so ``"qr code"`` and ``"CODE_128"`` work too. ``formats=None``
reads every format zxing-cpp supports (about 5× slower than a restricted set: restrict in
production). Text is returned as ``str``; QR payloads that carry UTF-8 bytes without an ECI header
(the ``qrcode`` package and many generators write none) are decoded as UTF-8, so Chinese content
round-trips.

Rules from the spec: never decode *printed* codes on preview frames; decode 1D codes only after
deskew (on the rectified page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp

PHONE_FORMATS = frozenset({"QRCode"})
PAGE_FORMATS = frozenset({"QRCode", "Code128"})

# zxing-cpp format name -> pyzbar symbol name, for the 1D formats zbar can read
_ZBAR_1D = {
    "Code128": "CODE128", "Code39": "CODE39", "Code93": "CODE93", "Codabar": "CODABAR",
    "EAN13": "EAN13", "EAN8": "EAN8", "UPCA": "UPCA", "UPCE": "UPCE", "ITF": "I25",
    "DataBar": "DATABAR", "DataBarExp": "DATABAR_EXP",
}
_ZBAR_TO_NAME = {v: k for k, v in _ZBAR_1D.items()}
# used when formats=None: the common 1D symbologies (zbar's DataBar decoder prints assertion noise)
_ZBAR_DEFAULT = ("Code128", "Code39", "Code93", "Codabar", "EAN13", "EAN8", "UPCA", "UPCE", "ITF")
_ECI_SYMBOLOGY_IDS = {"]Q2", "]Q4", "]Q6", "]d4", "]d5", "]d6", "]z4", "]z5", "]z6"}


@dataclass(frozen=True)
class Code:
    format: str  # zxing-cpp format name, e.g. "QRCode", "Code128"
    text: str
    corners: tuple[tuple[float, float], ...] | None = field(default=None, compare=False)
    decoder: str = field(default="zxing", compare=False)  # "zxing" | "zbar"


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


def _all_formats() -> dict[str, zxingcpp.BarcodeFormat]:
    out = {}
    for name in dir(zxingcpp.BarcodeFormat):
        val = getattr(zxingcpp.BarcodeFormat, name)
        if isinstance(val, zxingcpp.BarcodeFormat) and not name.startswith("_"):
            out[_norm(name)] = val
    return out


_FORMATS = _all_formats()
_ALIASES = {"qr": "qrcode", "code128": "code128", "ean": "ean13", "itf": "itf", "i25": "itf"}


def format_name(fmt: zxingcpp.BarcodeFormat) -> str:
    """Canonical name of a zxing-cpp format (``BarcodeFormat.QRCode`` -> ``"QRCode"``)."""
    return fmt.name


def parse_format(name: str) -> zxingcpp.BarcodeFormat:
    key = _norm(name)
    key = _ALIASES.get(key, key)
    try:
        return _FORMATS[key]
    except KeyError:
        raise ValueError(f"read_codes: unknown barcode format {name!r}") from None


def _is_1d(name: str) -> bool:
    return name in _ZBAR_1D


def _fix_text(bc) -> str:
    """Prefer a strict UTF-8 decode of the payload bytes when the symbol has no ECI header."""
    text = bc.text
    try:
        raw = bytes(bc.bytes)
    except Exception:  # pragma: no cover - defensive, old wrappers
        return text
    if not raw or raw.isascii() or bc.symbology_identifier in _ECI_SYMBOLOGY_IDS:
        return text
    try:
        utf8 = raw.decode("utf-8")
    except UnicodeDecodeError:
        return text
    return utf8


def _corners(bc) -> tuple[tuple[float, float], ...]:
    p = bc.position
    return tuple((float(q.x), float(q.y)) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))


def _to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _zbar_1d(gray: np.ndarray, names: list[str]) -> list[Code]:
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError):  # libzbar0 missing: no fallback
        return []
    symbols = [getattr(pyzbar.ZBarSymbol, _ZBAR_1D[n]) for n in names if hasattr(pyzbar.ZBarSymbol, _ZBAR_1D[n])]
    if not symbols:
        return []
    out = []
    for r in pyzbar.decode(gray, symbols=symbols):
        name = _ZBAR_TO_NAME.get(r.type)
        if name is None:
            continue
        try:
            text = r.data.decode("utf-8")
        except UnicodeDecodeError:
            text = r.data.decode("latin-1")
        pts = tuple((float(p.x), float(p.y)) for p in r.polygon) or None
        out.append(Code(name, text, pts, "zbar"))
    return out


def read_codes(
    image: np.ndarray,
    formats: set[str] | frozenset[str] | None = None,
    *,
    try_rotate: bool = True,
    try_invert: bool = True,
    fallback: bool = True,
) -> list[Code]:
    """Decode the codes in ``image`` (BGR, BGRA or gray uint8).

    ``formats``: zxing-cpp format names to look for (None = all). ``try_invert=False`` skips the
    light-on-dark pass (set it when no dark-mode phone screens are expected); ``try_rotate`` keeps
    the 90° search (keep it on rectified pages, spec §5.3). ``fallback``: run pyzbar for the
    requested 1D formats when zxing-cpp found none of them (≈60–110 ms; pass False on preview
    frames). Results are de-duplicated on (format, text), zxing-cpp first.
    """
    gray = _to_gray(np.ascontiguousarray(image))
    kwargs = dict(try_rotate=try_rotate, try_invert=try_invert)
    if formats is not None:
        fmts = [parse_format(f) for f in formats]
        if not fmts:
            return []
        kwargs["formats"] = zxingcpp.BarcodeFormats(fmts) if len(fmts) > 1 else fmts[0]
        wanted = {format_name(f) for f in fmts}
    else:
        wanted = None
    codes: list[Code] = []
    seen: set[tuple[str, str]] = set()
    for bc in zxingcpp.read_barcodes(gray, **kwargs):
        c = Code(format_name(bc.format), _fix_text(bc), _corners(bc), "zxing")
        if (c.format, c.text) not in seen:
            seen.add((c.format, c.text))
            codes.append(c)

    if fallback:
        linear = [n for n in _ZBAR_DEFAULT] if wanted is None else [n for n in wanted if _is_1d(n)]
        if linear and not any(c.format in linear for c in codes):
            for c in _zbar_1d(gray, linear):
                if (c.format, c.text) not in seen:
                    seen.add((c.format, c.text))
                    codes.append(c)
    return codes
