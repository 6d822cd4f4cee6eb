"""The simulated hall's control page: play the citizen, the staff and the hardware from a browser.

When the kiosk runs with simulated devices (``sim://`` ports), ``kiosk run`` serves this page on
loopback only (it logs the URL): lay or lift a card of the synthetic deck on the ID reader, put a
document scene or a phone with a QR code under the camera, close locker doors and put or take
items, put the printer out of paper or open its cover, and see the printed tickets as images.
Anyone can then try every journey without hardware. Each state change is a POST carrying this
run's token (a page from elsewhere cannot drive it); the deck holds synthetic people only.

FastAPI is imported only when the page is served: `kiosk run` imports this module for
`uses_simulators`, and a terminal's kiosk process does without FastAPI (bench/memory.py). No
``from __future__ import annotations`` here: the endpoints' annotations must be the classes
themselves, as FastAPI resolves string annotations in the module's globals, which lack them.
"""

import html
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from drivers.idcard.cards import DECK
from drivers.locker.types import Door
from drivers.sim import registry

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)


def _sims(kind: str):
    return registry.simulator_for(kind, {})


def create_control_app(token: str | None = None) -> "FastAPI":
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

    token = token or secrets.token_urlsafe(16)
    app = FastAPI(title="simulated hall control", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.token = token

    actions: dict[str, Callable[[dict[str, str]], None]] = {
        "card_place": lambda f: _sims("idcard").place(int(f["card"])),
        "card_lift": lambda f: _sims("idcard").lift(),
        "camera_place": lambda f: _sims("camera").place(f["kind"], int(f.get("seed") or 0)),
        "camera_phone": lambda f: _sims("camera").show_phone(f.get("text") or None),
        "camera_clear": lambda f: _sims("camera").clear(),
        "door_close": lambda f: _sims("locker").close_door(int(f["board"]), int(f["lock"])),
        "item_put": lambda f: _sims("locker").put_item(int(f["board"]), int(f["lock"])),
        "item_take": lambda f: _sims("locker").take_item(int(f["board"]), int(f["lock"])),
        "paper": lambda f: _sims("printer").set_paper(f["state"]),
        "cover": lambda f: _sims("printer").set_cover(f["state"] == "open"),
    }

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return _page(app.state.token)

    @app.post("/do/{action}")
    async def do(action: str, request: Request) -> RedirectResponse:
        # a plain urlencoded form, parsed here (no multipart parser needed for a few fields)
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if not secrets.compare_digest(form.get("t", ""), app.state.token):
            raise HTTPException(403, "wrong control token")
        if action not in actions:
            raise HTTPException(404, "no such action")
        try:
            actions[action](form)
        except (ValueError, KeyError, IndexError) as e:
            raise HTTPException(422, f"{action}: {e}") from None
        return RedirectResponse("/", status_code=303)

    @app.get("/tickets/{number}.png")
    def ticket_image(number: int) -> FileResponse:
        for ticket in _sims("printer").tickets:
            if ticket.number == number:
                return FileResponse(ticket.png, media_type="image/png")
        raise HTTPException(404, "no such ticket")

    return app


def _form(token: str, action: str, label: str, **fields: str) -> str:
    hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(str(v))}">' for k, v in fields.items())
    return (f'<form method="post" action="/do/{action}"><input type="hidden" name="t" value="{token}">{hidden}'
            f'<button>{html.escape(label)}</button></form>')


def _page(token: str) -> str:
    e = html.escape
    parts = ["<h2>身份证阅读器 · ID card reader</h2><div class=row>"]
    for i, card in enumerate(DECK):
        parts.append(_form(token, "card_place", f"放卡 {i}: {card.label}", card=str(i)))
    parts.append(_form(token, "card_lift", "取走证件 · lift"))
    parts.append("</div><h2>高拍仪 · document camera</h2><div class=row>")
    for kind, label in (("a4", "A4 文件"), ("id1", "身份证")):
        for seed in (0, 1, 2):
            parts.append(_form(token, "camera_place", f"{label} #{seed}", kind=kind, seed=str(seed)))
    parts.append(_form(token, "camera_phone", "手机二维码 · phone QR (YY0001)", text="YY0001"))
    parts.append(_form(token, "camera_clear", "清空桌面 · clear"))
    parts.append("</div><h2>智能柜 · lockers</h2><div class=row>")
    try:
        locker = _sims("locker")
        for board in sorted(locker.boards):
            for lock in range(1, locker.locks_per_board + 1):
                if locker.door(board, lock) is Door.OPEN:
                    parts.append(f"<span>板 {board} 锁 {lock}: 门开 · open</span>")
                    parts.append(_form(token, "item_put", "放入 · put item", board=str(board), lock=str(lock)))
                    parts.append(_form(token, "item_take", "取出 · take item", board=str(board), lock=str(lock)))
                    parts.append(_form(token, "door_close", "关门 · close", board=str(board), lock=str(lock)))
        parts.append("<span>(open doors appear here)</span>")
    except Exception:  # no locker in this hall
        parts.append("<span>no locker simulator</span>")
    parts.append("</div><h2>打印机 · printer</h2><div class=row>")
    for state, label in (("ok", "纸卷正常 · paper ok"), ("near_end", "纸将尽 · near end"), ("out", "缺纸 · paper out")):
        parts.append(_form(token, "paper", label, state=state))
    parts.append(_form(token, "cover", "开盖 · cover open", state="open"))
    parts.append(_form(token, "cover", "合盖 · cover closed", state="closed"))
    parts.append("</div><div class=tickets>")
    try:
        for ticket in reversed(_sims("printer").tickets[-12:]):
            parts.append(f'<figure><img src="/tickets/{ticket.number}.png" alt="ticket {ticket.number}">'
                         f"<figcaption>#{ticket.number} {e(ticket.end.value)}</figcaption></figure>")
    except Exception:
        parts.append("<span>no printer simulator</span>")
    parts.append("</div>")
    return ("<!doctype html><html lang=zh><meta charset=utf-8><meta http-equiv=refresh content=5>"
            "<title>模拟大厅控制台</title><style>body{font-family:sans-serif;margin:2em}"
            ".row{display:flex;flex-wrap:wrap;gap:.5em;align-items:center}"
            "button{font-size:1em;padding:.4em .8em}.tickets{display:flex;gap:1em;flex-wrap:wrap}"
            "img{max-width:260px;border:1px solid #ccc}</style>"
            "<h1>模拟大厅控制台 · Simulated hall control</h1>" + "".join(parts) + "</html>")


def uses_simulators(config) -> bool:
    return any(d.port.startswith("sim://") for d in config.devices if d.enabled)


class ControlServer:
    """The control page on loopback in a daemon thread (uvicorn), for `kiosk run` on a simulated hall."""

    def __init__(self, port: int = 8780) -> None:
        import socket
        import threading

        import uvicorn

        self.app = create_control_app()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:  # taken: any free port (the URL is logged)
            sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name="sim-control",
                                        daemon=True)
        self._thread.start()
        log.info("simulated hall control page", extra={"url": self.url})

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)
