"""`kiosk sim KIND`: serve a device simulator on a pty (or TCP port) for drivers and vendor tools.

It prints where it serves, then takes control lines on standard input until stopped
(Ctrl-C, SIGTERM, or `quit`). With standard input closed it keeps serving.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from drivers.idcard.cards import DECK, TextDamage, parse_damage
from drivers.sim.base import Simulator
from drivers.sim.idcard import Fault, IdCardSimulator
from drivers.sim.serve import PtyServer, TcpServer

if TYPE_CHECKING:  # the printer pulls in numpy, Pillow and qrcode: only for `kiosk sim printer`
    from drivers.sim.printer import PrinterSimulator
    from drivers.sim.ticket_render import Ticket

IDCARD_HELP = (
    "commands: cards | place N | lift | fault NAME [persistent] | clear | pace MS | damage FIELD KIND | damage off"
    " | state | quit\n"
    f"faults: {', '.join(f.value for f in Fault)}\n"
    f"damage kinds: {', '.join(d.value for d in TextDamage)} (e.g. damage issuer surrogate)"
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("idcard", help="ID card reader simulator (SAM protocol)")
    p.add_argument("--baud", type=int, default=115200, help="the reader's line rate (paces its answers)")
    p.add_argument("--delay-scale", type=float, default=1.0, help="scale the reader's processing times (0 = instant)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--link", type=Path, help="also make this symlink to the pty (a stable name)")
    where.add_argument("--tcp", type=int, metavar="PORT", help="serve on 127.0.0.1:PORT instead of a pty (0 = any)")
    p.add_argument("--card", type=int, help="place this card of the deck at start")
    p.add_argument("--pace-ms", type=float, default=0, metavar="MS",
                   help="send every answer one byte every MS milliseconds (a slow but steady reader)")
    p.add_argument("--damage", action="append", default=[], metavar="FIELD:KIND",
                   help="serve this text field damaged on every read, e.g. issuer:surrogate (repeatable; "
                        f"KIND one of {', '.join(d.value for d in TextDamage)})")
    p.set_defaults(handler=run_idcard)
    _add_printer_parser(sub)
    _add_locker_parser(sub)
    _add_camera_parser(sub)


def run_idcard(args: argparse.Namespace) -> int:
    try:
        damage = [parse_damage(d) for d in args.damage]
    except ValueError as e:
        print(f"kiosk sim idcard: {e}", file=sys.stderr)
        return 2
    sim = IdCardSimulator({"baud": str(args.baud), "delay_scale": str(args.delay_scale), "pace_ms": str(args.pace_ms)})
    sim.set_damage(damage)
    if args.card is not None:
        sim.place(args.card)
    return _serve(sim, args, lambda words: _idcard_command(sim, words), IDCARD_HELP)


def _serve(sim: Simulator, args: argparse.Namespace, handle: Callable[[list[str]], str], help: str,
           started: Callable[[], None] = lambda: None,
           url_hint: str = "socket://{host}:{port} for pyserial") -> int:
    server = TcpServer(sim, port=args.tcp) if args.tcp is not None else PtyServer(sim, link=args.link)
    if isinstance(server, TcpServer):
        hint = url_hint.format(url=server.url, host=server.host, port=server.port)
        print(f"tcp: {server.url}  ({hint})", flush=True)
    else:
        print(f"pty: {server.path}" + (f"  link: {args.link}" if args.link else ""), flush=True)
    started()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=_control, args=(handle, help, stop), daemon=True).start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        server.close()
    return 0


def _control(handle: Callable[[list[str]], str], help: str, stop: threading.Event) -> None:
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            reply = handle(words)
        except (ValueError, IndexError, KeyError) as e:
            reply = f"error: {e}\n{help}"
        if reply == "quit":
            stop.set()
            return
        print(reply, flush=True)


def _idcard_command(sim: IdCardSimulator, words: list[str]) -> str:
    match words:
        case ["cards"]:
            return "\n".join(f"{i}: {card.label}" for i, card in enumerate(DECK))
        case ["place", n]:
            sim.place(int(n))
            return f"placed card {n}: {DECK[int(n)].label}"
        case ["lift"]:
            sim.lift()
            return "lifted"
        case ["fault", name, *rest]:
            sim.inject(Fault(name), persistent=rest == ["persistent"])
            return f"fault {name}" + (" (persistent)" if rest else " (once)")
        case ["clear"]:
            sim.clear_faults()
            return "faults cleared"
        case ["pace", ms]:
            sim.set_pace(float(ms))
            return f"pace {float(ms):g} ms per byte" if float(ms) else "pace off"
        case ["damage", "off"]:
            sim.set_damage([])
            return "damage off"
        case ["damage", field, kind]:
            sim.set_damage([*sim.damage, parse_damage(f"{field}:{kind}")])
            return "damage " + ", ".join(f"{f}:{k.value}" for f, k in sim.damage)
        case ["state"]:
            damage = ", ".join(f"{f}:{k.value}" for f, k in sim.damage) or "none"
            return f"{sim.state.value}, {sim.line_baud} bit/s, {sim.reads} reads, pace {sim.pace * 1000:g} ms, damage {damage}"
        case ["quit"]:
            return "quit"
    return IDCARD_HELP


# -- printer ------------------------------------------------------------------------------------
PRINTER_HELP = (
    "commands: paper ok|near_end|out | paper_left MM | cover open|closed | cutter error|ok|jam | "
    "offline | online | feed | tear | power | tickets | state | quit"
)


def _add_printer_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("printer", help="ESC/POS ticket printer simulator (Chinese mode, status, cutter faults)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--link", type=Path, help="also make this symlink to the pty (a stable name)")
    where.add_argument("--tcp", type=int, metavar="PORT", help="serve on 127.0.0.1:PORT instead of a pty (0 = any; printers use 9100)")
    p.add_argument("--out", type=Path, help="directory for the rendered tickets, NNNN.png + NNNN.txt (default: a new temp dir)")
    p.add_argument("--baud", type=int, default=0, help="pace the printer's replies at this line rate (0 = unpaced)")
    p.add_argument("--width", type=int, default=576, help="printable width in dots: 576 = 80 mm, 384 = 58 mm")
    p.add_argument("--no-cutter", action="store_true", help="a printer without a cutter: GS V is ignored")
    p.add_argument("--charset", choices=["gb18030", "gbk", "gb2312"], default="gb18030",
                   help="the font's repertoire; other characters print as a hollow box")
    p.add_argument("--speed", type=float, default=250, metavar="MM_PER_S", help="paper speed (0 = instant)")
    p.add_argument("--cut-ms", type=float, default=300, help="time per cut")
    p.add_argument("--no-dc4", action="store_true", help="do not implement DLE DC4 8 (many clones lack it)")
    p.set_defaults(handler=run_printer)


def run_printer(args: argparse.Namespace) -> int:
    from drivers.sim.printer import PrinterSimulator

    options = {
        "baud": str(args.baud), "width": str(args.width), "cutter": "no" if args.no_cutter else "yes",
        "charset": args.charset, "speed": str(args.speed), "cut_ms": str(args.cut_ms),
        "dc4": "no" if args.no_dc4 else "yes",
    }
    if args.out:
        options["out"] = str(args.out)
    sim = PrinterSimulator(options)
    sim.on_ticket = lambda t: print(f"ticket {_ticket_line(t)}", flush=True)
    try:
        return _serve(sim, args, lambda words: _printer_command(sim, words), PRINTER_HELP,
                      started=lambda: print(f"out: {sim.out}", flush=True))
    finally:
        sim.close()


def _ticket_line(t: Ticket) -> str:
    state = "complete" if t.complete else "INCOMPLETE"
    extra = (", held" if t.held else "") + (f", {len(t.missing)} missing glyph(s)" if t.missing else "")
    first = next((line for line in t.lines if line), "")
    return f"{t.png}  {t.end.value}, {state}{extra}, {len(t.lines)} lines: {first}"


def _printer_command(sim: PrinterSimulator, words: list[str]) -> str:
    from drivers.sim.printer import Paper

    match words:
        case ["paper", state]:
            sim.set_paper(Paper(state))
            return f"paper {state}"
        case ["paper_left", mm]:
            sim.set_paper_left(float(mm))
            return f"the roll ends after {float(mm):g} mm"
        case ["cover", ("open" | "closed") as state]:
            sim.set_cover(state == "open")
            return f"cover {state}"
        case ["cutter", ("error" | "ok") as state]:
            sim.set_cutter_error(state == "error")
            return f"cutter {state}"
        case ["cutter", "jam"]:
            sim.jam_next_cut()
            return "the next cut jams"
        case ["offline" | "online" as state]:
            sim.set_offline(state == "offline")
            return state
        case ["feed"]:
            sim.press_feed()
            return "feed"
        case ["power"]:
            sim.power_cycle()
            return "power cycled: buffers cleared, modes reset"
        case ["tear"]:
            ticket = sim.tear_off()
            return "torn off" if ticket else "nothing printed to tear off"
        case ["tickets"]:
            return "\n".join(_ticket_line(t) for t in sim.tickets) or "no tickets"
        case ["state"]:
            s = sim.status()
            flags = [f"paper {s.paper.value}", "cover open" if s.cover_open else "cover closed"]
            flags += ["CUTTER ERROR"] if s.cutter_error else []
            flags += ["forced offline"] if s.forced_offline else []
            return (f"{'online' if s.online else 'OFFLINE'}: {', '.join(flags)}; {s.buffered_ops} commands buffered; "
                    f"{s.tickets} tickets, {s.cuts} cuts; {s.unknown_commands} unknown commands")
        case ["quit"]:
            return "quit"
    return PRINTER_HELP


# -- lockers ------------------------------------------------------------------------------------
LOCKER_HELP = (
    "commands: close B L | open B L (forced, no command) | put B L | take B L | jam B L | unjam B L | "
    "offline B | online B | corrupt | late B LO-HI|off | dup B P | lost B P | truncated B P | "
    "unlocks B L | state | quit"
)


def _add_locker_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("locker", help="RS-485 lock-board bus simulator (Kerong KR-CU or 8A/80 BCC boards)")
    p.add_argument("--protocol", choices=["kerong-cu", "bcc-8a"], default="kerong-cu")
    p.add_argument("--boards", type=int, default=2, help="boards on the bus (consecutive addresses)")
    p.add_argument("--first", type=int, help="first board address (default 0 for Kerong, 1 for 8A/80)")
    p.add_argument("--locks", type=int, help="locks per board (default 16 Kerong, 24 8A/80)")
    p.add_argument("--baud", type=int, help="pace the boards' replies (default 19200 Kerong, 9600 8A/80)")
    p.add_argument("--reply-ms", type=float, default=20, help="a board's processing time before it answers")
    p.add_argument("--late-ms", metavar="LO-HI", help="replies come LO..HI ms after their command (a slow board, a noisy line)")
    p.add_argument("--dup", type=float, help="probability that a reply is sent twice")
    p.add_argument("--lost", type=float, help="probability that a reply is never sent")
    p.add_argument("--truncated", type=float, help="probability that a reply is cut short")
    p.add_argument("--fault-boards", metavar="A,B", help="the boards with these faults (default all)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--link", type=Path, help="also make this symlink to the pty (a stable name)")
    where.add_argument("--tcp", type=int, metavar="PORT", help="serve on 127.0.0.1:PORT (e.g. behind a serial-to-TCP bridge)")
    p.set_defaults(handler=run_locker)


def run_locker(args: argparse.Namespace) -> int:
    from drivers.sim.locker import LockerBusSimulator

    options = {"protocol": args.protocol, "boards": str(args.boards), "reply_ms": str(args.reply_ms)}
    for key in ("first", "locks", "baud", "late_ms", "dup", "lost", "truncated", "fault_boards"):
        if getattr(args, key) is not None:
            options[key] = str(getattr(args, key))
    try:
        sim = LockerBusSimulator(options)
    except ValueError as e:  # names the option and what it takes
        print(e, file=sys.stderr)
        return 2
    return _serve(sim, args, lambda words: _locker_command(sim, words), LOCKER_HELP)


def _locker_command(sim, words: list[str]) -> str:
    from dataclasses import replace

    from drivers.locker.types import Door
    from drivers.sim.locker import ReplyFaults

    match words:
        case ["late" | "dup" | "lost" | "truncated" as fault, board, value]:
            b = int(board)
            parsed = ReplyFaults.parse(**{"late_ms" if fault == "late" else fault: value})
            attr = {"late": "late", "dup": "duplicate", "lost": "lost", "truncated": "truncated"}[fault]
            sim.set_faults(b, replace(sim.faults(b), **{attr: getattr(parsed, attr)}))
            return f"board {b}: {sim.faults(b)}"
        case ["unlocks", board, lock]:
            return f"board {board} lock {lock}: {len(sim.unlocks(int(board), int(lock)))} unlock frames"
        case ["close" | "open" | "put" | "take" | "jam" | "unjam" as verb, board, lock]:
            b, n = int(board), int(lock)
            action = {
                "close": lambda: sim.close_door(b, n), "open": lambda: sim.open_door(b, n),
                "put": lambda: sim.put_item(b, n), "take": lambda: sim.take_item(b, n),
                "jam": lambda: sim.jam(b, n, True), "unjam": lambda: sim.jam(b, n, False),
            }[verb]
            action()
            return f"{verb} board {b} lock {n}: door {sim.door(b, n).value}"
        case ["offline" | "online" as state, board]:
            sim.set_board_offline(int(board), state == "offline")
            return f"board {board} {state}"
        case ["corrupt"]:
            sim.corrupt_next_reply()
            return "the next reply is corrupted"
        case ["state"]:
            opened = [f"{b}/{n}" for b in sorted(sim.boards) for n in range(1, sim.locks_per_board + 1) if sim.door(b, n) is Door.OPEN]
            return f"open doors: {', '.join(opened) or 'none'}"
        case ["quit"]:
            return "quit"
    return LOCKER_HELP


CAMERA_HELP = (
    "commands: place a4|id1 [SEED] [DESK] | phone [TEXT] | clear | stall | resume | state | quit\n"
    "desks: wood, dark, grey, beige"
)


def _add_camera_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("camera", help="document camera simulator (MJPEG over HTTP, synthetic desk scenes)")
    p.add_argument("--tcp", type=int, metavar="PORT", default=0, help="serve on 127.0.0.1:PORT (0 = any)")
    p.add_argument("--size", default="1920x1080", help="frame size WIDTHxHEIGHT (e.g. 2592x1944 for 5 MP)")
    p.add_argument("--fps", type=float, default=15.0)
    p.add_argument("--scene", choices=["none", "a4", "id1", "phone"], default="none", help="what lies there at start")
    p.set_defaults(handler=run_camera, link=None)


def run_camera(args: argparse.Namespace) -> int:
    from drivers.sim.camera import CameraSimulator

    sim = CameraSimulator({"size": args.size, "fps": str(args.fps), "scene": args.scene})
    return _serve(sim, args, lambda words: _camera_command(sim, words), CAMERA_HELP, url_hint="camera source http://{host}:{port}/stream")


def _camera_command(sim, words: list[str]) -> str:
    match words:
        case ["place", "a4" | "id1" as kind, *rest]:
            seed = int(rest[0]) if rest else 0
            scene = sim.place(kind, seed, desk=rest[1] if len(rest) > 1 else None)
            return f"placed {kind} (seed {seed}) on the {scene.desk} desk"
        case ["phone", *text]:
            sim.show_phone(" ".join(text) or None)
            return "phone with a QR code under the camera"
        case ["clear"]:
            sim.clear()
            return "desk cleared"
        case ["stall" | "resume" as verb]:
            sim.stall(verb == "stall")
            return "frames stopped" if verb == "stall" else "frames resumed"
        case ["state"]:
            scene = sim.scene
            return f"{scene.kind} on the {scene.desk} desk, {sim.frames_sent} frames sent"
        case ["quit"]:
            return "quit"
    return CAMERA_HELP
