"""The ESC/POS ticket printer, device side (escpos-tickets.md §2, §3, §7).

Real-time commands (DLE EOT, DLE ENQ, DLE DC4 8) are answered from the raw bytes as they arrive,
even while offline and even inside image data. Everything else goes into the receive buffer,
which a worker thread prints at paper speed; it stops while the printer is offline, so a job sent
then prints after recovery, and a GS r sent then is answered only after recovery (the hazards the
host must handle). Each cut saves a ticket (PNG + transcript) in the output directory.

Options (strings, from `sim://printer?id=…&…`): `baud` (0 = unpaced), `width` (dots: 576 = 80 mm,
384 = 58 mm), `cutter` (yes/no), `charset` (gb18030/gbk/gb2312: the font's repertoire), `speed`
(mm/s of paper, 0 = instant), `cut_ms`, `out` (ticket directory), `dc4` (yes/no: DLE DC4 8),
`chinese` (yes/no: Chinese mode at power-on), `cut_gap_mm` (print head to cutter, default 12).
"""

from __future__ import annotations

import enum
import logging
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from drivers.sim.base import Simulator
from drivers.sim.escpos_parse import (
    AutoStatusBack,
    Cut,
    EscPosParser,
    Init,
    LineFeed,
    Op,
    PanelButtons,
    RealTimeKind,
    RealTimeRequest,
    RealTimeScanner,
    StatusRequest,
)
from drivers.sim.registry import register
from drivers.sim.ticket_render import DEFAULT_CUT_GAP, DOTS_PER_MM, Charset, PrintEngine, Ticket, TicketDraft, save_ticket

DC4_CLEAR_REPLY = bytes.fromhex("372500")
log = logging.getLogger(__name__)


class Paper(enum.Enum):
    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"


@dataclass(frozen=True)
class PrinterStatus:
    """A snapshot of the simulated printer, for tests and the `kiosk sim printer` console."""

    paper: Paper
    cover_open: bool
    cutter_error: bool
    forced_offline: bool
    online: bool
    buffered_ops: int  # commands received and not yet printed
    buffered_bytes: int  # bytes of a command or text run not complete yet
    busy: bool  # printing (or feeding, cutting) right now
    tickets: int
    cuts: int
    asb_mask: int
    buttons_enabled: bool
    unknown_commands: int
    print_seconds: float  # mechanism time spent so far (feeds, cuts), as computed from the speeds


def _yes(options: Mapping[str, str], name: str, default: bool) -> bool:
    value = options.get(name, "yes" if default else "no").strip().lower()
    if value in ("yes", "true", "1", "on"):
        return True
    if value in ("no", "false", "0", "off"):
        return False
    raise ValueError(f"printer simulator option {name}={value!r}: expected yes or no")


