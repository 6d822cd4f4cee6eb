"""`kiosk lockers`: deposit, pickup, list and recover on the configured site without the touch
screen (staff facing a broken screen, scripts), through the same ledger, lock-board driver,
audit trail and outbox as the screens.

* Every verb first finishes what a crash interrupted (the start-up reconcile, which never
  unlocks), then does its one operation.
* One at a time: a lock file in the data directory keeps two calls apart, the lock-board port is
  opened exclusively (a running `kiosk run` holds it), and a busy database is not waited out:
  each of these exits 4 with what is held.
* Events for the backend go through the outbox in the operation's own transaction; before it
  exits the call delivers what is pending to ``backend.url`` with ``backend.credentials`` for at
  most ``backend.timeout_s``. What the backend did not take stays in the outbox for the kiosk's
  sender (or the next call): the backend dedupes by key, so nothing arrives twice.
* The pickup code is printed only with ``--reveal``; a code, an ID number or a case number given
  as ``-`` is read from standard input (no process list, no shell history).
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import errno
import fcntl
import getpass
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devicecfg.schema import KioskConfig
    from kiosk.backend.outbox import Outbox
    from kiosk.lockers import Lockers
    from kiosk.store import Store


class Exit(enum.IntEnum):
    """The exit statuses (README, "kiosk lockers")."""

    OK = 0
    REFUSED = 1  # nothing was unlocked: no free compartment, wrong or spent code, unknown case…
    USAGE = 2  # bad arguments or config, or a site without lock boards `kiosk lockers` can reach
    FAULT = 3  # the hardware needs staff: door did not open / left open, no item seen, board silent
    BUSY = 4  # the lock-board port, the database or another `kiosk lockers` call holds the site
    BACKEND = 5  # a deposit's case could not be checked with the backend: try again later


MASK = "******"
LOCK_FILE = "lockers.lock"


class Stop(Exception):
    """End the call with this status and message (on stderr)."""

    def __init__(self, status: Exit, message: str) -> None:
        super().__init__(message)
        self.status = status


def add_parser(sub: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="site config TOML (default: the bundled simulated hall)")
    common.add_argument("--data-dir", type=Path, help="state directory (default: $STATE_DIRECTORY or ~/.local/share/kiosk)")
    common.add_argument("--json", action="store_true", help="print one JSON object (scripts)")
    p = sub.add_parser("lockers", help="deposit, pickup, list and recover at the locker without the touch screen",
                       description="Exit status: 0 done, 1 refused (nothing unlocked), 2 usage or config, "
                                   "3 hardware needs staff, 4 port/database/another call busy, 5 case not checkable with the backend.")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    d = verbs.add_parser("deposit", parents=[common], help="open a free compartment for a case; prints its number")
    d.add_argument("--case", required=True, help="the case (办件) number; '-' reads it from stdin")
    d.add_argument("--size", required=True, choices=["S", "M", "L"], type=str.upper, help="smallest compartment size")
    d.add_argument("--recipient-id", metavar="ID_NUMBER", help="the recipient's ID number, for pickup by ID card "
                   "(kept only as a keyed hash); '-' reads it from stdin")
    d.add_argument("--reveal", action="store_true", help="print the pickup code (masked otherwise)")
    pk = verbs.add_parser("pickup", parents=[common], help="open the compartment of a pickup code or ID number")
    how = pk.add_mutually_exclusive_group(required=True)
    how.add_argument("--code", help="the 6-digit pickup code; '-' reads it from stdin")
    how.add_argument("--id-number", help="the recipient's ID number; '-' reads it from stdin")
    verbs.add_parser("list", parents=[common], help="compartments, their states and overdue deposits (no personal data)")
    r = verbs.add_parser("recover", parents=[common], help="staff take back the deposit in a compartment")
    r.add_argument("compartment", type=int, help="compartment number as the config numbers it")
    r.add_argument("--cabinet", help="the cabinet id, when two cabinets use the same numbers")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        with open_site(args.config, args.data_dir) as site:
            site.lockers.reconcile()
            status, out = VERBS[args.verb](site, args)
            note = site.deliver()  # also after a fault: its alarms and events are recorded
    except Stop as e:
        out, status, note = {"error": str(e)}, e.status, ""
    out["exit"] = int(status)
    if args.json:
        print(json.dumps({k: v for k, v in out.items() if k != "text"}, ensure_ascii=False))
    elif "text" in out and status is Exit.OK:
        print(out["text"])
    if status is not Exit.OK:
        print(f"kiosk lockers {args.verb}: {out['error']}", file=sys.stderr)
    if note:
        print(f"kiosk lockers {args.verb}: {note}", file=sys.stderr)
    return int(status)


def _secret_arg(value: str | None, what: str) -> str | None:
    if value != "-":
        return value
    line = sys.stdin.readline().strip()
    if not line:
        raise Stop(Exit.USAGE, f"expected the {what} on standard input")
    return line


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (a container): the uid still names who
        return f"cli:uid{os.getuid()}"


# -- the site --------------------------------------------------------------------------------------
@dataclass
class Site:
    config: KioskConfig
    directory: Path
    store: Store
    outbox: Outbox
    lockers: Lockers

    def backend_client(self):
        """The backend as the kiosk reaches it: backend.url with this kiosk's credentials."""
        from kiosk.backend.client import BackendClient
        from kiosk.composition import backend_secret

        b = self.config.backend
        return BackendClient(b.url, self.config.kiosk.id, backend_secret(self.config, self.directory),
                             ca_bundle=b.ca_bundle, timeout=b.timeout_s)

    def deliver(self) -> str:
        """Send the outbox to the backend for at most backend.timeout_s; a note if some is left."""
        from kiosk.backend.client import BackendError
        from kiosk.backend.sender import Sender

        if self.outbox.stats().pending == 0:
            return ""
        later = "the kiosk's sender (or the next `kiosk lockers` call) delivers them"
        b = self.config.backend
        if b.start_reference_server:
            return f"{self.outbox.stats().pending} event(s) wait for the backend: {later}"
        client = self.backend_client()
        sender = Sender(self.outbox, client)
        deadline = time.monotonic() + b.timeout_s
        try:
            while time.monotonic() < deadline and sender.deliver_once():
                pass
        except BackendError as e:
            return f"{self.outbox.stats().pending} event(s) not delivered ({e}): {later}"
        finally:
            client.close()
        pending = self.outbox.stats().pending
        return f"{pending} event(s) wait for the backend: {later}" if pending else ""


