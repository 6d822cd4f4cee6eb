"""`kiosk sim KIND`: serve a device simulator on a pty (or TCP port) for drivers and vendor tools.

It prints where it serves, then takes control lines on standard input until stopped
(Ctrl-C, SIGTERM, or `quit`). With standard input closed it keeps serving.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from drivers.idcard.cards import DECK
from drivers.sim.idcard import Fault, IdCardSimulator
from drivers.sim.serve import PtyServer, TcpServer

IDCARD_HELP = (
    "commands: cards | place N | lift | fault NAME [persistent] | clear | state | quit\n"
    f"faults: {', '.join(f.value for f in Fault)}"
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("idcard", help="ID card reader simulator (SAM protocol)")
    p.add_argument("--baud", type=int, default=115200, help="the reader's line rate (paces its answers)")
    p.add_argument("--delay-scale", type=float, default=1.0, help="scale the reader's processing times (0 = instant)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--link", type=Path, help="also make this symlink to the pty (a stable name)")
    where.add_argument("--tcp", type=int, metavar="PORT", help="serve on 127.0.0.1:PORT instead of a pty (0 = any)")
    p.add_argument("--card", type=int, help="place this card of the deck at start")
    p.set_defaults(handler=run_idcard)


def run_idcard(args: argparse.Namespace) -> int:
    sim = IdCardSimulator({"baud": str(args.baud), "delay_scale": str(args.delay_scale)})
    server = TcpServer(sim, port=args.tcp) if args.tcp is not None else PtyServer(sim, link=args.link)
    if isinstance(server, TcpServer):
        print(f"tcp: {server.url}  (socket://{server.host}:{server.port} for pyserial)", flush=True)
    else:
        print(f"pty: {server.path}" + (f"  link: {args.link}" if args.link else ""), flush=True)
    if args.card is not None:
        sim.place(args.card)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=_control, args=(sim, stop), daemon=True).start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        server.close()
    return 0


def _control(sim: IdCardSimulator, stop: threading.Event) -> None:
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            reply = _idcard_command(sim, words)
        except (ValueError, IndexError, KeyError) as e:
            reply = f"error: {e}\n{IDCARD_HELP}"
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
        case ["state"]:
            return f"{sim.state.value}, {sim.line_baud} bit/s, {sim.reads} reads"
        case ["quit"]:
            return "quit"
    return IDCARD_HELP
