"""The staff page: what the hall's kiosks did today, for the duty officer (not in the OpenAPI).

Protected by the staff token (HTTP Basic password, any user name, or ``?token=``). Every value
shown passes through :func:`html.escape`, because every one of them came from a kiosk. No
personal data is held to show: people appear only as keyed hashes, of which the page shows the
first 8 hex digits; event payloads are shown with any 64-hex run shortened and any
ID-number-like digit run masked, as defence in depth.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import io
import json
import os
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path as PathParam, Request
from fastapi.responses import HTMLResponse, Response
from PIL import Image

from intake.server import bundles
from intake.server.problems import ProblemError
from intake.server.state import Backend, backend

router = APIRouter(include_in_schema=False)

State = Annotated[Backend, Depends(backend)]
ShaParam = Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$")]

THUMB_PX = 240
_HEX64 = re.compile(r"\b([0-9a-f]{8})[0-9a-f]{56}\b")
_ID_LIKE = re.compile(r"(?<!\d)(\d{6})\d{8,11}([\dXx]{1,4})(?![\dXx])")  # 15/18-digit ID numbers
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
}
_ALARM_GLOBS = ("device.fault*", "locker.alarm*", "alarm.*")
_LOCKER_TYPES = ("locker.deposit", "locker.pickup", "locker.recovery")


def staff_only(request: Request, b: State) -> str | None:
    """Dependency: refuse without the staff token; returns the ?token= value to carry in links."""
    token = request.query_params.get("token")
    supplied = token
    if supplied is None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                supplied = base64.b64decode(value, validate=True).decode("utf-8").partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                supplied = None
    if supplied is None or not hmac.compare_digest(supplied.encode(), b.staff_token.encode()):
        raise ProblemError(401, "staff token required", "HTTP Basic password or ?token=",
                           headers={"WWW-Authenticate": 'Basic realm="intake staff", charset="UTF-8"'})
    return token


Staff = Annotated[str | None, Depends(staff_only)]


def e(value: object) -> str:
    """Escaped for HTML; lone surrogates (JSON allows them) replaced, or the page would not encode."""
    text = "" if value is None else str(value)
    return html.escape(text.encode("utf-8", "replace").decode("utf-8"))


def short_hash(value: str | None) -> str:
    return f"{value[:8]}…" if value else ""


def summarise(payload_json: str, limit: int = 160) -> str:
    """A stored JSON value shown compactly (stored ASCII-escaped; shown with its Chinese)."""
    try:
        text = json.dumps(json.loads(payload_json), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        text = payload_json
    text = _ID_LIKE.sub(lambda m: m.group(1) + "********" + m.group(2)[-1:], payload_json)
    text = _HEX64.sub(lambda m: m.group(1) + "…", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(headings: list[str], rows: list[list[str]], empty: str) -> str:
    """Cells arrive already escaped (some hold markup we made: a thumbnail)."""
    if not rows:
        return f'<p class="empty">{e(empty)}</p>'
    head = "".join(f"<th>{e(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@router.get("/staff", response_class=HTMLResponse)
def staff_page(token: Staff, b: State) -> HTMLResponse:
    now = b.clock()
    today = b.days.of(now)
    at = lambda ts: b.days.local(ts).strftime("%H:%M:%S")  # noqa: E731
    when = lambda ts: b.days.local(ts).strftime("%m-%d %H:%M:%S")  # noqa: E731
    db = b.db

    tickets = db.query("SELECT * FROM tickets WHERE business_day = ? ORDER BY issued_at, id LIMIT 1000", (today,))
    ticket_rows = [[f"<strong>{e(t['number'])}</strong>", e(b.catalogue.name(t["service_code"])),
                    e(t["priority"]), e(t["source"]), e(t["kiosk_id"]), e(at(t["issued_at"])), e(t["waiting"])]
                   for t in tickets]

    submissions = db.query(
        "SELECT s.*, m.size, m.complete FROM submissions s JOIN materials m USING (sha256) ORDER BY s.id DESC LIMIT 30")
    query = f"?token={quote(token, safe='')}" if token is not None else ""
    sub_rows = []
    for s in submissions:
        if s["complete"]:
            thumb = f'<img src="/staff/materials/{e(s["sha256"])}/thumb.jpg{e(query)}" alt="第1页 page 1" width="120">'
            state = "已收齐 complete"
        else:
            thumb = ""
            state = f"上传中 uploading {b.materials.state(s['sha256']).offset}/{s['size']}"
        sub_rows.append([thumb, e(when(s["created_at"])), e(s["kiosk_id"]), e(s["kind"]), e(s["pages"]),
                         e(s["verification"]), e(short_hash(s["sha256"])), e(state)])

    def event_rows(where: str, params: tuple[str, ...]) -> list[list[str]]:
        found = db.query(f"SELECT * FROM events WHERE {where} ORDER BY id DESC LIMIT 30", params)
        return [[e(when(r["time"])), e(r["kiosk_id"]), e(r["type"]), e(summarise(r["payload"]))] for r in found]

    lockers = event_rows("type IN (?, ?, ?)", _LOCKER_TYPES)
    device_alarms = event_rows(" OR ".join(["type GLOB ?"] * len(_ALARM_GLOBS)), _ALARM_GLOBS)
    server_alarms = [[e(when(a["created_at"])), e(a["kiosk_id"]), e(a["kind"]), e(summarise(a["detail"]))]
                     for a in db.query("SELECT * FROM alarms ORDER BY id DESC LIMIT 30")]
    bundle_rows = [[e(when(r["received_at"])), e(r["kiosk_id"]), e(r["technician"] or ""),
                    f'<a href="/staff/bundles/{int(r["id"])}{e(query)}" download="{e(r["name"])}">{e(r["name"])}</a>',
                    e(f'{r["size"]:,}')] for r in bundles.recent(db)]

    body = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<title>窗口受理后台 · Intake backend</title>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse;margin-bottom:1.5em}}
td,th{{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}}.empty{{color:#777}}
h2{{margin-top:1.5em}}</style></head><body>
<h1>窗口受理后台 <small>Intake backend · 营业日 business day {e(today)}</small></h1>
<h2>今日取号 Today's tickets ({len(tickets)})</h2>
{_table(["号码 Number", "业务 Service", "类别 Priority", "来源 Source", "终端 Kiosk", "时间 Time", "前面等候 Waiting"],
        ticket_rows, "今日尚无取号 No tickets yet today")}
<h2>最近提交的材料 Recent submissions</h2>
{_table(["第1页 Page 1", "时间 Time", "终端 Kiosk", "类型 Kind", "页数 Pages", "核验 Verification", "SHA-256", "状态 State"],
        sub_rows, "暂无材料 No submissions")}
<h2>智能柜存取 Locker deposits and pickups</h2>
{_table(["时间 Time", "终端 Kiosk", "事件 Event", "内容 Details"], lockers, "暂无存取 No locker events")}
<h2>设备告警 Device alarms</h2>
{_table(["时间 Time", "终端 Kiosk", "事件 Event", "内容 Details"], device_alarms, "暂无告警 No device alarms")}
<h2>后台告警 Backend alarms</h2>
{_table(["时间 Time", "终端 Kiosk", "类型 Kind", "内容 Details"], server_alarms, "暂无告警 No backend alarms")}
<h2>诊断包 Diagnostics bundles</h2>
{_table(["时间 Time", "终端 Kiosk", "技术员 Technician", "文件 File", "字节 Bytes"], bundle_rows, "暂无诊断包 No bundles")}
</body></html>"""
    return HTMLResponse(body, headers=_HEADERS)