@contextlib.contextmanager
def open_site(config_file: Path | None, data: Path | None) -> Iterator[Site]:
    from devicecfg import ConfigError, load_config
    from drivers.device import DeviceKind
    from drivers.errors import TransportError
    from kiosk.paths import data_dir

    try:
        config = load_config(config_file)
    except ConfigError as e:
        raise Stop(Exit.USAGE, str(e)) from None
    used = {b.device for cab in config.cabinets for b in cab.boards}
    lines = [d for d in config.devices if d.kind is DeviceKind.LOCKER and d.enabled and d.id in used]
    if not config.cabinets or not lines:
        raise Stop(Exit.USAGE, "this site has no [[cabinets]] on an enabled lock-board line")
    for d in lines:
        if d.port.startswith("sim://"):
            raise Stop(Exit.USAGE, f"device {d.id}: {d.port} is a simulator inside `kiosk run` and lives only "
                                   "there; serve boards with `kiosk sim locker` and put its pty in the config")
    directory = data_dir(data, config.kiosk.data_dir)
    try:
        with _site(config, directory, lines) as site:
            yield site
    except TransportError as e:
        raise Stop(Exit.FAULT, f"the lock boards stopped answering: {e}") from None
    except sqlite3.OperationalError as e:
        if "locked" in str(e) or "busy" in str(e):
            raise Stop(Exit.BUSY, f"{directory / 'kiosk.sqlite3'}: the database is in use by another process") from None
        raise


