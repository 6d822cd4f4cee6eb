"""External health checks (issue 9): the ones that act physically, for technician mode only.

* :func:`print_test_ticket`: a ticket marked 测试, printed and confirmed, never counted as a
  citizen's ticket (the driver counts it as ``test_tickets`` / ``test_tickets_failed``).
* :func:`camera_test_frame`: one fresh frame, the document outline found in it and the codes read
  on it (their text masked: a code can carry a booking number or a personal URL), and a reduced
  preview PNG with the outline drawn in green.
* :func:`open_compartment`, :func:`cycle_empty`: open one empty compartment, or each empty one in
  turn; :func:`restore_tested` puts the tested compartments back in service once their doors are
  closed again; :func:`stopped_compartments` lists the out-of-service ones with why, and
  :func:`restore_compartment` puts one back in service (恢复使用).

Every call is audited through :meth:`TechAudit.record` (``tech.printer.test_ticket``,
``tech.camera.test_frame``, ``tech.locker.open``, ``tech.locker.cycle``, ``tech.locker.restore``):
device ids, compartment numbers, counts and outcomes, never a code's text or a picture. None of
these raises for a device that is missing, closed or failing: the result says what is wrong.
"""

from __future__ import annotations

import enum
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from drivers.device import HealthLevel, HealthResult
from drivers.errors import TransportError
from kiosk.diagnostics.audit import TechAudit
from kiosk.lockers.alarms import AlarmKind

if TYPE_CHECKING:
    from drivers.camera.camera import DocumentCamera
    from drivers.printer.printer import EscPosPrinter
    from kiosk.lockers import Compartment, Lockers

log = logging.getLogger(__name__)


# -- printer --------------------------------------------------------------------------------------
def print_test_ticket(printer: EscPosPrinter | None, audit: TechAudit, actor: str) -> HealthResult:
    """Print and confirm one test ticket (the driver's external check). Out of paper, cover open,
    printer not answering: ``ok`` False and the reason, in Chinese and English."""
    if printer is None:
        result = HealthResult(HealthLevel.EXTERNAL, False, "未配置打印机", "no printer configured")
        audit.record(actor, "printer.test_ticket", {"device": None, "ok": False, "outcome": "no_device"})
        return result
    try:
        result = printer.check_health(HealthLevel.EXTERNAL)
    except TransportError as e:  # the driver answers with a result; this is a safety net only
        result = HealthResult(HealthLevel.EXTERNAL, False, f"打印机无应答：{e}", f"the printer does not answer: {e}")
    details = dict(result.details)
    audit.record(actor, "printer.test_ticket", {
        "device": printer.device_id, "ok": result.ok, "outcome": details.get("outcome", "failed"),
        "job_id": details.get("job_id"), "state": printer.state.value})
    return result


# -- camera ---------------------------------------------------------------------------------------
PREVIEW_MAX_WIDTH = 960  # px: the technician screen's preview
OUTLINE_BGR = (0, 200, 0)  # green


@dataclass(frozen=True)
class TestFrame:
    ok: bool  # a frame arrived and decoded (whether or not a document lay under the camera)
    text: str
    text_en: str
    width: int  # of the camera's frame (0 when there was none)
    height: int
    corners: tuple[tuple[float, float], ...] | None  # TL, TR, BR, BL in frame pixels, or None
    codes: tuple[tuple[str, str], ...]  # (format, masked text)
    preview_png: bytes | None = field(repr=False)  # ≤ PREVIEW_MAX_WIDTH wide, outline in green
    found: bool = False  # a document outline was detected
    kind: str = ""  # "a4" | "id1" when found (by its size in the frame)

    __test__ = False  # not a pytest test class, whatever its name


