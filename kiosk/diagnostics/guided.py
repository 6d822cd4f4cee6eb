"""Interactive health checks (issue 9, the UnifiedPOS "interactive" level): guided steps a
technician follows at the kiosk, with pass or fail recorded.

A :class:`GuidedCheck` is a short plan of steps of three kinds: AUTO (the kiosk acts: prints a
test page, opens a door), WAIT (the kiosk waits for what the technician does and the device can
see: a card laid and read, a door closed, a page steady under the camera) and VERDICT (the
technician judges with 合格 / 不合格, :meth:`GuidedCheck.judge`). The steps run in order on a
worker thread; the first step that does not pass ends the check. Every step has a timeout: a
WAIT that times out fails and its note says what was (not) seen; a VERDICT nobody gives within
its timeout ends the check as CANCELLED (nobody judged, so nothing is proven either way).

The screen polls :meth:`GuidedCheck.snapshot` (thread-safe, immutable). Its ``note`` is what the
last step saw, for the technician: personal values appear there only masked (``张*``,
``110***********1234``), never a full name, number, address or the photo. The result is audited
once, when the check ends (passed, failed or cancelled), through ``TechAudit.record(actor,
"check.interactive", ...)``, which also reports it to the backend; the audit detail holds device
id, check key, verdict, each step's key and outcome and a plain English note without any
personal value (a card read is "card read", nothing more).

:func:`guided_checks` lists the checks for one device:

* ID reader ``idcard.read``: WAIT lay the test card (the reader is armed for one read), WAIT lift
  it (only on readers that sense removal).
* printer ``printer.print``: AUTO print a test page marked 测试 (never counted as a ticket),
  VERDICT "Chinese complete, cut clean".
* locker line ``locker.door``: one spec per RS-485 line; the compartment is its parameter:
  ``spec.build(kiosk, audit, actor, number=12)`` (``cabinet=`` only when two cabinets on the line
  share the number). ``spec.choices`` lists the compartments that may be tested now: EMPTY in the
  ledger. An occupied (or reserved, releasing, out of service) compartment is refused:
  ``build`` raises :class:`Refused` and nothing is opened. AUTO open the door, WAIT close it.
  The door is opened by the external check's ``open_compartment`` (kiosk/diagnostics/external.py,
  audited there as tech.locker.open): the ledger marks the compartment out of service before the
  unlock, so the patrol never takes it for a forced opening; once the door is seen closed the
  check puts it back in service. A door still open when the check ends (timed out, cancelled)
  stays out of service, and ``restore_tested`` (or staff) restores it once closed.
* camera ``camera.page``: WAIT lay an A4 page (detected as A4 and steady), WAIT take it away.

Step timeouts can be shortened or lengthened per step key: ``build(..., timeouts={"lay_card": 5})``.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from drivers.device import DeviceKind
from drivers.errors import TransportError

if TYPE_CHECKING:
    from kiosk.core import Kiosk
    from kiosk.diagnostics.audit import TechAudit

log = logging.getLogger(__name__)

ACTION = "check.interactive"  # the audit action (recorded as tech.check.interactive)


class StepKind(enum.StrEnum):
    AUTO = "auto"  # the kiosk acts (prints, opens a door)
    WAIT = "wait"  # the kiosk waits for something the technician does that the device sees
    VERDICT = "verdict"  # the technician judges: 合格 / 不合格


@dataclass(frozen=True)
class Step:
    key: str
    text: str  # Chinese: what to do (or what the kiosk does)
    text_en: str
    kind: StepKind
    timeout_s: float


class Verdict(enum.StrEnum):
    PENDING = "pending"  # not decided yet; in a finished check: a step never reached
    PASS = "pass"
    FAIL = "fail"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class GuidedSnapshot:
    title: str
    title_en: str
    index: int  # the current step; once finished, the last step that ran
    steps: tuple[Step, ...]
    outcomes: tuple[Verdict, ...]  # one per step
    note: str  # what the last step saw (personal values masked)
    note_en: str
    finished: bool
    verdict: Verdict  # PENDING until finished
    key: str = ""  # the check, e.g. "printer.print"
    device_id: str = ""
    remaining_s: float = 0.0  # time left for the current step (0 once finished)
    started: bool = False

    @property
    def step(self) -> Step:
        return self.steps[self.index]

    @property
    def awaiting_verdict(self) -> bool:
        """The 合格 / 不合格 buttons apply now."""
        return (self.started and not self.finished and self.outcomes[self.index] is Verdict.PENDING
                and self.steps[self.index].kind is StepKind.VERDICT)


@dataclass(frozen=True)
class StepResult:
    outcome: Verdict
    note: str
    note_en: str
    audit_note: str | None = None  # for the audit and the backend (English, no personal value); default note_en


Action = Callable[["StepContext"], "StepResult | None"]  # None: it stopped because the check was cancelled


class Refused(ValueError):
    """The check may not run as asked (an occupied compartment): nothing was done."""

    def __init__(self, text: str, text_en: str) -> None:
        super().__init__(text_en)
        self.text, self.text_en = text, text_en


class StepContext:
    """What a step's action uses: its deadline, the cancel flag, the technician's judgement, and
    a live note for the screen."""

    def __init__(self, check: GuidedCheck, step: Step, deadline: float) -> None:
        self._check = check
        self.step = step
        self.deadline = deadline

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    @property
    def cancelled(self) -> bool:
        return self._check._cancel

    @property
    def judgement(self) -> bool | None:
        return self._check._judgement

    def say(self, note: str, note_en: str) -> None:
        self._check._set_note(note, note_en)

    def poke(self) -> None:
        """Wake :meth:`wait` now (from a device callback) instead of at its next poll."""
        self._check._poke()

    def wait(self, done: Callable[[], bool], every: float = 0.25) -> bool | None:
        """Until ``done()`` holds (True), the step's deadline passes (False) or the check is
        cancelled (None). ``done`` is asked every ``every`` s and whenever someone pokes."""
        while True:
            if self.cancelled:
                return None
            seen = self._check._pokes
            if done():
                return True
            if self.cancelled:
                return None
            left = self.remaining()
            if left <= 0:
                return False
            with self._check._cond:
                self._check._cond.wait_for(lambda: self._check._pokes != seen, timeout=min(every, left))


class GuidedCheck:
    """One interactive check: ``start()``, poll ``snapshot()``, ``judge()`` at a VERDICT step,
    ``cancel()`` at any time. The worker thread runs the actions, then the cleanup, then the
    audit; ``wait()`` blocks until all that is done."""

    def __init__(self, key: str, title: str, title_en: str, device_id: str, plan: Sequence[tuple[Step, Action]],
                 audit: TechAudit | None, actor: str, *, detail: Mapping[str, object] | None = None,
                 cleanup: Callable[[], None] | None = None) -> None:
        if not plan:
            raise ValueError("a guided check needs at least one step")
        self.key, self.title, self.title_en, self.device_id = key, title, title_en, device_id
        self._plan = tuple(plan)
        self._steps = tuple(s for s, _ in self._plan)
        self._audit, self._actor = audit, actor
        self._detail = dict(detail or {})
        self._cleanup = cleanup
        self._cond = threading.Condition()
        self._pokes = 0
        self._cancel = False
        self._judgement: bool | None = None
        self._index = 0
        self._outcomes = [Verdict.PENDING] * len(self._steps)
        self._audit_notes: list[str] = [""] * len(self._steps)
        self._note, self._note_en = "", ""
        self._said = ("", "")  # the last step result's note
        self._deadline = 0.0
        self._started = False
        self._finished = False
        self._verdict = Verdict.PENDING
        self._thread: threading.Thread | None = None

    @property
    def steps(self) -> tuple[Step, ...]:
        return self._steps

    # -- what the screen calls (any thread) -----------------------------------------------------
    def start(self) -> GuidedCheck:
        with self._cond:
            if self._started:
                raise RuntimeError(f"guided check {self.key} already started")
            self._started = True
        self._thread = threading.Thread(target=self._run, name=f"guided-{self.key}", daemon=True)
        self._thread.start()
        return self

    def snapshot(self) -> GuidedSnapshot:
        with self._cond:
            remaining = 0.0 if self._finished or not self._started else max(0.0, self._deadline - time.monotonic())
            return GuidedSnapshot(self.title, self.title_en, self._index, self._steps, tuple(self._outcomes),
                                  self._note, self._note_en, self._finished, self._verdict, self.key, self.device_id,
                                  remaining, self._started)

    def judge(self, passed: bool) -> bool:
        """The technician's 合格 (True) / 不合格 (False) for the current VERDICT step. False (and
        ignored) when no verdict is awaited now, e.g. a second tap."""
        with self._cond:
            if (not self._started or self._finished or self._cancel or self._judgement is not None
                    or self._steps[self._index].kind is not StepKind.VERDICT
                    or self._outcomes[self._index] is not Verdict.PENDING):
                return False
            self._judgement = bool(passed)
            self._pokes += 1
            self._cond.notify_all()
            return True

    def cancel(self) -> None:
        """End the check as soon as the current step lets go (a print or an unlock under way
        finishes first). Before start(): the check ends at once when started."""
        with self._cond:
            if self._finished:
                return
            self._cancel = True
            self._pokes += 1
            self._note, self._note_en = "正在取消检查…", "cancelling the check…"
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the check has finished and been audited (True) or ``timeout`` passed."""
        with self._cond:
            return self._cond.wait_for(lambda: self._finished, timeout)

    # -- the worker -----------------------------------------------------------------------------
    def _set_note(self, note: str, note_en: str) -> None:
        with self._cond:
            if not self._cancel:
                self._note, self._note_en = note, note_en

    def _poke(self) -> None:
        with self._cond:
            self._pokes += 1
            self._cond.notify_all()

    def _run(self) -> None:
        try:
            for i, (step, action) in enumerate(self._plan):
                with self._cond:
                    if self._cancel:
                        break
                    self._index = i
                    self._judgement = None
                    self._deadline = time.monotonic() + step.timeout_s
                    deadline = self._deadline
                result = self._perform(step, action, StepContext(self, step, deadline))
                with self._cond:
                    self._outcomes[i] = result.outcome
                    self._audit_notes[i] = result.audit_note if result.audit_note is not None else result.note_en
                    self._note, self._note_en = self._said = (result.note, result.note_en)
                if result.outcome is not Verdict.PASS:
                    break
        finally:
            self._finish()

    def _perform(self, step: Step, action: Action, ctx: StepContext) -> StepResult:
        try:
            result = action(ctx)
        except Exception as e:  # a check must end with a result, never a dead worker
            log.exception("guided check %s: step %s failed", self.key, step.key)
            what = f"{type(e).__name__}: {e}"
            result = StepResult(Verdict.FAIL, f"检查出错：{what}", f"the check broke down: {what}", f"error: {type(e).__name__}")
        if result is None:
            result = StepResult(Verdict.CANCELLED, "检查已取消", "check cancelled", "cancelled")
        return result

    def _finish(self) -> None:
        if self._cleanup is not None:
            try:
                self._cleanup()
            except Exception:
                log.exception("guided check %s: cleanup failed", self.key)
        with self._cond:
            outcomes = list(self._outcomes)
            if Verdict.FAIL in outcomes:
                verdict = Verdict.FAIL
            elif all(o is Verdict.PASS for o in outcomes):
                verdict = Verdict.PASS
            else:
                verdict = Verdict.CANCELLED
            if verdict is Verdict.CANCELLED and self._cancel:
                self._note, self._note_en = "检查已取消", "check cancelled"
            else:  # a cancel that came after the last step: what that step saw stands
                self._note, self._note_en = self._said
            notes = list(self._audit_notes)
        detail: dict[str, object] = {
            "device": self.device_id, "check": self.key, "verdict": verdict.value, **self._detail,
            "steps": [{"key": s.key, "kind": s.kind.value, "outcome": o.value if o is not Verdict.PENDING else "not_run",
                       "note": n} for s, o, n in zip(self._steps, outcomes, notes)],
        }
        if self._audit is not None:
            try:
                self._audit.record(self._actor, ACTION, detail)
            except Exception:
                log.exception("guided check %s: the audit could not be written", self.key)
        with self._cond:
            self._verdict = verdict
            self._finished = True
            self._cond.notify_all()