@router.get("/staff/bundles/{bundle_id}")
def bundle_zip(bundle_id: Annotated[int, PathParam(ge=1)], token: Staff, b: State) -> Response:
    """A diagnostics bundle a kiosk sent (redacted at the kiosk: no secrets, no personal data)."""
    r = bundles.row(b.db, bundle_id)
    path = bundles.path_of(b.db, r["sha256"]) if r is not None else None
    if path is None or not path.exists():
        raise ProblemError(404, "no such bundle", "not received, or its file was removed")
    return Response(path.read_bytes(), media_type="application/zip", headers={
        "Content-Disposition": f"attachment; filename=\"{r['name']}\"", "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@router.get("/staff/materials/{sha256}/thumb.jpg")
def thumbnail(sha256: ShaParam, token: Staff, b: State) -> Response:
    content = b.materials.content_path(sha256)
    cached = b.materials.dir.parent / "thumbs" / f"{sha256}.jpg"
    if not cached.exists():
        if not content.exists():
            raise ProblemError(404, "no such material", "not held, or not complete yet")
        jpeg = first_jpeg(content)
        small = downscale(jpeg) if jpeg else None
        if small is None:
            raise ProblemError(404, "no page image", "the material has no JPEG page to show")
        cached.parent.mkdir(exist_ok=True, mode=0o700)
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(small)
        os.replace(tmp, cached)
    return Response(cached.read_bytes(), media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})


def first_jpeg(path: Path) -> bytes | None:
    """The first JPEG on page 1 of a PDF (kiosk PDFs embed page JPEGs as they are: DCTDecode)."""
    import pikepdf  # here: its import is slow and logs, and only thumbnails need it

    try:
        with pikepdf.open(path) as pdf:
            if len(pdf.pages) == 0:
                return None
            for image in pdf.pages[0].get_images().values():
                filters = image.get("/Filter")
                names = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
                if names == [pikepdf.Name.DCTDecode]:
                    return bytes(image.read_raw_bytes())
            return None
    except (pikepdf.PdfError, ValueError, OSError):
        pass
    # Not a PDF pikepdf can read: the first JPEG by its markers (SOI … EOI) is the best guess.
    data = path.read_bytes()
    start = data.find(b"\xff\xd8\xff")
    end = data.find(b"\xff\xd9", start + 3)
    return data[start:end + 2] if start >= 0 and end > start else None


def downscale(jpeg: bytes) -> bytes | None:
    try:
        with Image.open(io.BytesIO(jpeg)) as im:
            im.draft("RGB", (THUMB_PX * 2, THUMB_PX * 2))  # let libjpeg decode at a fraction of the size
            small = im.convert("RGB")
            small.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=80)
            return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