@contextlib.contextmanager
def _site(config: KioskConfig, directory: Path, lines: list) -> Iterator[Site]:
    from drivers.errors import TransportError
    from kiosk.backend.outbox import Outbox
    from kiosk.bus import EventBus
    from kiosk.composition import build_locker, build_lockers
    from kiosk.store import Store, StoreError

    with contextlib.ExitStack() as stack:
        stack.enter_context(_call_lock(directory / LOCK_FILE))
        for d in lines:
            _port_free(d.port)
        try:
            store = Store(directory / "kiosk.sqlite3")
        except StoreError as e:
            raise Stop(Exit.USAGE, str(e)) from None
        stack.callback(store.close)
        buses = []
        for d in lines:
            bus = build_locker(d, config)
            stack.callback(bus.close)
            try:
                bus.open()
            except TransportError as e:
                busy = "in use" in str(e)
                raise Stop(Exit.BUSY if busy else Exit.FAULT, f"lock-board line {d.id}: {e}") from None
            buses.append(bus)
        outbox = Outbox(store, config.backend.outbox_budget_mb * 1024 * 1024)
        lockers = build_lockers(config, buses, store, EventBus(), directory, outbox)
        if lockers is None:
            raise Stop(Exit.USAGE, "no compartment of this site sits on a lock-board line")
        yield Site(config, directory, store, outbox, lockers)


@contextlib.contextmanager
def _call_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Stop(Exit.BUSY, f"another `kiosk lockers` call is running (it holds {path})") from None
        yield  # the lock goes with the file, also when the process is killed