# -- the checks per device kind --------------------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    """A compartment a locker check may be run on."""

    cabinet: str
    number: int
    label: str  # e.g. "12号柜"


@dataclass(frozen=True)
class GuidedSpec:
    key: str
    title: str
    title_en: str
    device_id: str = ""
    kind: DeviceKind | None = None
    parameter: str | None = None  # "number" for the locker check: build(..., number=N)
    choices: tuple[Choice, ...] = ()  # the values the parameter may take now
    _builder: Callable[..., GuidedCheck] | None = field(default=None, repr=False, compare=False)

    def build(self, kiosk: Kiosk, audit: TechAudit | None, actor: str, *,
              timeouts: Mapping[str, float] | None = None, **params: Any) -> GuidedCheck:
        """A check ready to ``start()``. ``timeouts``: step key → seconds, overriding the defaults.
        Raises :class:`Refused` when the check may not run as asked (nothing is done then)."""
        if self._builder is None:
            raise RuntimeError(f"guided check {self.key} has no builder")
        return self._builder(kiosk, audit, actor, dict(timeouts or {}), **params)


def guided_checks(kiosk: Kiosk, device_id: str) -> list[GuidedSpec]:
    """The interactive checks of one configured device ([] for an unknown device, or a locker
    line without compartments in the config)."""
    device = kiosk.supervisor.devices.get(device_id)
    if device is None:
        return []
    if device.kind is DeviceKind.IDCARD:
        return [GuidedSpec("idcard.read", "读卡测试", "Card read test", device_id, device.kind, _builder=_card_check(device_id))]
    if device.kind is DeviceKind.PRINTER:
        return [GuidedSpec("printer.print", "打印测试", "Print test", device_id, device.kind, _builder=_print_check(device_id))]
    if device.kind is DeviceKind.CAMERA:
        return [GuidedSpec("camera.page", "高拍仪拍摄测试", "Document camera test", device_id, device.kind,
                           _builder=_page_check(device_id))]
    if device.kind is DeviceKind.LOCKER:
        lockers = kiosk.lockers
        if lockers is None or not any(c.device == device_id for c in lockers.compartments.values()):
            return []
        return [GuidedSpec("locker.door", "柜门开关测试", "Door open and close test", device_id, device.kind, "number",
                           tuple(_choices(kiosk, device_id)), _builder=_door_check(device_id))]
    return []


