"""`kiosk diag idcard`: talk to an ID card reader directly, for technicians and integrators.

Exit codes: 0 done, 3 no card before the timeout, 4 device error or a card refused (rejected by
the SAM, or damaged: the message names the port, and for a damaged card the field, never its value).
A field the card type does not have is null in `--json` and left out of the text output.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

from drivers.device import DeviceEvent, DeviceState, Unsolicited
from drivers.errors import TransportError
from drivers.idcard.reader import CardProblem, CardRead, IdCardReader, ProblemCode

EXIT_OK, EXIT_NO_CARD, EXIT_DEVICE = 0, 3, 4


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("idcard", help="ID card reader (SAM protocol): status, SAM ID, read a card")
    p.add_argument("--port", help="port URL (default: the idcard device of the config)")
    p.add_argument("--baud", type=int, choices=[115200, 57600, 38400, 19200, 9600],
                   help="line rate (default: probe 115200, 57600, 38400, 19200, 9600)")
    p.add_argument("--config", help="site config to take the port from")
    p.add_argument("action", choices=["status", "sam-id", "read"])
    p.add_argument("--timeout", type=float, default=30.0, help="read: seconds to wait for a card (default 30)")
    p.add_argument("--json", action="store_true", help="read: one JSON object")
    p.add_argument("--reveal", action="store_true", help="read: show personal fields unmasked (keep off in logs!)")
    p.set_defaults(handler=run)


def _reader(args: argparse.Namespace, listener) -> IdCardReader:
    from kiosk.composition import build_idcard_for_port

    port = args.port
    if port is None:
        from devicecfg import load_config
        from drivers.device import DeviceKind

        config = load_config(args.config)
        port = next(d.port for d in config.devices if d.kind is DeviceKind.IDCARD)
    return build_idcard_for_port(port, args.baud, listener=listener)


def run(args: argparse.Namespace) -> int:
    got: list[Unsolicited] = []
    done = threading.Event()

    def listener(event: DeviceEvent) -> None:
        if isinstance(event, Unsolicited) and event.name in ("idcard.card_read", "idcard.card_rejected", "idcard.read_failed"):
            got.append(event)
            done.set()

    reader = _reader(args, listener)
    try:
        reader.open()
        if reader.state is DeviceState.HARDWARE_ERROR:
            print(f"{reader.port}: reader fault ({reader.status.sam.value}); SAM answers but is not usable", file=sys.stderr)
            return EXIT_DEVICE
        if args.action == "status":
            print(f"port      {reader.port}")
            print(f"rate      {reader.baud} bit/s")
            print(f"SAM       {reader.status.sam.value}")
            print(f"SAM ID    {reader.sam_id}")
            return EXIT_OK
        if args.action == "sam-id":
            print(reader.sam_id)
            return EXIT_OK
        return _read(reader, args, got, done)
    except TransportError as e:
        print(f"{e} (is a reader connected, powered, and at this rate?)", file=sys.stderr)
        return EXIT_DEVICE
    finally:
        reader.close()


def _read(reader: IdCardReader, args: argparse.Namespace, got: list[Unsolicited], done: threading.Event) -> int:
    reader.arm()
    deadline = time.monotonic() + args.timeout
    if not args.json:
        print("请放置证件 … (place the card on the reader)", file=sys.stderr)
    while not done.is_set():
        if time.monotonic() >= deadline:
            print(f"{reader.port}: no card within {args.timeout:g} s", file=sys.stderr)
            return EXIT_NO_CARD
        reader.poll()
        done.wait(reader.find_period)
    event = got[0]
    if isinstance(event.payload, CardProblem):
        problem = event.payload
        if problem.code is ProblemCode.CARD_DAMAGED:  # the SAM said 90: the fault is in the text
            print(f"{reader.port}: {problem.detail}. {problem.text_en} ({problem.text})", file=sys.stderr)
        else:
            print(f"{reader.port}: {problem.text_en} ({problem.text}), SW3 {problem.sw3:02X}", file=sys.stderr)
        return EXIT_DEVICE
    read: CardRead = event.payload
    fields = read.identity.reveal() if args.reveal else read.identity.masked()
    if args.json:
        print(json.dumps(fields, ensure_ascii=False))
    else:
        width = max(map(len, fields))
        for key, value in fields.items():
            if value is not None:
                print(f"{key:<{width}}  {value}")
    return EXIT_OK