def _number(options: Mapping[str, str], name: str, default: float, minimum: float = 0) -> float:
    raw = options.get(name) or str(default)
    try:
        value = float(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ValueError(f"printer simulator option {name}={raw!r}: expected a number ≥ {minimum:g}")
    return value


class PrinterSimulator(Simulator):
    kind = "printer"

    def __init__(self, options: Mapping[str, str] | None = None) -> None:
        super().__init__(options)
        o = self.options
        self.width = int(_number(o, "width", 576, minimum=8))  # dots: 576 = 80 mm, 384 = 58 mm
        self.cutter = _yes(o, "cutter", True)
        self.dc4 = _yes(o, "dc4", True)
        try:
            self.charset = Charset(o.get("charset", "gb18030").lower())
        except ValueError:
            raise ValueError(f"printer simulator option charset={o['charset']!r}: expected gb18030, gbk or gb2312") from None
        self.speed = _number(o, "speed", 250)  # mm/s; 0 = instant
        self.cut_seconds = _number(o, "cut_ms", 300) / 1000
        chinese = _yes(o, "chinese", False)  # Chinese mode at power-on (some models)
        self.out = Path(o["out"]) if o.get("out") else Path(tempfile.mkdtemp(prefix="printer-sim-"))
        gap = round(_number(o, "cut_gap_mm", DEFAULT_CUT_GAP / DOTS_PER_MM) * DOTS_PER_MM)

        self.on_ticket: Callable[[Ticket], None] | None = None  # called from the worker thread
        self.notes: deque[str] = deque(maxlen=100)  # what firmware silently ignored, and why
        self._cond = threading.Condition(threading.RLock())
        self._scanner = RealTimeScanner()
        self._parser = EscPosParser(chinese=chinese)
        self._engine = PrintEngine(self.width, self.charset, chinese, gap, note=self.notes.append)
        self._ops: deque[tuple[Op, bool]] = deque()  # the receive buffer, parsed; (op, held)
        self._tickets: list[Ticket] = []
        self._unsaved: deque[tuple[int, TicketDraft]] = deque()  # cut, not yet written
        self._numbered = self._written = 0
        self._paper = Paper.OK
        self._paper_left: float | None = None  # dots until the roll ends; None = endless
        self._cover_open = False
        self._cutter_error = False
        self._jam_next_cut = False
        self._forced_offline = False
        self._buttons = True
        self._asb_mask = 0
        self._asb_last: bytes | None = None
        self._cuts = 0
        self._print_seconds = 0.0
        self._busy = False
        self._stopped = False
        self._worker = threading.Thread(target=self._run, name=f"sim-printer-{o.get('id', '0')}", daemon=True)
        self._worker.start()

    # -- runtime control ----------------------------------------------------------------------
    def set_paper(self, paper: Paper | str) -> None:
        """ok / near_end / out. Reloading (ok, near_end) also ends any `set_paper_left` limit."""
        paper = Paper(paper)
        with self._cond:
            if paper is not Paper.OUT:
                self._paper_left = None
            self._set(paper=paper)

    def set_paper_left(self, mm: float | None) -> None:
        """The roll ends after `mm` more millimetres of printing: paper runs out mid-job."""
        with self._cond:
            self._paper_left = None if mm is None else mm * DOTS_PER_MM

    def set_cover(self, open: bool) -> None:
        with self._cond:
            self._set(cover_open=open)

    def set_cutter_error(self, error: bool) -> None:
        """A cutter jam now (True), or a technician clearing it (False; DLE ENQ 1/2 also clear it)."""
        with self._cond:
            self._set(cutter_error=error)

    def jam_next_cut(self) -> None:
        """The next cut jams: the ticket is printed but not cut, and the printer stops."""
        with self._cond:
            self._jam_next_cut = True

    def set_offline(self, offline: bool) -> None:
        """Offline for another cause (e.g. waiting for online recovery)."""
        with self._cond:
            self._set(forced_offline=offline)

    def press_feed(self) -> None:
        """The FEED button: one blank line, unless ESC c 5 disabled the panel buttons (or it is printing)."""
        with self._cond:
            if self._buttons and self._online() and not self._busy:
                self._engine.apply(LineFeed())

    def power_cycle(self) -> None:
        """Off and on: buffers, modes, errors and ASB are gone; paper and cover stay as they are.
        The only sure way to discard held data on printers without DLE DC4 8 (§2.4)."""
        with self._cond:
            self._clear_buffers()
            self._engine.apply(Init())
            self._parser.reset(chinese=self._engine.modes.chinese)
            self._asb_mask, self._asb_last, self._buttons, self._jam_next_cut = 0, None, True, False
            self._out.clear()  # replies not yet sent die with the power
            self._set(cutter_error=False, forced_offline=False)

    def tear_off(self) -> Ticket | None:
        """Tear the paper at the tear bar (a printer without a cutter)."""
        with self._cond:
            draft = self._engine.tear()
            if draft is None:
                return None
            number = self._save(draft)
            self._cond.wait_for(lambda: self._written >= number or self._stopped, timeout=10)
            return next((t for t in self._tickets if t.number == number), None)

    @property
    def tickets(self) -> list[Ticket]:
        with self._cond:
            return list(self._tickets)

    def status(self) -> PrinterStatus:
        with self._cond:
            return PrinterStatus(
                self._paper, self._cover_open, self._cutter_error, self._forced_offline, self._online(),
                len(self._ops), self._parser.pending_bytes, self._busy, len(self._tickets), self._cuts,
                self._asb_mask, self._buttons, self._parser.unknown, self._print_seconds,
            )

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until everything received has been printed (False if offline data stays held)."""
        with self._cond:
            return self._cond.wait_for(lambda: not (self._ops or self._unsaved or self._busy), timeout)

    def close(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._worker.join(timeout=2)

    # -- state --------------------------------------------------------------------------------
    def _online(self) -> bool:
        return not (self._paper is Paper.OUT or self._cover_open or self._cutter_error or self._forced_offline)

    def _set(self, *, paper: Paper | None = None, cover_open: bool | None = None,
             cutter_error: bool | None = None, forced_offline: bool | None = None) -> None:
        if paper is Paper.OUT and self._paper is not Paper.OUT:
            draft = self._engine.end_roll()
            if draft:
                self._save(draft)
        if paper is not None:
            self._paper = paper
        if cover_open is not None:
            self._cover_open = cover_open
        if cutter_error is not None:
            self._cutter_error = cutter_error
        if forced_offline is not None:
            self._forced_offline = forced_offline
        self._auto_status()
        self._cond.notify_all()

    def _eot(self, n: int) -> int:
        """DLE EOT n replies, pattern 0xx1xx10 (§2.1)."""
        out = self._paper is Paper.OUT
        if n == 1:
            return 0x12 | (0x08 if not self._online() else 0)
        if n == 2:
            return 0x12 | (0x04 if self._cover_open else 0) | (0x20 if out else 0) | (0x40 if self._cutter_error else 0)
        if n == 3:
            return 0x12 | (0x08 if self._cutter_error else 0)
        near = out or self._paper is Paper.NEAR_END
        return 0x12 | (0x0C if near else 0) | (0x60 if out else 0)

    def _asb_frame(self) -> bytes:
        """The 4-byte Automatic Status Back frame (§2.3)."""
        first = 0x10 | (0x08 if not self._online() else 0) | (0x20 if self._cover_open else 0)
        second = 0x08 if self._cutter_error else 0
        third = {Paper.OK: 0x00, Paper.NEAR_END: 0x03, Paper.OUT: 0x0F}[self._paper]
        return bytes([first, second, third, 0])

    def _auto_status(self, force: bool = False) -> None:
        if not self._asb_mask:
            return
        frame = self._asb_frame()
        mask = self._asb_mask
        # Only the enabled groups trigger a frame: online (bit 1), errors (bit 2), paper (bit 3).
        online = frame[0] & 0x08 if mask & 2 else 0
        errors = (frame[0] & 0x20, frame[1]) if mask & 4 else (0, 0)
        paper = frame[2] if mask & 8 else 0
        key = bytes([online, *errors, paper])
        if force or key != self._asb_last:
            self._asb_last = key
            self.emit(frame)

    # -- wire ---------------------------------------------------------------------------------
    def receive(self, data: bytes) -> None:
        with self._cond:
            start = 0
            for end, request in self._scanner.feed(data):
                self._buffer(data[start:end])
                start = end
                self._real_time(request)
            self._buffer(data[start:])
            self._cond.notify_all()

    def _buffer(self, data: bytes) -> None:
        if data:
            held = not self._online()
            self._ops.extend((op, held) for op in self._parser.feed(data))

    def _real_time(self, request: RealTimeRequest) -> None:
        match request.kind:
            case RealTimeKind.STATUS:
                self.emit(bytes([self._eot(request.n)]))
            case RealTimeKind.RECOVER if self._cutter_error:  # only recoverable errors (§2.4)
                if request.n == 2:
                    self._clear_buffers()
                self._set(cutter_error=False)
            case RealTimeKind.CLEAR if self.dc4:
                self._clear_buffers()
                self.emit(DC4_CLEAR_REPLY)

    def _clear_buffers(self) -> None:
        self._ops.clear()
        self._parser.reset(chinese=self._engine.modes.chinese)
        self._engine.clear_print_buffer()

    # -- printing -----------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not (self._stopped or self._unsaved or (self._ops and self._online())):
                    self._busy = False
                    self._cond.notify_all()
                    self._cond.wait()
                if self._stopped:
                    return
                self._busy = True
                # The mechanism goes on first: writing a PNG is the simulator's own work, not
                # the device's, and must not delay a GS r reply or the next ticket.
                if self._ops and self._online():
                    self._step()
                    continue
                number, draft = self._unsaved.popleft()
            # Outside the lock: a DLE EOT is answered at once, never after a PNG is written.
            try:
                ticket: Ticket | None = save_ticket(draft, self.out, number)
            except OSError as e:
                log.error("printer simulator: cannot save ticket %d in %s: %s", number, self.out, e)
                self.notes.append(f"ticket {number} not saved: {e}")
                ticket = None
            with self._cond:
                self._written = number
                if ticket:
                    self._tickets.append(ticket)
                    if self.on_ticket:
                        self.on_ticket(ticket)
                self._cond.notify_all()

    def _step(self) -> None:
        op, held = self._ops.popleft()
        try:
            seconds = self._execute(op, held)
        except Exception:  # a simulator bug must not kill the device: skip the op, say so
            log.exception("printer simulator: internal error on %r", op)
            self.notes.append(f"internal error on {type(op).__name__}")
            return
        if seconds is None:
            self._ops.appendleft((op, held))
        elif seconds > 0:
            self._print_seconds += seconds
            self._sleep(seconds)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stopped and (left := deadline - time.monotonic()) > 0:
            self._cond.wait(left)

    def _execute(self, op: Op, held: bool) -> float | None:
        """Run one op; the seconds it takes, or None if it could not run (stays buffered)."""
        match op:
            case StatusRequest(n=n):
                if n in (1, 49):  # paper sensor, pattern 0xx0xxxx (§2.2)
                    self.emit(b"\x03" if self._paper is Paper.NEAR_END else b"\x00")
                elif n in (2, 50):  # drawer
                    self.emit(b"\x00")
                return 0.0
            case AutoStatusBack(mask=mask):
                self._asb_mask = mask & 0x0F
                self._asb_last = None
                self._auto_status(force=True)
                return 0.0
            case PanelButtons(disabled=disabled):
                self._buttons = not disabled
                return 0.0
            case Cut():
                if not self.cutter:
                    return 0.0  # a printer without a cutter ignores GS V
                if self._jam_next_cut:
                    self._jam_next_cut = False
                    self._set(cutter_error=True)
                    return None
                if held:
                    self._engine.mark_held()
                if not self._engine.line_pending:  # else firmware ignores the cut
                    self._cuts += 1
                dots, draft = self._engine.cut(op)
                if draft:
                    self._save(draft)
                return self._print_time(dots, held=False) + self.cut_seconds
        return self._print_time(self._engine.apply(op), held)

    def _print_time(self, dots: int, held: bool) -> float:
        if dots <= 0:
            return 0.0
        if held:
            self._engine.mark_held()
        if self._paper_left is not None:
            self._paper_left -= dots
            if self._paper_left <= 0:
                self._paper_left = None
                self._set(paper=Paper.OUT)
        return dots / DOTS_PER_MM / self.speed if self.speed > 0 else 0.0

    def _save(self, draft: TicketDraft) -> int:
        """Number the ticket now; the worker writes it (tickets appear in cut order)."""
        self._numbered += 1
        self._unsaved.append((self._numbered, draft))
        self._cond.notify_all()
        return self._numbered


register("printer", PrinterSimulator)