def _step(key: str, text: str, text_en: str, kind: StepKind, timeout_s: float, timeouts: Mapping[str, float]) -> Step:
    return Step(key, text, text_en, kind, float(timeouts.get(key, timeout_s)))


def _not_usable(device, what: str, what_en: str) -> StepResult | None:
    if device.state.usable:
        return None
    return StepResult(Verdict.FAIL, f"{what}不可用（状态：{device.state.value}）：请先在设备页排除故障",
                      f"{what_en} not usable (state {device.state.value}): clear its problem on the device page first")


# -- ID card reader -------------------------------------------------------------------------------
def _card_check(device_id: str):
    def build(kiosk: Kiosk, audit, actor: str, timeouts: Mapping[str, float]) -> GuidedCheck:
        from drivers.idcard.reader import CardPresence

        reader = kiosk.supervisor.devices[device_id]
        lock = threading.Lock()
        seen: dict[str, Any] = {}  # "read": (zh, en, number valid), "rejected": (zh, en), "removed": True
        subscriptions: list[Callable[[], None]] = []

        def listen(ctx: StepContext) -> None:
            def mine(env) -> bool:
                return env.source in ("", device_id)

            def read(env) -> None:
                if not mine(env):
                    return
                m = env.payload.identity.masked()  # only masked values are kept, the identity is not
                valid = bool(env.payload.identity.id_number_valid)
                with lock:
                    seen["read"] = (f"读卡成功：姓名 {m['name']}，号码 {m['id_number']}",
                                    f"card read: name {m['name']}, number {m['id_number']}", valid)
                ctx.poke()

            def rejected(env) -> None:
                if mine(env):
                    with lock:
                        seen["rejected"] = (env.payload.text, env.payload.text_en)
                    ctx.poke()

            def failed(env) -> None:  # the reader stays armed: lay the card again
                if mine(env):
                    ctx.say(f"{env.payload.text}", f"read failed ({env.payload.text_en}): lay the card again")

            def removed(env) -> None:
                if mine(env):
                    with lock:
                        if "read" in seen or "rejected" in seen:
                            seen["removed"] = True
                    ctx.poke()

            bus = kiosk.bus
            subscriptions.extend([bus.subscribe("idcard.card_read", read), bus.subscribe("idcard.card_rejected", rejected),
                                  bus.subscribe("idcard.read_failed", failed), bus.subscribe("idcard.card_removed", removed)])

        def lay(ctx: StepContext) -> StepResult | None:
            if (problem := _not_usable(reader, "读卡器", "reader")) is not None:
                return problem
            listen(ctx)
            reader.arm()
            if getattr(reader.status, "card", None) is CardPresence.READ_AWAITING_REMOVAL:
                ctx.say("读卡器上还有上一张证件，请先取走，再放测试卡",
                        "a card from before still lies on the reader: lift it, then lay the test card")
            else:
                ctx.say("请把测试卡放在读卡区", "lay the test card on the reader")
            got = ctx.wait(lambda: "read" in seen or "rejected" in seen, every=0.5)
            if got is None:
                return None
            if not got:
                t = ctx.step.timeout_s
                return StepResult(Verdict.FAIL, f"{t:g}秒内未读到证件：请确认测试卡平放在读卡区；仍读不到请检查读卡器天线和连线",
                                  f"no card read within {t:g} s: lay the test card flat on the reader; if it still fails, "
                                  "check the reader's antenna and cable", f"no card read within {t:g} s")
            with lock:
                if "rejected" in seen:
                    zh, en = seen["rejected"]
                    return StepResult(Verdict.FAIL, f"读卡器拒读此卡：{zh}", f"the reader rejected the card: {en}",
                                      f"card rejected: {en}")
                zh, en, valid = seen["read"]
            if not valid:
                return StepResult(Verdict.FAIL, f"{zh}；但号码校验位不符，读出的数据可能有误",
                                  f"{en}; but the number fails its check character: the data read may be corrupt",
                                  "card read, number fails its check character")
            return StepResult(Verdict.PASS, zh, en, "card read")

        def lift(ctx: StepContext) -> StepResult | None:
            got = ctx.wait(lambda: "removed" in seen, every=0.5)
            if got is None:
                return None
            if not got:
                t = ctx.step.timeout_s
                return StepResult(Verdict.FAIL, f"{t:g}秒内未检测到取走证件：请拿走测试卡；若已拿走，读卡器未能感知取卡",
                                  f"the card was not seen lifted within {t:g} s: lift it; if it is gone, the reader "
                                  "does not sense the removal", f"card not seen lifted within {t:g} s")
            return StepResult(Verdict.PASS, "已检测到取走证件", "the reader saw the card lifted", "card lifted")

        def cleanup() -> None:
            for unsubscribe in subscriptions:
                unsubscribe()
            if reader.armed:
                reader.disarm()
            with lock:
                seen.clear()

        plan: list[tuple[Step, Action]] = [
            (_step("lay_card", "请把测试卡放在读卡区", "Lay the test card on the reader", StepKind.WAIT, 60, timeouts), lay)]
        if getattr(reader, "removal_probe", True):
            plan.append((_step("lift_card", "请取走测试卡", "Lift the test card", StepKind.WAIT, 30, timeouts), lift))
        return GuidedCheck("idcard.read", "读卡测试", "Card read test", device_id, plan, audit, actor, cleanup=cleanup)

    return build


