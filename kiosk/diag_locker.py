"""`kiosk diag locker`: the boards on one RS-485 line, their doors and item sensors; open a lock.

Exit codes: 0 done (for `open`: the door was seen open), 4 no board answers, 5 the door was not
seen open (the message names board, lock and what was seen). `open` sends the unlock frame once,
whatever the board answers; replies that came late, stale or garbled are counted and reported.
"""

from __future__ import annotations

import argparse
import json
import sys

from drivers.errors import TransportError
from drivers.locker.bus import LockerBus, Protocol

EXIT_OK, EXIT_DEVICE, EXIT_NOT_OPENED = 0, 4, 5


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("locker", help="lock boards on an RS-485 line: status, open a lock")
    p.add_argument("--port", required=True, help="port URL, e.g. /dev/kiosk/locker0, socket://bridge:5000")
    p.add_argument("--protocol", required=True, choices=[x.value for x in Protocol])
    p.add_argument("--board", type=int, action="append",
                   help="board address (repeatable; default 0 and 1 for Kerong, 1 and 2 for 8A/80)")
    p.add_argument("--locks", type=int, help="locks per board (default from the family)")
    p.add_argument("action", choices=["status", "open"])
    p.add_argument("lock", type=int, nargs="?", help="open: the lock number (from 1) on the first --board")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.composition import build_locker_for_port

    protocol = Protocol(args.protocol)
    boards = args.board or ([0, 1] if protocol is Protocol.KERONG_CU else [1, 2])
    if args.action == "open" and args.lock is None:
        print("open needs a LOCK number", file=sys.stderr)
        return 2
    bus = build_locker_for_port(args.port, protocol, boards, args.locks)
    try:
        bus.open()
        if args.action == "open":
            result = bus.unlock(boards[0], args.lock)
            if args.json:
                print(json.dumps({"board": boards[0], "lock": args.lock, "opened": result.opened, "door": result.door.value,
                                  "answered": result.answered}))
            else:
                print(result.detail)
            if not result.opened:
                print(f"{args.port}: {result.detail}", file=sys.stderr)
                return EXIT_NOT_OPENED
            return EXIT_OK
        report = {"protocol": protocol.value, "boards": [
            {"board": b, "online": bus.board_online(b), "locks": [
                {"lock": n, "door": bus.door(b, n).value, "item": bus.item(b, n).value}
                for n in range(1, bus.locks_of(b) + 1)]}
            for b in boards]}
        if args.json:
            print(json.dumps(report))
        else:
            for board in report["boards"]:
                opened = [str(x["lock"]) for x in board["locks"] if x["door"] == "open"]
                print(f"board {board['board']}: {'online' if board['online'] else 'OFFLINE'}; open: {', '.join(opened) or 'none'}")
        return EXIT_OK
    except TransportError as e:
        print(f"{e} (right port, protocol, baud and board addresses?)", file=sys.stderr)
        return EXIT_DEVICE
    finally:
        _line_quality(bus, args.port)
        bus.close()


def _line_quality(bus: LockerBus, port: str) -> None:
    """Say so on stderr when the line misbehaved, for the technician choosing what to check."""
    counts = bus.stats.snapshot()
    late, stale, errors = counts["late_replies"], counts["stale_replies"], counts["protocol_errors"]
    if late or stale or errors:
        print(f"{port}: {late} late replies (after the {bus.timings.command:g} s command timeout; used), {stale} stale "
              f"replies and {errors} garbled frames (discarded): a slow board or a noisy line; check the wiring, "
              f"termination and grounding", file=sys.stderr)
