"""`kiosk diag camera`: find the document, capture it straightened, or read its codes.

    kiosk diag camera --source uvc://0 detect --json
    kiosk diag camera --image form.jpg capture --out form.pdf
    kiosk diag camera --source http://127.0.0.1:8080/stream scan --json

``detect --json`` prints ``{"found", "corners", "width", "height"}``: corners TL, TR, BR, BL in source
pixels (refined at full resolution), or null. ``capture`` writes the straightened, whitened page
to ``--out`` (.jpg/.jpeg or .pdf). ``scan --json`` prints ``{"codes": [{"format", "text"}]}`` from
the whole frame and, when a document is found, from its straightened page.

Exit codes: 0 done, 2 usage, 3 nothing found (no document, or no code), 4 the source gives no
frame (the message says why).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from drivers.errors import TransportError

EXIT_OK, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_DEVICE = 0, 2, 3, 4


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("camera", help="document camera: detect the document, capture it, read codes")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--source", help="uvc://0, /dev/video0, sim://camera?scene=a4, http://H:P/stream, a folder or a video")
    where.add_argument("--image", type=Path, help="a still image file instead of a camera")
    p.add_argument("--model", default="uvc-generic", help="camera profile (resolution, dpi; default uvc-generic)")
    p.add_argument("action", choices=["detect", "capture", "scan"])
    p.add_argument("--out", type=Path, help="capture: the page to write (.jpg, .jpeg or .pdf)")
    p.add_argument("--kind", choices=["auto", "a4", "id1", "free"], default="auto", help="capture: document kind")
    p.add_argument("--mode", choices=["color", "gray", "bw"], default="color", help="capture: whitening")
    p.add_argument("--formats", default="QRCode,Code128", help="scan: comma-separated formats (zxing-cpp names)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from drivers.camera.codes import read_codes
    from drivers.camera.detect import detect_document
    from drivers.camera.pipeline import NoDocument
    from kiosk.composition import build_camera_for_source
    if args.action == "capture" and (args.out is None or args.out.suffix.lower() not in (".jpg", ".jpeg", ".pdf")):
        print("capture needs --out FILE ending in .jpg, .jpeg or .pdf", file=sys.stderr)
        return EXIT_USAGE
    if args.image is not None and not args.image.is_file():
        print(f"{args.image}: no such image file", file=sys.stderr)
        return EXIT_USAGE
    source = str(args.image.resolve()) if args.image is not None else args.source
    if "://" not in source and Path(source).exists():
        source = str(Path(source).resolve())  # a relative file or folder: config ports are absolute
    camera = build_camera_for_source(source, args.model)
    try:
        camera.open()
        frame = camera.frame(timeout=camera.settings.stall_timeout)
        if args.action == "detect":
            det = detect_document(frame.full())
            report = {"found": det.found, "corners": [[round(x, 2), round(y, 2)] for x, y in det.corners] if det.corners else None,
                      "width": frame.width, "height": frame.height}
            _print(args, report, _detect_text(report))
            return EXIT_OK if det.found else EXIT_NOT_FOUND
        if args.action == "capture":
            try:
                page = camera.capture(kind=args.kind, mode=args.mode)
            except NoDocument:
                print(f"{source}: no document found; lay it flat on the dark pad, fully in view", file=sys.stderr)
                return EXIT_NOT_FOUND
            _write_page(page, args.out, camera.output.jpeg_quality)
            report = {"out": str(args.out), "kind": page.kind, "width": page.size[0], "height": page.size[1],
                      "dpi": page.dpi, "corners": [[round(x, 2), round(y, 2)] for x, y in page.corners]}
            _print(args, report, f"{args.out}: {page.kind} page {page.size[0]}×{page.size[1]} px at {page.dpi} dpi")
            return EXIT_OK
        formats = frozenset(f.strip() for f in args.formats.split(",") if f.strip())
        try:
            codes = list(read_codes(frame.full(), formats))
        except ValueError as e:
            print(str(e), file=sys.stderr)
            return EXIT_USAGE
        try:
            codes += [c for c in camera.capture(kind=args.kind).codes if c not in codes]
        except NoDocument:
            pass
        report = {"codes": [{"format": c.format, "text": c.text} for c in codes]}
        _print(args, report, "\n".join(f"{c.format}: {c.text}" for c in codes) or "no code found")
        return EXIT_OK if codes else EXIT_NOT_FOUND
    except TransportError as e:
        print(str(e), file=sys.stderr)
        return EXIT_DEVICE
    finally:
        camera.close()


def _detect_text(report: dict) -> str:
    if not report["found"]:
        return f"no document in the {report['width']}×{report['height']} frame"
    corners = ", ".join(f"({x:.1f}, {y:.1f})" for x, y in report["corners"])
    return f"document at {corners} (TL, TR, BR, BL) in the {report['width']}×{report['height']} frame"


def _print(args: argparse.Namespace, report: dict, text: str) -> None:
    print(json.dumps(report, ensure_ascii=False) if args.json else text)


def _write_page(page, out: Path, quality: int) -> None:
    from drivers.camera.output import make_pdf

    data = page.jpeg(quality)
    if out.suffix.lower() == ".pdf":
        data = make_pdf([data], page.dpi)
    out.write_bytes(data)