# -- printer ----------------------------------------------------------------------------------------
def _test_page(hall: str) -> list:
    from drivers.printer.layout import Feed, Qr, Rule, Text

    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    return [
        Text("*** 测试 TEST ***", 2, True), Text("打印测试页，非取号票据"), Rule(),
        Text(hall), Text("政务服务自助终端"), Text("中文：请核对每个汉字是否完整清晰"),
        Text("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), Text("0123456789 ()-+/:"),
        Qr("TEST", caption="测试二维码"), Rule(), Text(stamp), Text("*** 测试 TEST ***", 1, True), Feed(1),
    ]


def _print_check(device_id: str):
    def build(kiosk: Kiosk, audit, actor: str, timeouts: Mapping[str, float]) -> GuidedCheck:
        from drivers.printer.layout import render
        from drivers.printer.printer import PrintJob

        printer = kiosk.supervisor.devices[device_id]
        hall = kiosk.config.kiosk.hall_name

        def print_page(ctx: StepContext) -> StepResult | None:
            if ctx.cancelled:
                return None
            ctx.say("正在打印测试页…", "printing the test page…")
            job = PrintJob(render(_test_page(hall), printer.printer_model), test=True, max_age=ctx.step.timeout_s)
            result = printer.print(job)  # bounded by the driver; a test page is never counted as issued
            if not result.printed:
                return StepResult(Verdict.FAIL, f"测试页未打印：{result.reason}", f"test page not printed: {result.reason_en}")
            return StepResult(Verdict.PASS, "测试页已打印，打印机已确认，请检查打印效果",
                              "test page printed and confirmed by the printer: check it", "test page printed and confirmed")

        def check_print(ctx: StepContext) -> StepResult | None:
            got = ctx.wait(lambda: ctx.judgement is not None, every=1.0)
            if got is None:
                return None
            if not got:
                return StepResult(Verdict.CANCELLED, "无人判定打印效果，检查未完成", "nobody judged the print: check not completed",
                                  f"no verdict within {ctx.step.timeout_s:g} s")
            if ctx.judgement:
                return StepResult(Verdict.PASS, "技术员判定：合格", "the technician judged the print: pass", "judged pass")
            return StepResult(Verdict.FAIL, "技术员判定：不合格", "the technician judged the print: fail", "judged fail")

        plan: list[tuple[Step, Action]] = [
            (_step("print", "正在打印测试页（标有“测试”）", "Printing a test page (marked 测试)", StepKind.AUTO, 30, timeouts), print_page),
            (_step("check_print", "请检查测试页：中文完整清晰、切口整齐", "Check the print: Chinese complete, cut clean",
                   StepKind.VERDICT, 300, timeouts), check_print),
        ]
        return GuidedCheck("printer.print", "打印测试", "Print test", device_id, plan, audit, actor)

    return build


# -- locker line ------------------------------------------------------------------------------------
def _choices(kiosk: Kiosk, device_id: str) -> list[Choice]:
    from kiosk.lockers import CompartmentState

    lockers = kiosk.lockers
    if lockers is None:
        return []
    states = lockers.ledger.compartment_states()
    on_line = sorted((c for c in lockers.compartments.values() if c.device == device_id), key=lambda c: (c.cabinet, c.number))
    shared = _shared_numbers(on_line)
    return [Choice(c.cabinet, c.number, f"{c.cabinet} {c.number}号柜" if c.number in shared else f"{c.number}号柜")
            for c in on_line if states.get(c.key) is CompartmentState.EMPTY]


def _shared_numbers(compartments) -> set[int]:
    numbers = [c.number for c in compartments]
    return {n for n in numbers if numbers.count(n) > 1}


def _compartment(kiosk: Kiosk, device_id: str, number: int | None, cabinet: str | None):
    lockers = kiosk.lockers
    if number is None:
        raise Refused("请选择要测试的柜格", "choose the compartment to test: build(..., number=N)")
    on_line = [c for c in (lockers.compartments.values() if lockers else ()) if c.device == device_id
               and c.number == number and (cabinet is None or c.cabinet == cabinet)]
    if not on_line:
        raise Refused(f"{number}号柜不在这条锁控线路上", f"compartment {number} is not on line {device_id}")
    if len(on_line) > 1:
        raise Refused(f"{number}号柜在多个柜体中，请指明柜体", f"compartment {number} is in several cabinets: give cabinet=")
    return on_line[0]


def _door_check(device_id: str):
    def build(kiosk: Kiosk, audit, actor: str, timeouts: Mapping[str, float], *, number: int | None = None,
              cabinet: str | None = None) -> GuidedCheck:
        from kiosk.diagnostics.external import DoorOutcome, _restore, open_compartment
        from kiosk.lockers import CompartmentState
        from kiosk.lockers.model import Door

        lockers = kiosk.lockers
        c = _compartment(kiosk, device_id, number, cabinet)
        state = lockers.compartment_state(c.cabinet, c.number)
        if state is not CompartmentState.EMPTY:
            raise Refused(f"{c.number}号柜不是空柜（{state.value}），不能用于测试",
                          f"compartment {c.number} is {state.value}, not empty: "
                          "only an empty compartment may be opened for a test")
        hw = lockers.hardware[device_id]
        name, where = f"{c.number}号柜", f"compartment {c.number} (board {c.board} lock {c.lock})"

        def open_door(ctx: StepContext) -> StepResult | None:
            if ctx.cancelled:
                return None
            if (problem := _not_usable(hw, "锁控板", "lock board line")) is not None:
                return problem
            ctx.say(f"正在打开{name}…", f"opening {where}…")
            # the external check's door opening: refused unless empty, and the ledger marks the
            # compartment out of service before the unlock (never a forced opening to the patrol)
            test = open_compartment(lockers, c.cabinet, c.number, audit, actor)
            if test.outcome is not DoorOutcome.OPENED:
                return StepResult(Verdict.FAIL, test.text, test.text_en,
                                  f"{test.outcome.value}: {test.detail or test.text_en}")
            return StepResult(Verdict.PASS, f"{name}柜门已打开", f"{where}: door open", test.detail or "door open")

        def close_door(ctx: StepContext) -> StepResult | None:
            last = {"door": Door.OPEN, "problem": ""}

            def closed() -> bool:
                try:
                    hw.refresh()
                    last["problem"] = ""
                except TransportError as e:
                    last["problem"] = str(e)
                    return False
                last["door"] = hw.door(c.board, c.lock)
                return last["door"] is Door.CLOSED

            got = ctx.wait(closed, every=0.25)
            if got is None:
                return None
            if not got:
                t = ctx.step.timeout_s
                why_en = (f"the board does not answer ({last['problem']})" if last["problem"]
                          else f"the door still reads {last['door'].value}")
                return StepResult(
                    Verdict.FAIL, f"{t:g}秒内未检测到{name}关闭：请关好柜门；若已关好，请检查门磁和锁控板接线。"
                    "该柜格暂停使用，关门后在设备页恢复",
                    f"{where} not seen closed within {t:g} s ({why_en}): close it; if it is closed, check the door "
                    "sensor and the board's wiring. The compartment stays out of service until restored once closed",
                    f"{where} not seen closed within {t:g} s: {why_en}")
            back = _restore(lockers, c.cabinet, c.number, actor)  # to EMPTY, as restore_tested would
            if back.restored:
                return StepResult(Verdict.PASS, f"{name}柜门已关闭，门磁正常，已恢复使用",
                                  f"{where}: door closed, the door sensor works; back in service",
                                  f"{where}: door closed, restored")
            return StepResult(Verdict.PASS, f"{name}柜门已关闭，门磁正常；但未恢复使用：{back.text}",
                              f"{where}: door closed, the door sensor works; not back in service: {back.text_en}",
                              f"{where}: door closed, not restored")

        plan: list[tuple[Step, Action]] = [
            (_step("open_door", f"正在打开{name}（空柜）", f"Opening compartment {c.number} (empty)", StepKind.AUTO, 15, timeouts),
             open_door),
            (_step("close_door", f"请关上{name}柜门", f"Close door {c.number}", StepKind.WAIT, 120, timeouts), close_door),
        ]
        return GuidedCheck("locker.door", f"{name}柜门开关测试", f"Door test, compartment {c.number}", device_id, plan, audit, actor,
                           detail={"cabinet": c.cabinet, "number": c.number})

    return build


# -- document camera --------------------------------------------------------------------------------
def _page_check(device_id: str):
    def build(kiosk: Kiosk, audit, actor: str, timeouts: Mapping[str, float]) -> GuidedCheck:
        from drivers.camera.pipeline import classify_kind

        camera = kiosk.supervisor.devices[device_id]
        period = 1.0 / max(1.0, float(getattr(camera.output, "detect_hz", 8)))

        class Look:
            """One preview session: the latest frame, analysed; what it saw for the notes."""

            def __init__(self) -> None:
                self.analyzer = camera.preview_analyzer()
                self.last = -1
                self.seen = ("还没有画面", "no picture yet")

            def frame(self, ctx: StepContext):
                try:
                    frame = camera.frame(timeout=min(1.0, max(0.05, ctx.remaining())), newer_than=self.last)
                    self.last = frame.seq
                    return frame, self.analyzer.analyse(frame, document=True)
                except (TransportError, ValueError) as e:
                    self.seen = ("高拍仪没有画面", f"the camera gives no picture ({e})")
                    ctx.say(*self.seen)
                    return None, None

        def lay(ctx: StepContext) -> StepResult | None:
            look = Look()

            def steady_a4() -> bool:
                frame, preview = look.frame(ctx)
                if preview is None:
                    return False
                if not preview.detection.found:
                    look.seen = ("没有检测到纸张", "no page detected")
                elif classify_kind(preview.detection.corners, (frame.width, frame.height)) != "a4":
                    look.seen = ("检测到的是卡片大小的证件，请放一张A4纸", "a card-sized document, not an A4 page")
                elif not preview.stable:
                    look.seen = ("检测到A4纸，请保持不动", "A4 page detected, not steady yet")
                else:
                    return True
                ctx.say(*look.seen)
                return False

            got = ctx.wait(steady_a4, every=period)
            if got is None:
                return None
            if not got:
                t = ctx.step.timeout_s
                zh, en = look.seen
                return StepResult(Verdict.FAIL, f"{t:g}秒内未检测到平放稳定的A4纸（{zh}）：请把A4纸平放在深色台面中间；仍不行请检查高拍仪的焦距和光照",
                                  f"no steady A4 page within {t:g} s ({en}): lay it flat in the middle of the dark pad; "
                                  "if it still fails, check the camera's focus and lighting",
                                  f"no steady A4 page within {t:g} s: {en}")
            return StepResult(Verdict.PASS, "检测到A4纸，轮廓完整且稳定", "A4 page detected, outline complete and steady")

        def take(ctx: StepContext) -> StepResult | None:
            look = Look()
            empty = [0]

            def gone() -> bool:
                _, preview = look.frame(ctx)
                if preview is None:
                    empty[0] = 0
                    return False
                empty[0] = 0 if preview.detection.found else empty[0] + 1
                if empty[0] == 0:
                    look.seen = ("仍检测到纸张", "a page is still seen")
                    ctx.say("仍检测到纸张，请拿走", "a page is still seen: take it away")
                return empty[0] >= 3  # three frames in a row without a page

            got = ctx.wait(gone, every=period)
            if got is None:
                return None
            if not got:
                t = ctx.step.timeout_s
                zh, en = look.seen
                return StepResult(Verdict.FAIL, f"{t:g}秒内纸张未被拿走（{zh}）：请拿走纸张；若台面已空，请检查台面是否有杂物或反光",
                                  f"the page was not seen taken away within {t:g} s ({en}): take it away; if the pad is "
                                  "empty, look for clutter or glare on it", f"page not seen taken away within {t:g} s: {en}")
            return StepResult(Verdict.PASS, "纸张已拿走，台面为空", "page taken away, the pad is empty")

        plan: list[tuple[Step, Action]] = [
            (_step("lay_page", "请把一张A4纸平放在高拍仪下", "Lay an A4 page under the camera", StepKind.WAIT, 60, timeouts), lay),
            (_step("take_page", "请拿走纸张", "Take the page away", StepKind.WAIT, 30, timeouts), take),
        ]
        return GuidedCheck("camera.page", "高拍仪拍摄测试", "Document camera test", device_id, plan, audit, actor)

    return build