def mask_code(text: str) -> str:
    """A decoded code's text as a technician may see it: the first 4 and last 2 characters at most,
    never more than a third of it (a 6-character booking code shows ``YY***1``)."""
    n = len(text)
    head = min(4, n // 3)
    tail = min(2, n // 6)
    hidden = n - head - tail
    return f"{text[:head]}{'*' * min(hidden, 12)}{text[n - tail:] if tail else ''}"


def camera_test_frame(camera: DocumentCamera | None, audit: TechAudit, actor: str, *,
                      timeout: float | None = None) -> TestFrame:
    """Take one fresh frame from the (open, supervised) camera, find the document outline at full
    resolution and read the codes on it. Nothing is counted as a capture and nothing is kept: the
    picture lives only in the returned preview."""
    from drivers.camera.pipeline import classify_kind

    def fail(text: str, text_en: str, outcome: str, width: int = 0, height: int = 0) -> TestFrame:
        audit.record(actor, "camera.test_frame", {"device": camera.device_id if camera is not None else None,
                                                  "ok": False, "outcome": outcome})
        return TestFrame(False, text, text_en, width, height, None, (), None)

    if camera is None:
        return fail("未配置高拍仪", "no document camera configured", "no_device")
    wait = camera.settings.stall_timeout if timeout is None else timeout
    try:
        latest = camera.frame(wait)
        frame = camera.frame(wait, newer_than=latest.seq)  # taken after the request, not before
        full = frame.full()
    except TransportError as e:
        return fail(f"高拍仪无画面（{camera.state.value}）：{e}。请检查高拍仪电源和数据线",
                    f"no picture from the camera ({camera.state.value}): {e}; check its power and cable", "no_frame")
    except ValueError as e:  # FrameError: frames arrive but do not decode
        return fail(f"高拍仪画面无法解码：{e}", f"the camera's frames do not decode: {e}", "bad_frame")

    corners, codes = _analyse(frame, full, camera)
    found = corners is not None
    kind = classify_kind(corners, (frame.width, frame.height)) if found else ""
    preview = _preview_png(frame, corners)
    masked = tuple((c.format, mask_code(c.text)) for c in codes)
    size = f"{frame.width}×{frame.height}"
    kind_zh = {"a4": "A4 文件", "id1": "卡片"}.get(kind, "文件")
    if found:
        text, text_en = f"画面正常（{size}）：检测到{kind_zh}轮廓", f"picture ok ({frame.width}x{frame.height}): {kind or 'document'} outline found"
    else:
        text, text_en = (f"画面正常（{size}）：未检测到文件，请在深色垫上平放一张 A4 纸再试",
                         f"picture ok ({frame.width}x{frame.height}): no document found; lay an A4 page flat on the dark pad and try again")
    if codes:
        text += f"；读到 {len(codes)} 个码"
        text_en += f"; {len(codes)} code(s) read"
    audit.record(actor, "camera.test_frame", {
        "device": camera.device_id, "ok": True, "outcome": "found" if found else "no_document", "kind": kind or None,
        "width": frame.width, "height": frame.height, "codes": len(codes), "formats": sorted({c.format for c in codes})})
    return TestFrame(True, text, text_en, frame.width, frame.height,
                     tuple((round(x, 2), round(y, 2)) for x, y in corners) if corners else None, masked, preview,
                     found, kind)


def _analyse(frame, full, camera):
    """Outline (refined at full resolution) and codes: phone QR on the whole frame, printed QR and
    Code128 on the straightened page when there is one (1D codes only after deskew, spec §5.3).
    The page is straightened with the pipeline directly, not ``camera.capture()``: a test frame is
    not a capture and must not count as one."""
    from drivers.camera.codes import PHONE_FORMATS, read_codes
    from drivers.camera.detect import detect_document
    from drivers.camera.pipeline import NoDocument, capture_page

    detection = detect_document(full)
    corners = detection.corners if detection.found else None
    codes = list(read_codes(full, PHONE_FORMATS, fallback=False))
    if corners is not None:
        try:
            page = capture_page(frame, corners=corners, page_dpi=camera.output.dpi, card_dpi=max(300, camera.output.dpi))
        except NoDocument:
            page = None
        if page is not None:
            codes += [c for c in page.codes if (c.format, c.text) not in {(k.format, k.text) for k in codes}]
    return corners, codes


def _preview_png(frame, corners) -> bytes | None:
    import cv2
    import numpy as np

    reduction = next((r for r in (1, 2, 4, 8) if -(-frame.width // r) <= PREVIEW_MAX_WIDTH), 8)
    image = frame.preview(reduction)
    if image.shape[1] > PREVIEW_MAX_WIDTH:
        h = round(image.shape[0] * PREVIEW_MAX_WIDTH / image.shape[1])
        image = cv2.resize(image, (PREVIEW_MAX_WIDTH, h), interpolation=cv2.INTER_AREA)
    else:
        image = image.copy()  # never draw on a frame the camera may hand out again
    if corners:
        scale = image.shape[1] / frame.width
        pts = np.array([[(x + 0.5) * scale - 0.5, (y + 0.5) * scale - 0.5] for x, y in corners], np.float32)
        cv2.polylines(image, [np.round(pts).astype(np.int32)], True, OUTLINE_BGR, max(2, image.shape[1] // 320),
                      cv2.LINE_AA)
    ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    return buf.tobytes() if ok else None


# -- lockers --------------------------------------------------------------------------------------
# Opening through the ledger or through the bus? Through the bus (``LockerBus.unlock``: the
# ledger's deposit/pickup/recovery each belong to a deposit and wait for the door to close), but
# with the ledger told first, under the lockers' one-physical-operation lock:
#
# * a door opened behind the ledger's back, with the compartment still EMPTY, is exactly what the
#   patrol calls a forced opening: it would raise a FORCED_OPEN alarm, report it to the backend
#   as a business ``locker.alarm`` and take the compartment out of service anyway;
# * so the compartment is marked OUT_OF_SERVICE (door "open") before the unlock goes out. The
#   patrol leaves out-of-service compartments to staff, no deposit chooses it while the door
#   stands open, and a restart keeps it out of service (reconcile only touches unfinished
#   operations): the ledger's view stays true whether the technician closes the door at once or
#   leaves it open;
# * :func:`restore_tested` puts it back to EMPTY once its door reads closed (and no item is seen),
#   through ``Lockers.restore``. Only compartments this process opened for a test are restored
#   that way; after a restart the technician restores them from the 停用柜格 list
#   (:func:`restore_compartment`) like any out-of-service compartment;
# * a lock that does not open goes out of service with a LOCK_JAMMED alarm, as in a deposit or a
#   pickup (a deposit would find the same lock jammed); a board that does not answer leaves the
#   compartment EMPTY with its door unknown: the board's own fault is already raised, and if the
#   door did open after all the patrol finds it when the board answers again.


class DoorOutcome(enum.StrEnum):
    OPENED = "opened"
    REFUSED = "refused"  # not empty, unknown compartment, door already open, item seen: nothing sent
    JAMMED = "jammed"  # the board answered, the door did not open: out of service with an alarm
    BOARD_OFFLINE = "board_offline"  # the board did not answer
    NOT_TRIED = "not_tried"  # cycle: its board was found offline earlier in the cycle


@dataclass(frozen=True)
class DoorTest:
    cabinet: str
    number: int
    opened: bool
    text: str
    text_en: str
    outcome: DoorOutcome = DoorOutcome.OPENED
    detail: str = ""  # the driver's words (board, lock, what was seen), for the technician


@dataclass(frozen=True)
class DoorRestore:
    cabinet: str
    number: int
    restored: bool  # back in service (EMPTY)
    text: str
    text_en: str


_tested: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Lockers -> {(cabinet, number)} opened for a test
_tested_lock = threading.Lock()


def _tested_keys(lockers: Lockers) -> set[tuple[str, int]]:
    with _tested_lock:
        return _tested.setdefault(lockers, set())


def open_compartment(lockers: Lockers | None, cabinet: str, number: int, audit: TechAudit, actor: str) -> DoorTest:
    """Open one EMPTY compartment for a test and leave its door open for the technician to check
    and close; :func:`restore_tested` returns it to service once closed. An occupied (or reserved,
    releasing, out-of-service) compartment is refused: it may hold a citizen's certificate."""
    test = _open(lockers, cabinet, number, actor)
    _audit_door(audit, actor, lockers, test, cycle=False)
    return test


def cycle_empty(lockers: Lockers | None, audit: TechAudit, actor: str,
                on_progress: Callable[[DoorTest], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> list[DoorTest]:
    """Open each empty, enabled compartment in turn (cabinet, then number), each result reported
    through ``on_progress`` as it comes and audited; ``should_stop()`` is asked between doors.
    Doors of a board found offline are not tried again in the same cycle."""
    results: list[DoorTest] = []
    if lockers is None:
        audit.record(actor, "locker.cycle", {"tried": 0, "opened": 0, "stopped": False, "outcome": "no_lockers"})
        return results
    from kiosk.lockers import CompartmentState

    states = lockers.ledger.compartment_states()
    todo = sorted((c for c in lockers.compartments.values() if c.enabled and states.get(c.key) is CompartmentState.EMPTY),
                  key=lambda c: (c.cabinet, c.number))
    offline: set[tuple[str, int]] = set()  # (device, board)
    stopped = False
    for c in todo:
        if should_stop is not None and should_stop():
            stopped = True
            break
        if (c.device, c.board) in offline or not _board_online(lockers, c):
            offline.add((c.device, c.board))
            test = DoorTest(c.cabinet, c.number, False, f"{c.number}号柜未测试：{c.board}号锁控板离线",
                            f"compartment {c.number} not tried: lock board {c.board} is offline", DoorOutcome.NOT_TRIED)
        else:
            test = _open(lockers, c.cabinet, c.number, actor)
            if test.outcome is DoorOutcome.BOARD_OFFLINE:
                offline.add((c.device, c.board))
        _audit_door(audit, actor, lockers, test, cycle=True)
        results.append(test)
        if on_progress is not None:
            try:
                on_progress(test)
            except Exception:  # a screen's callback must not stop the cycle half-way
                log.exception("door cycle progress callback failed")
    audit.record(actor, "locker.cycle", {
        "tried": sum(t.outcome is not DoorOutcome.NOT_TRIED for t in results), "opened": sum(t.opened for t in results),
        "failed": sum(not t.opened for t in results), "empty": len(todo), "stopped": stopped})
    return results


def restore_tested(lockers: Lockers | None, audit: TechAudit, actor: str) -> list[DoorRestore]:
    """Put the compartments opened for a test back in service once their doors read closed (and
    the item sensor sees nothing); those still open stay out of service, with what to do."""
    if lockers is None:
        return []
    out = []
    for cabinet, number in sorted(_tested_keys(lockers)):
        r = _restore(lockers, cabinet, number, actor)
        audit.record(actor, "locker.restore", {"cabinet": cabinet, "number": number, "restored": r.restored})
        out.append(r)
    return out


def restore_compartment(lockers: Lockers, cabinet: str, number: int, audit: TechAudit, actor: str) -> DoorRestore:
    """恢复使用 for one compartment: one opened for a test (e.g. once a guided check saw its door
    close) as :func:`restore_tested` does, or any out-of-service one (a lock repaired, a forced
    door checked, a tested door after a restart) once its door reads closed, its alarms cleared;
    one still holding a deposit goes back to OCCUPIED. Without this the compartment would stay
    out of service for good: the kiosk has no other way back."""
    alarms = [a.kind.value for a in lockers.alarms.open_alarms((cabinet, number))]
    r = _restore(lockers, cabinet, number, actor, tested_only=False)
    audit.record(actor, "locker.restore", {"cabinet": cabinet, "number": number, "restored": r.restored,
                                           "alarms": alarms})
    return r


ALARM_WORDS: dict[AlarmKind, tuple[str, str]] = {
    AlarmKind.LOCK_JAMMED: ("锁未能打开", "the lock did not open"),
    AlarmKind.DOOR_LEFT_OPEN: ("柜门曾长时间未关", "the door was left open"),
    AlarmKind.FORCED_OPEN: ("柜门被异常打开", "the door was opened without a command"),
    AlarmKind.ITEM_LEFT: ("取件后柜内仍有物品", "something stayed inside after a pickup"),
    AlarmKind.ITEM_MISSING: ("柜内证件不见了", "the item sensor no longer sees the deposit"),
    AlarmKind.DEPOSIT_UNVERIFIED: ("存件未经确认", "a deposit could not be verified"),
    AlarmKind.BOARD_OFFLINE: ("锁控板离线", "the lock board was offline"),
}


@dataclass(frozen=True)
class StoppedCompartment:
    """An out-of-service compartment, for the technician's 停用柜格 list."""

    cabinet: str
    number: int
    alarms: tuple[AlarmKind, ...]  # oldest first
    holds_deposit: bool
    tested: bool  # opened by a door test of this process, not yet back in service

    def text(self, english: bool = False) -> str:
        words = [ALARM_WORDS.get(a, (a, a))[english] for a in self.alarms]
        if self.tested:
            words.insert(0, "opened for a test" if english else "测试时打开")
        if self.holds_deposit:
            words.append("holds a deposit" if english else "存有证件")
        if english:
            return f"No. {self.number} ({self.cabinet}): " + ("; ".join(words) or "taken out of service")
        return f"{self.number}号柜：" + ("；".join(words) or "已停用")


def stopped_compartments(lockers: Lockers | None, device_id: str | None = None) -> list[StoppedCompartment]:
    """The out-of-service compartments (of one lock-board line, if ``device_id``), with why."""
    from kiosk.lockers import CompartmentState, DepositState

    if lockers is None:
        return []
    states = lockers.ledger.compartment_states()
    alarms: dict[tuple[str, int], list[AlarmKind]] = {}
    for a in lockers.alarms.open_alarms():
        alarms.setdefault((a.cabinet, a.number), []).append(a.kind)
    held = {(c, n) for c, n in lockers.ledger.store.query(
        "SELECT cabinet, number FROM locker_deposits WHERE state = ?", (DepositState.ACTIVE.value,))}
    tested = _tested_keys(lockers)
    return [StoppedCompartment(c.cabinet, c.number, tuple(alarms.get(c.key, ())), c.key in held, c.key in tested)
            for c in sorted(lockers.compartments.values(), key=lambda c: (c.cabinet, c.number))
            if states.get(c.key) is CompartmentState.OUT_OF_SERVICE and (device_id is None or c.device == device_id)]


def _board_online(lockers: Lockers, c: Compartment) -> bool:
    online = getattr(lockers.hardware[c.device], "board_online", None)
    return True if online is None else bool(online(c.board))


def _open(lockers: Lockers | None, cabinet: str, number: int, actor: str) -> DoorTest:
    from kiosk.lockers import CompartmentState, DepositState
    from kiosk.lockers.model import Door, Item

    def refuse(zh: str, en: str) -> DoorTest:
        return DoorTest(cabinet, number, False, zh, en, DoorOutcome.REFUSED)

    if lockers is None:
        return refuse("本机未配置智能柜", "this kiosk has no lockers")
    c = lockers.compartments.get((cabinet, number))
    if c is None:
        return refuse(f"没有 {cabinet} {number}号柜", f"no compartment {number} in cabinet {cabinet}")
    name, where = f"{number}号柜", f"compartment {number} ({cabinet}, board {c.board} lock {c.lock})"
    hw = lockers.hardware[c.device]
    with lockers._lock:  # the ledger's one-physical-operation lock: no deposit, pickup or patrol in between
        if c.key in _tested_keys(lockers):  # opened by an earlier test: back in service first if closed since
            back = _restore(lockers, cabinet, number, actor)
            if not back.restored and c.key in _tested_keys(lockers):
                return refuse(f"{back.text}，然后再测试", f"{back.text_en}, then test again")
        state = lockers.compartment_state(cabinet, number)
        if state is CompartmentState.OCCUPIED:
            return refuse(f"{name}存放着群众的证件，维护模式下不能打开",
                          f"{where} holds a citizen's document: it cannot be opened in technician mode")
        if state is not CompartmentState.EMPTY:
            why = {CompartmentState.RESERVED: ("正在存件", "a deposit is under way"),
                   CompartmentState.RELEASING: ("正在取件", "a pickup is under way"),
                   CompartmentState.OUT_OF_SERVICE: ("已停用待检查，请先处理告警并恢复使用",
                                                     "out of service: deal with its alarms and restore it first")}
            zh, en = why.get(state, (state.value, state.value))
            return refuse(f"{name}不是空柜（{zh}），不能打开", f"{where} is not empty ({en}): not opened")
        if lockers.ledger.store.query(
                "SELECT 1 FROM locker_deposits WHERE cabinet = ? AND number = ? AND state IN (?, ?)",
                (cabinet, number, DepositState.ACTIVE.value, DepositState.PENDING.value)):
            return refuse(f"{name}有未完成的存件记录，不能打开", f"{where} has an open deposit on record: not opened")
        # As last polled (the supervisor sweeps the line every few seconds; a board it has found
        # silent reads UNKNOWN): a fresh sweep here would wait out every silent board's timeouts
        # before each door, and the unlock reads the board again anyway.
        door, item = lockers.read(c, refresh=False)
        if door is Door.OPEN:
            return refuse(f"{name}柜门本来就开着：请先关好柜门再测试", f"{where}: the door is open already; close it, then test")
        if item is Item.PRESENT:
            return refuse(f"{name}的物品传感器显示柜内有物品（可能是遗留的证件），未打开，请工作人员核实",
                          f"{where}: the item sensor sees something inside (perhaps a forgotten document): "
                          "not opened; staff should check")
        if door is Door.UNKNOWN:
            return DoorTest(cabinet, number, False, f"{name}未打开：{c.board}号锁控板无应答，请检查电源和接线",
                            f"{where} not opened: lock board {c.board} does not answer; check its power and wiring",
                            DoorOutcome.BOARD_OFFLINE)

        t = lockers.clock.time()
        with lockers.ledger.store.transaction() as db:  # before the unlock: the patrol must not see a forced opening
            lockers.ledger.set_compartment(db, c.key, CompartmentState.OUT_OF_SERVICE, t)
        try:
            result = hw.unlock(c.board, c.lock)
            opened, seen, detail = result.opened, result.door, result.detail
        except TransportError as e:
            opened, seen, detail = False, Door.UNKNOWN, str(e)

        if opened:
            with lockers.ledger.store.transaction() as db:
                lockers.ledger.set_compartment(db, c.key, CompartmentState.OUT_OF_SERVICE, lockers.clock.time(), Door.OPEN.value)
            _tested_keys(lockers).add(c.key)
            return DoorTest(cabinet, number, True, f"{name}柜门已打开：检查后请关好柜门，关门后恢复使用",
                            f"{where}: door open; check it and close it: it returns to service once closed",
                            DoorOutcome.OPENED, detail)
        if seen is Door.UNKNOWN:
            with lockers.ledger.store.transaction() as db:
                lockers.ledger.set_compartment(db, c.key, CompartmentState.EMPTY, lockers.clock.time(), Door.UNKNOWN.value)
            return DoorTest(cabinet, number, False, f"{name}未打开：{c.board}号锁控板无应答，请检查电源和接线",
                            f"{where} not opened: lock board {c.board} does not answer; check its power and wiring",
                            DoorOutcome.BOARD_OFFLINE, detail)
        raised = []
        with lockers.ledger.store.transaction() as db:
            now = lockers.clock.time()
            lockers.ledger.set_compartment(db, c.key, CompartmentState.OUT_OF_SERVICE, now, seen.value)
            if lockers.alarms.raise_(db, c.key, AlarmKind.LOCK_JAMMED, f"technician door test: {detail}", now) is not None:
                raised.append(AlarmKind.LOCK_JAMMED)
        for kind in raised:
            lockers.alarms.announce(c.key, kind, f"technician door test: board {c.board} lock {c.lock} did not open")
        return DoorTest(cabinet, number, False, f"{name}未能打开（门仍关着）：已停用并告警，请检查锁舌和接线",
                        f"{where} did not open (the door still reads {seen.value}): taken out of service with an "
                        "alarm; check the lock and its wiring", DoorOutcome.JAMMED, detail)


def _restore(lockers: Lockers, cabinet: str, number: int, actor: str, *, tested_only: bool = True) -> DoorRestore:
    """Back in service once the door reads closed, alarms cleared; ``tested_only``: only a
    compartment this process opened for a test, with no alarm of its own (restore_tested, the
    guided check), else any out-of-service one (the technician's 恢复)."""
    from kiosk.lockers import CompartmentState, DepositState
    from kiosk.lockers.model import Door, Item

    name, where = f"{number}号柜", f"compartment {number} ({cabinet})"
    keys = _tested_keys(lockers)
    c = lockers.compartments.get((cabinet, number))
    if c is None:
        return DoorRestore(cabinet, number, False, f"没有 {cabinet} {number}号柜", f"no compartment {number} in cabinet {cabinet}")
    if tested_only and c.key not in keys:
        return DoorRestore(cabinet, number, False, f"{name}不是测试打开的柜门，请在停用柜格中处理",
                           f"{where} was not opened by a test: restore it from the out-of-service list")
    with lockers._lock:
        stopped = lockers.compartment_state(cabinet, number) is CompartmentState.OUT_OF_SERVICE
        if c.key in keys and (not stopped or (tested_only and lockers.alarms.open_alarms(c.key))):
            keys.discard(c.key)  # someone else has it now (restored, or an alarm of its own): not the test's
            return DoorRestore(cabinet, number, False, f"{name}已由其他操作处理", f"{where} was dealt with otherwise")
        if not stopped:
            return DoorRestore(cabinet, number, False, f"{name}未停用，无需恢复", f"{where} is not out of service")
        try:
            door, item = lockers.read(c)
        except TransportError:
            door, item = Door.UNKNOWN, Item.UNKNOWN
        if door is not Door.CLOSED:
            zh, en = (("柜门仍开着：请检查后关好柜门", "the door is still open: check it and close it") if door is Door.OPEN
                      else ("读不到门状态：锁控板可能离线", "door state unknown: the board may be offline"))
            return DoorRestore(cabinet, number, False, f"{name}{zh}", f"{where}: {en}")
        holds = bool(lockers.ledger.store.query(
            "SELECT 1 FROM locker_deposits WHERE cabinet = ? AND number = ? AND state = ?",
            (cabinet, number, DepositState.ACTIVE.value)))
        # what only staff can settle: a certificate gone from its compartment, or something left
        # in an empty one (perhaps a citizen's document); the technician does not clear those
        if holds and item is Item.ABSENT:
            return DoorRestore(cabinet, number, False, f"{name}存件记录在，但柜内无物品：请工作人员核实",
                               f"{where}: a deposit is on record but nothing is inside: staff must check")
        if not holds and item is Item.PRESENT:
            return DoorRestore(cabinet, number, False, f"{name}内有物品：请工作人员取出后再恢复",
                               f"{where}: something is inside: staff take it out first")
        cleared = [a.kind for a in lockers.alarms.open_alarms(c.key)]
        state = lockers.restore(actor or "technician", cabinet, number)
        keys.discard(c.key)
    for kind in cleared:
        lockers.alarms.announce(c.key, kind, f"restored by technician ({state})", raised=False)
    if state is CompartmentState.OCCUPIED:
        return DoorRestore(cabinet, number, True, f"{name}已恢复，证件仍在柜内待领取",
                           f"{where}: back in service, its deposit still waits for pickup")
    if state is CompartmentState.EMPTY:
        return DoorRestore(cabinet, number, True, f"{name}已关门，恢复使用", f"{where}: door closed, back in service")
    return DoorRestore(cabinet, number, False, f"{name}未恢复（{state}）", f"{where} not restored ({state})")


def _audit_door(audit: TechAudit, actor: str, lockers: Lockers | None, test: DoorTest, *, cycle: bool) -> None:
    c = lockers.compartments.get((test.cabinet, test.number)) if lockers is not None else None
    audit.record(actor, "locker.open", {
        "cabinet": test.cabinet, "number": test.number, "device": c.device if c else None,
        "board": c.board if c else None, "lock": c.lock if c else None, "opened": test.opened,
        "outcome": test.outcome.value, "cycle": cycle})