def _port_free(port: str) -> None:
    """A device path held by another process (flock, as pyserial's exclusive=True takes it):
    busy. The probe lets go at once; the driver then opens it exclusively for the call."""
    if "://" in port:
        return
    try:
        fd = os.open(port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.EBUSY:
            raise Stop(Exit.BUSY, f"{port}: the lock-board port is in use by another process") from None
        return  # not found, no permission…: the driver's open says it with the port named
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise Stop(Exit.BUSY, f"{port}: the lock-board port is in use by another process "
                              "(a running `kiosk run`? stop it first)") from None
    finally:
        os.close(fd)


# -- the verbs ------------------------------------------------------------------------------------
Outcome = tuple[Exit, dict[str, Any]]


def _exit_for(status) -> Exit:
    from kiosk.lockers import Status

    if status is Status.OK:
        return Exit.OK
    refused = (Status.NO_COMPARTMENT, Status.WRONG_CODE, Status.NOT_FOUND, Status.LOCKED_OUT)
    return Exit.REFUSED if status in refused else Exit.FAULT


def deposit(site: Site, args: argparse.Namespace) -> Outcome:
    from kiosk.lockers import DepositState
    from kiosk.logs import SENSITIVE
    from kiosk.services.staff import CaseCheck, validate_case

    case = (_secret_arg(args.case, "case number") or "").strip().upper()
    recipient = _secret_arg(args.recipient_id, "ID number")
    with SENSITIVE.holding(case, *([recipient] if recipient else [])):
        lk = site.lockers
        already = lk.ledger.deposit_infos("case_number = ? AND state IN (?, ?)",
                                          (case, DepositState.ACTIVE.value, DepositState.PENDING.value))
        if already:
            where = already[0]
            raise Stop(Exit.REFUSED, f"this case is already in compartment {where.number} (deposit {where.id}); "
                                     "nothing was opened")
        client = site.backend_client()
        try:
            check = validate_case(client, case)
        finally:
            client.close()
        if check is CaseCheck.OFFLINE:
            raise Stop(Exit.BACKEND, f"the backend ({site.config.backend.url}) does not answer: the case cannot be checked, "
                                     "nothing was opened; try again later")
        if check is CaseCheck.BACKEND_ERROR:
            raise Stop(Exit.BACKEND, "the backend cannot be asked (credentials, clock or contract: see the log); "
                                     "nothing was opened")
        if check is not CaseCheck.VALID:
            raise Stop(Exit.REFUSED, f"the backend refuses this case ({check.value}); nothing was opened")
        result = lk.deposit(_actor(), case, args.size, recipient_id=recipient)
        try:
            out: dict[str, Any] = {"status": result.status.value, "compartment": result.number,
                                   "cabinet": result.cabinet}
            if result.code is None:
                return _outcome(result.status, out, result.message)
            out["code"] = result.code if args.reveal else MASK
            out["text"] = f"compartment {result.number}\ncode {out['code']}"
            return Exit.OK, out
        finally:
            result.forget()


def _outcome(status, out: dict[str, Any], message: str) -> Outcome:
    code = _exit_for(status)
    if code is not Exit.OK:
        out["error"] = f"{message or status.value} ({status.value})"
    return code, out


def pickup(site: Site, args: argparse.Namespace) -> Outcome:
    lk = site.lockers
    if args.code is not None:
        result = lk.pickup_by_code(_secret_arg(args.code, "pickup code") or "")
    else:
        result = lk.pickup_by_id(_secret_arg(args.id_number, "ID number") or "")
    out = {"status": result.status.value, "compartment": result.number, "cabinet": result.cabinet}
    if result.retry_after_s:
        out["retry_after_s"] = round(result.retry_after_s, 1)
    code, out = _outcome(result.status, out, result.message)
    out["text"] = f"compartment {result.number} opened and shut again"
    return code, out


def recover(site: Site, args: argparse.Namespace) -> Outcome:
    from kiosk.lockers import DepositState

    lk = site.lockers
    matches = [c for c in lk.compartments.values()
               if c.number == args.compartment and (args.cabinet is None or c.cabinet == args.cabinet)]
    if not matches:
        raise Stop(Exit.USAGE, f"no compartment {args.compartment}"
                               + (f" in cabinet {args.cabinet}" if args.cabinet else "") + " in the config")
    if len(matches) > 1:
        raise Stop(Exit.USAGE, f"compartment {args.compartment} exists in cabinets "
                               f"{', '.join(c.cabinet for c in matches)}: name one with --cabinet")
    c = matches[0]
    found = lk.ledger.deposit_infos("cabinet = ? AND number = ? AND state = ?",
                                    (c.cabinet, c.number, DepositState.ACTIVE.value))
    if not found:
        raise Stop(Exit.REFUSED, f"no deposit in compartment {c.number}; nothing was opened")
    result = lk.recover(_actor(), found[0].id)
    out = {"status": result.status.value, "compartment": c.number, "cabinet": c.cabinet, "deposit_id": found[0].id}
    code, out = _outcome(result.status, out, result.message)
    out["text"] = f"compartment {c.number}: deposit {found[0].id} recovered"
    return code, out


def list_compartments(site: Site, args: argparse.Namespace) -> Outcome:
    from kiosk.lockers import CompartmentState

    lk = site.lockers
    now = lk.clock.time()
    overdue_s = site.config.staff.overdue_days * 86400
    late = {(d.cabinet, d.number): d for d in lk.overdue(overdue_s)}
    states = lk.ledger.compartment_states()
    alarms: dict[tuple[str, int], list[str]] = {}
    for a in lk.alarms.open_alarms():
        alarms.setdefault((a.cabinet, a.number), []).append(a.kind.value)
    rows = []
    for c in sorted(lk.compartments.values(), key=lambda c: (c.cabinet, c.number)):
        state = states[c.key].value
        if c.key in late and states[c.key] is CompartmentState.OCCUPIED:
            state = "overdue"
        rows.append({"cabinet": c.cabinet, "compartment": c.number, "size": c.size.value, "state": state,
                     "enabled": c.enabled, "item_sensor": c.has_sensor, "alarms": alarms.get(c.key, [])})
    overdue = [{"cabinet": d.cabinet, "compartment": d.number, "deposit_id": d.id,
                "days": int((now - d.created_at) // 86400)} for d in late.values()]
    text = "\n".join(_row_text(r) for r in rows)
    return Exit.OK, {"compartments": rows, "overdue": overdue, "text": text}


def _row_text(r: dict[str, Any]) -> str:
    flags = ("" if r["enabled"] else "  disabled") + (f"  alarms: {', '.join(r['alarms'])}" if r["alarms"] else "")
    return f"{r['cabinet']}/{r['compartment']:<4} {r['size']}  {r['state']}{flags}"


VERBS = {"deposit": deposit, "pickup": pickup, "list": list_compartments, "recover": recover}
