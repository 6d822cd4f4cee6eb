"""`kiosk staff-pin`: the hash of a staff PIN (or, with --card, of a staff ID-card number) for
``[[staff.accounts]]`` in the site config. The PIN is read without echo (or from stdin when it
is not a terminal) and never printed or logged; only the salted scrypt hash is."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from kiosk.services.staff_auth import PIN_MAX, PIN_MIN, hash_secret, valid_pin


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "staff-pin",
        help="print the hash of a staff PIN (or ID-card number) for [[staff.accounts]]",
        description="Reads a staff PIN (asked twice on a terminal, one line on stdin otherwise) and prints "
                    "`scrypt$<salt>$<hash>` for pin_hash. With --card, reads the staff member's ID-card "
                    "number instead and prints the hash for card_hash.",
    )
    p.add_argument("--card", action="store_true", help="hash an ID-card number (card_hash) instead of a PIN")
    p.set_defaults(handler=run)


def _read(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().strip()


def run(args: argparse.Namespace) -> int:
    what = "ID-card number" if args.card else f"PIN ({PIN_MIN}-{PIN_MAX} digits)"
    secret = _read(f"staff {what}: ")
    if sys.stdin.isatty() and _read("again: ") != secret:
        print("kiosk staff-pin: the two entries differ; nothing printed", file=sys.stderr)
        return 2
    if args.card:
        ok = len(secret.strip()) in (15, 18)
    else:
        ok = valid_pin(secret)
    if not ok:
        print(f"kiosk staff-pin: expected a {what}; nothing printed", file=sys.stderr)
        return 2
    print(hash_secret(secret))
    return 0
