"""维护模式: the technician's pages. The kiosk is out of service for citizens while they show.

Pages (``page``): ``overview`` (every device at a glance, backend link, outbox backlog, disk,
memory, version, config checksum; check all; export the diagnostics bundle), ``device`` (one
device: state, information, status fields, capabilities, statistics with reset, recent faults
with action hints, and its checks: internal, external, guided), ``doors`` (choose an empty
compartment to open), ``trace`` (the live bytes of one device, decoded and masked) and
``guided`` (a guided check's steps, with 合格 / 不合格 where the technician judges).

The data and every action are kiosk.diagnostics; each action is audited through the session
(kiosk.services.technician). Actions run off the Kivy thread; a result that comes back after the
page moved on is dropped. Leaving the screen (退出维护, the idle reset, the session's own end)
ends the session.
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)

import datetime as dt
import io
import logging
import threading

from kivy.app import App
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, OptionProperty, StringProperty

import ui.widgets.common  # noqa: F401  (Text, KioskButton)
from ui import theme as T
from ui.screens.journey import JourneyScreen
from ui.widgets.common import KioskButton, Text

log = logging.getLogger(__name__)
REFRESH_S = 1.0  # the overview, a device page and the session's end
TRACE_REFRESH_S = 0.5
TRACE_LINES = 60

KV_NAME = "ui/screens/technician.kv"
KV = """
#:import T ui.theme

<TechRow@Text>:
    role: 'body'

<TechScreen>:
    BoxLayout:
        orientation: 'vertical'
        BoxLayout:
            # the out-of-service notice, on every page: anyone walking up reads it first
            size_hint_y: None
            height: banner.height + dp(24)
            padding: dp(T.PAD), dp(12)
            canvas.before:
                Color:
                    rgba: T.WARN_BG
                Rectangle:
                    pos: self.pos
                    size: self.size
            Text:
                id: banner
                role: 'notice'
                bold: True
                color: T.WARN_TEXT
                text: app.tr('tech.banner', app.lang)
        BoxLayout:
            orientation: 'horizontal'
            padding: dp(24), dp(20)
            spacing: dp(24)
            BoxLayout:
                # the page list: overview and each device; export and exit at the foot
                orientation: 'vertical'
                size_hint_x: None
                width: dp(340) * app.ui_scale
                spacing: dp(12)
                ScrollView:
                    do_scroll_x: False
                    GridLayout:
                        id: nav
                        cols: 1
                        size_hint_y: None
                        height: self.minimum_height
                        spacing: dp(12)
                KioskButton:
                    id: export
                    text: app.tr('tech.export', app.lang)
                    on_release: root.export_bundle()
                KioskButton:
                    id: exit
                    style: 'primary'
                    text: app.tr('tech.exit', app.lang)
                    on_release: root.leave('logout')
            BoxLayout:
                orientation: 'vertical'
                spacing: dp(16)
                Text:
                    id: title
                    role: 'page_title'
                    bold: True
                    color: T.ACCENT
                    text: root.title
                Text:
                    id: result
                    role: 'notice'
                    color: T.WARN_TEXT if root.warn else T.TEXT
                    text: root.result
                BoxLayout:
                    spacing: dp(16)
                    ScrollView:
                        id: scroll
                        do_scroll_x: False
                        GridLayout:
                            id: rows
                            cols: 1
                            size_hint_y: None
                            height: self.minimum_height
                            spacing: dp(6)
                    Image:
                        id: preview
                        size_hint_x: None
                        width: self.parent.width * .45 if root.has_preview else 0
                        opacity: 1 if root.has_preview else 0
                        fit_mode: 'contain'
                GridLayout:
                    id: actions
                    cols: 3
                    size_hint_y: None
                    height: self.minimum_height
                    spacing: dp(12)
"""

KIND_NAMES = {"printer": ("打印机", "Printer"), "idcard": ("身份证阅读器", "ID card reader"),
              "camera": ("高拍仪", "Document camera"), "locker": ("智能柜", "Pickup locker")}
STATE_NAMES = {"online": ("正常", "online"), "busy": ("忙", "busy"), "starting": ("启动中", "starting"),
               "offline": ("无应答", "offline"), "no_device": ("未连接", "not present"),
               "user_error": ("需人工处理", "needs a person"), "hardware_error": ("硬件故障", "hardware error"),
               "power_off": ("未通电", "powered off")}
HINT_NAMES = {"clear": ("请现场处理", "clear it on site"), "reset": ("请重启设备", "reset the device"),
              "maintenance": ("请联系维修", "call maintenance"), "configuration": ("请检查配置", "check the config"),
              "none": ("", "")}


class TechScreen(JourneyScreen):  # the words (_tr, _pick); its message stays empty: nothing is spoken
    page = OptionProperty("overview", options=["overview", "device", "doors", "trace", "guided"])
    title = StringProperty("")
    result = StringProperty("")  # the last action's outcome, in words
    warn = BooleanProperty(False)
    has_preview = BooleanProperty(False)
    session = ObjectProperty(None, allownone=True)  # kiosk.services.technician.TechSession

    def __init__(self, **kwargs) -> None:
        self.device_id: str | None = None
        self._timer = None
        self._trace = None  # (context manager, Trace) while a live trace runs
        self._guided = None  # a running kiosk.diagnostics.guided.GuidedCheck
        self._stop_cycle = threading.Event()
        self.working = False  # an action runs: its buttons wait
        self._refreshing = False  # the page's data is being read for the next refresh
        self._exit_warned = False  # 退出维护 was pressed once with a tested door still open
        super().__init__(**kwargs)

    def _name(self, table: dict, key: str) -> str:
        zh, en = table.get(key, (key, key))
        return self._pick(zh, en)

    @property
    def kiosk(self):
        return App.get_running_app().kiosk

    @property
    def desk(self):
        return self.kiosk.technician

    # -- entry and exit -------------------------------------------------------------------------
    def on_pre_enter(self, *_args) -> None:
        self._fill_nav()
        self.show_overview()
        self._timer = Clock.schedule_interval(self._tick, REFRESH_S)

    def on_leave(self, *_args) -> None:
        self.leave_quietly("left")

    def clear(self) -> None:
        """The idle reset (or any reset home): the session ends, nothing stays on screen."""
        self.leave_quietly("idle")

    def leave(self, reason: str) -> None:
        """退出维护: end the session and give the kiosk back to citizens. A door opened for a test
        and still open is said first; a second 退出维护 leaves it out of service (staff see it)."""
        self._stop_work()
        still_open = self._restore_doors()
        if still_open and not self._exit_warned:
            self._exit_warned = True
            self._say(False, "；".join(r.text for r in still_open) + "。关好后再退出，或再按一次退出维护（柜格保持停用）",
                      "; ".join(r.text_en for r in still_open) + ". Close it first, or press again to leave it out of service.")
            return
        self.leave_quietly(reason, restore=False)
        App.get_running_app().go_home()

    def _restore_doors(self) -> list:
        """Compartments opened for a test go back in service once closed; the ones still open."""
        from kiosk.diagnostics.external import restore_tested

        if self.kiosk.lockers is None or self.session is None:
            return []
        return [r for r in restore_tested(self.kiosk.lockers, self.desk.audit, self.session.technician_id)
                if not r.restored]

    def leave_quietly(self, reason: str, restore: bool = True) -> None:
        self._exit_warned = False
        self._stop_work()
        try:
            if restore:  # the idle end too: whatever is closed again serves citizens
                self._restore_doors()
        except Exception:
            log.exception("could not restore the doors opened for a test")
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.session is not None and self.desk is not None:
            self.desk.end(self.session, reason)
        self.session = None
        self.device_id = None
        self._clear_page()
        self.title = ""

    def _stop_work(self) -> None:
        self._generation += 1
        self._stop_cycle.set()
        self._stop_trace()
        if self._guided is not None:
            self._guided.cancel()
            self._guided = None
        self.working = self._refreshing = False  # what they wait for is dropped with the generation

    def _tick(self, _dt) -> bool | None:
        app = App.get_running_app()
        if app is None or app.sm is not self.manager or self.manager.current != self.name:
            self._timer = None
            return False
        if self.session is not None and self.desk.session() is None:  # session_s is up (audited)
            self.session = None
            app.go_home()
            return False
        if self.page == "guided":
            self._guided_rows()
        elif self.page in ("overview", "device") and not self.working and not self._refreshing:
            # the store, /proc and the disk are read off the Kivy thread; one refresh at a time
            from kiosk.diagnostics.device_page import device_page
            from kiosk.diagnostics.overview import collect_overview

            kiosk, device_id = self.kiosk, self.device_id
            collect, show = ((lambda: collect_overview(kiosk, kiosk.faults), self._overview_rows)
                             if self.page == "overview" else
                             (lambda: device_page(kiosk, device_id, kiosk.faults), self._device_rows))
            self._refreshing = True
            self._background(collect, lambda data: self._refreshed(show, data), "tech-refresh")
        return None

    def _refreshed(self, show, data) -> None:
        self._refreshing = False
        if data is not None and not self.working:
            show(data)

    # -- building blocks ------------------------------------------------------------------------
    def _clear_page(self) -> None:
        self.ids.rows.clear_widgets()
        self.ids.actions.clear_widgets()
        self.result, self.warn, self.has_preview = "", False, False
        self.ids.preview.texture = None

    def _rows(self, lines: list[tuple[str, bool]]) -> None:
        """Replace the rows with ``(text, problem)`` lines (a problem shows in the warning colour)."""
        grid = self.ids.rows
        if [(w.text, w.problem) for w in reversed(grid.children)] == lines:
            return  # unchanged: no flicker, and the scroll position stays
        grid.clear_widgets()
        for text, problem in lines:
            row = Text(role="body", text=text, color=T.WARN_TEXT if problem else T.TEXT)
            row.problem = problem
            grid.add_widget(row)

    def _actions(self, buttons: list[tuple[str, object, bool]]) -> None:
        grid = self.ids.actions
        grid.clear_widgets()
        for text, action, enabled in buttons:
            button = KioskButton(text=text, disabled=not enabled)
            button.bind(on_release=lambda _b, a=action: a())
            grid.add_widget(button)

    def _fill_nav(self) -> None:
        nav = self.ids.nav
        nav.clear_widgets()
        overview = KioskButton(text=self._tr("tech.overview"))
        overview.bind(on_release=lambda _b: self.show_overview())
        nav.add_widget(overview)
        for device in self.kiosk.supervisor.devices.values():
            button = KioskButton(text=f"{self._name(KIND_NAMES, device.kind.value)}\n{device.device_id}", halign="center")
            button.bind(on_release=lambda _b, d=device.device_id: self.show_device(d))
            nav.add_widget(button)

    def _run(self, work, done, action: str) -> None:
        """``work()`` off the Kivy thread, its buttons closed meanwhile, then ``done(result)``; a
        failure comes to ``done`` as the exception (shown as a failed action, never a crash)."""
        self.working = True
        self.result, self.warn = self._tr("tech.working"), False
        for button in self.ids.actions.children:
            button.disabled = True

        def finish(result) -> None:
            self.working = False
            done(result)

        self._background(work, finish, f"tech-{action}", on_error=lambda e: e)

    def _say(self, ok: bool, zh: str, en: str = "") -> None:
        self.result, self.warn = self._pick(zh, en or zh), not ok

    def _failed(self, result) -> bool:
        if isinstance(result, Exception):
            self._say(False, f"操作失败：{type(result).__name__}", f"the action failed: {type(result).__name__}")
            return True
        return False

    def _record(self, action: str, detail: dict) -> None:
        if self.session is not None:
            self.desk.record(self.session, action, detail)

    # -- overview -------------------------------------------------------------------------------
    def show_overview(self) -> None:
        self._stop_work()
        self._clear_page()
        self.page, self.device_id = "overview", None
        self.title = self._tr("tech.overview")
        self._overview_rows()
        self._actions([(self._tr("tech.check_all"), self.check_all, True)])

    def _overview_rows(self, o=None) -> None:
        """The overview's lines, from ``o`` (collected off the Kivy thread by ``_tick``) or now."""
        from kiosk.diagnostics.overview import collect_overview

        o = o or collect_overview(self.kiosk, self.kiosk.faults)
        lines: list[tuple[str, bool]] = []
        for d in (*o.devices, *o.unbuilt):
            state = self._name(STATE_NAMES, d.state.value)
            problem = self._pick(d.problem, d.problem_en)
            lines.append((f"{self._name(KIND_NAMES, d.kind.value)} {d.device_id}（{d.model}）：{state}"
                          + (f" — {problem}" if problem else ""), not d.usable))
        reach = {None: ("尚未连接", "not tried yet"), True: ("正常", "reachable"),
                 False: (f"无法连接：{o.backend_error}", f"unreachable: {o.backend_error}")}[o.backend_reachable]
        lines.append((self._pick("后台连接：", "Backend: ") + self._pick(*reach), o.backend_reachable is False))
        oldest = "" if o.oldest_pending_age_s is None else self._pick(
            f"，最早 {o.oldest_pending_age_s / 60:.0f} 分钟前", f", oldest {o.oldest_pending_age_s / 60:.0f} min ago")
        lines.append((self._pick(f"待发送：{o.outbox_pending} 条（{_size(o.outbox_pending_bytes)}）",
                                 f"Outbox: {o.outbox_pending} waiting ({_size(o.outbox_pending_bytes)})") + oldest,
                      o.outbox_pending > 0 and o.backend_reachable is False))
        last = _when(o.last_delivery_at)
        lines.append((self._pick(f"最近送达：{last or '无'}", f"Last delivery: {last or 'none'}"), False))
        low_disk = o.disk_total_bytes > 0 and o.disk_free_bytes < o.disk_total_bytes * 0.1
        lines.append((self._pick(f"磁盘：可用 {_size(o.disk_free_bytes)} / 共 {_size(o.disk_total_bytes)}",
                                 f"Disk: {_size(o.disk_free_bytes)} free of {_size(o.disk_total_bytes)}"), low_disk))
        lines.append((self._pick(
            f"内存：可用 {_size(o.memory_available_bytes)} / 共 {_size(o.memory_total_bytes)}；本程序 {_size(o.process_rss_bytes)}",
            f"Memory: {_size(o.memory_available_bytes)} free of {_size(o.memory_total_bytes)}; "
            f"this program {_size(o.process_rss_bytes)}"), False))
        lines.append((self._pick(f"软件版本：{o.software_version}　配置校验码：{o.config_checksum}",
                                 f"Version: {o.software_version}   Config checksum: {o.config_checksum}"), False))
        self._rows(lines)

    def check_all(self) -> None:
        from kiosk.diagnostics.health import check_devices

        def work():
            report = check_devices(self.kiosk.supervisor.devices.values(), unbuilt=self.kiosk.supervisor.unbuilt)
            self._record("check.internal", {"device": "all", "ok": report.ok,
                                            "problems": [d.device_id for d in report.problems]})
            return report

        def done(report) -> None:
            if self._failed(report):
                return
            if report.ok:
                self._say(True, "全部设备检测正常", "every device passed")
            else:
                names = "、".join(d.device_id for d in report.problems)
                self._say(False, f"有问题的设备：{names}", f"devices with problems: {', '.join(d.device_id for d in report.problems)}")
            self._actions([(self._tr("tech.check_all"), self.check_all, True)])

        self._run(work, done, "check_all")

    def export_bundle(self) -> None:
        from kiosk.diagnostics.export import export_bundle

        self._run(lambda: export_bundle(self.kiosk, self.desk.audit, self.session.technician_id),
                  lambda e: self._failed(e) or self._say(e.ok, e.text, e.text_en), "export")

    # -- one device -----------------------------------------------------------------------------
    def _device(self):
        return self.kiosk.supervisor.devices.get(self.device_id)

    def show_device(self, device_id: str) -> None:
        self._stop_work()
        self._clear_page()
        if self.page in ("doors", "guided"):  # back from a door test: a closed door serves again
            self._restore_doors()
        self.page, self.device_id = "device", device_id
        device = self._device()
        self.title = f"{self._name(KIND_NAMES, device.kind.value)} {device_id}"
        self._device_rows()
        self._device_actions()

    def _device_actions(self) -> None:
        from kiosk.diagnostics.guided import guided_checks

        device = self._device()
        kind = device.kind.value
        buttons = [(self._tr("tech.internal"), self.check_internal, True)]
        if kind == "printer":
            buttons.append((self._tr("tech.print_test"), self.print_test, True))
        elif kind == "camera":
            buttons.append((self._tr("tech.test_frame"), self.test_frame, True))
        elif kind == "locker" and self.kiosk.lockers is not None:
            from kiosk.diagnostics.external import stopped_compartments

            stopped = len(stopped_compartments(self.kiosk.lockers, self.device_id))
            buttons += [(self._tr("tech.open_door"), self.show_doors, True), (self._tr("tech.cycle"), self.cycle, True),
                        (self._tr("tech.stopped") + (self._pick(f"（{stopped}）", f" ({stopped})") if stopped else ""),
                         self.show_stopped, True)]
        for spec in guided_checks(self.kiosk, self.device_id):
            buttons.append((f"{self._tr('tech.guided')}：{self._pick(spec.title, spec.title_en)}",
                            lambda s=spec: self.start_guided(s), True))
        buttons.append((self._tr("tech.reset_stats"), self.reset_stats, True))
        if kind != "camera":  # a camera delivers decoded frames, not bytes to trace
            buttons.append((self._tr("tech.trace"), self.show_trace, True))
        self._actions(buttons)

    def _device_rows(self, p=None) -> None:
        """The device page's lines, from ``p`` (collected off the Kivy thread by ``_tick``) or now."""
        from kiosk.diagnostics.device_page import device_page

        p = p or device_page(self.kiosk, self.device_id, self.kiosk.faults)
        lines: list[tuple[str, bool]] = [
            (self._pick("状态：", "State: ") + self._name(STATE_NAMES, p.state.value), not p.state.usable)]
        lines += [(f"{self._pick(r.label, r.label_en)}：{r.value}", False) for r in p.info]
        lines += [(f"{self._pick(r.label, r.label_en)}：{r.value}", False) for r in p.status]
        if p.capabilities:
            lines.append((self._pick("能力：", "Capabilities: ") + ", ".join(p.capabilities), False))
        if p.statistics:
            lines.append((self._pick("统计：", "Statistics: ") + "，".join(f"{k} {v}" for k, v in p.statistics), False))
        for f in p.faults[:10]:
            hint = self._name(HINT_NAMES, f.hint.value)
            lines.append((f"{_when(f.ts)} {self._pick(f.text, f.text_en)}" + (f"（{hint}）" if hint else ""), True))
        self._rows(lines)

    def check_internal(self) -> None:
        from kiosk.diagnostics.health import check_device

        device = self._device()

        def work():
            health = check_device(device)
            self._record("check.internal", {"device": device.device_id, "ok": health.ok,
                                            "problem": health.problem.code if health.problem else None})
            return health

        def done(h) -> None:
            if not self._failed(h):
                words = (h.problem.text, h.problem.text_en) if h.problem else (h.text, h.text_en)
                if h.problem is not None and h.problem.code == h.state.value and self.kiosk.faults is not None:
                    # a device already in trouble raises no new fault during the check: the fault
                    # that put it there says more than its state (out of paper, not "needs a person")
                    from kiosk.diagnostics.faults import main_problem

                    cause = main_problem(self.kiosk.faults.since_usable(device.device_id), h.state)
                    words = (cause.text, cause.text_en) if cause is not None else words
                self._say(h.ok, *words)
            self._device_actions()

        self._run(work, done, "check_internal")

    def print_test(self) -> None:
        from kiosk.diagnostics.external import print_test_ticket

        device = self._device()

        def done(r) -> None:
            self._failed(r) or self._say(r.ok, r.text, r.text_en)
            self._device_actions()

        self._run(lambda: print_test_ticket(device, self.desk.audit, self.session.technician_id), done, "print_test")

    def test_frame(self) -> None:
        from kiosk.diagnostics.external import camera_test_frame

        device = self._device()

        def done(frame) -> None:
            self._device_actions()
            if self._failed(frame):
                return
            codes = "；".join(f"{fmt} {text}" for fmt, text in frame.codes)
            self._say(frame.ok, frame.text + (f"；{codes}" if codes else ""), frame.text_en + (f"; {codes}" if codes else ""))
            if frame.preview_png:
                self.ids.preview.texture = CoreImage(io.BytesIO(frame.preview_png), ext="png").texture
                self.has_preview = True

        self._run(lambda: camera_test_frame(device, self.desk.audit, self.session.technician_id), done, "test_frame")

    def reset_stats(self) -> None:
        from kiosk.diagnostics.device_page import reset_statistics

        device_id = self.device_id

        def done(r) -> None:
            if not self._failed(r):
                self._say(True, "统计已清零", "statistics reset")
                self._device_rows()
            self._device_actions()

        self._run(lambda: reset_statistics(self.kiosk, device_id, self.desk.audit, self.session.technician_id),
                  done, "reset_stats")

    # -- doors ----------------------------------------------------------------------------------
    def _empty_doors(self):
        from kiosk.lockers import CompartmentState

        lockers = self.kiosk.lockers
        states = lockers.ledger.compartment_states()
        return [c for c in sorted(lockers.compartments.values(), key=lambda c: (c.cabinet, c.number))
                if c.device == self.device_id and c.enabled and states.get(c.key) is CompartmentState.EMPTY]

    def show_doors(self) -> None:
        self._stop_work()
        self._clear_page()
        self.page = "doors"
        self.result = self._tr("tech.choose_door")
        doors = self._empty_doors()
        several = len({c.cabinet for c in self.kiosk.lockers.compartments.values()}) > 1
        self._actions([((f"{c.cabinet} " if several else "") + self._pick(f"{c.number} 号", f"No. {c.number}"),
                        lambda c=c: self.open_door(c.cabinet, c.number), True) for c in doors]
                      + [(self._tr("back"), lambda: self.show_device(self.device_id), True)])

    def open_door(self, cabinet: str, number: int) -> None:
        from kiosk.diagnostics.external import open_compartment

        def done(r) -> None:
            self._failed(r) or self._say(r.opened, r.text, r.text_en)
            self._actions([(self._tr("back"), lambda: self.show_device(self.device_id), True)])

        self._run(lambda: open_compartment(self.kiosk.lockers, cabinet, number, self.desk.audit,
                                           self.session.technician_id), done, "open_door")

    def show_stopped(self) -> None:
        """停用柜格: this line's out-of-service compartments with why, each one to restore (a
        repaired lock, a forced door checked, a door tested before a restart)."""
        from kiosk.diagnostics.external import stopped_compartments

        self._stop_work()
        self._clear_page()
        self.page = "doors"
        back = (self._tr("back"), lambda: self.show_device(self.device_id), True)
        stopped = stopped_compartments(self.kiosk.lockers, self.device_id)
        if not stopped:
            self._say(True, self._tr("tech.none_stopped"))
            self._actions([back])
            return
        self.result = self._tr("tech.choose_restore")
        self._rows([(self._pick(s.text(), s.text(english=True)), True) for s in stopped])
        self._actions([(self._pick(f"恢复 {s.number} 号", f"Restore No. {s.number}"),
                        lambda s=s: self.restore_door(s.cabinet, s.number), True) for s in stopped] + [back])

    def restore_door(self, cabinet: str, number: int) -> None:
        from kiosk.diagnostics.external import restore_compartment

        def done(r) -> None:
            if self._failed(r):
                self._actions([(self._tr("back"), lambda: self.show_device(self.device_id), True)])
                return
            self.show_stopped()  # the list as it is now
            self._say(r.restored, r.text, r.text_en)

        self._run(lambda: restore_compartment(self.kiosk.lockers, cabinet, number, self.desk.audit,
                                              self.session.technician_id), done, "restore_door")

    def cycle(self) -> None:
        from kiosk.diagnostics.external import cycle_empty

        self._stop_cycle = stop = threading.Event()
        lines: list[tuple[str, bool]] = []

        def show(test) -> None:
            lines.append((self._pick(test.text, test.text_en), not test.opened))
            self._rows(list(lines))

        progress = self._current(show)

        def done(results) -> None:
            if not self._failed(results):
                bad = [r for r in results if not r.opened]
                self._say(not bad, f"已打开 {len(results) - len(bad)} 个空柜门，{len(bad)} 个未打开",
                          f"{len(results) - len(bad)} empty doors opened, {len(bad)} did not")
            self._actions([(self._tr("back"), lambda: self.show_device(self.device_id), True)])

        self.ids.rows.clear_widgets()
        self.page = "doors"
        self._run(lambda: cycle_empty(self.kiosk.lockers, self.desk.audit, self.session.technician_id,
                                      on_progress=progress, should_stop=stop.is_set), done, "cycle")
        self._actions([(self._tr("tech.stop"), stop.set, True)])

    # -- live trace -----------------------------------------------------------------------------
    def show_trace(self) -> None:
        from kiosk.diagnostics.trace import NotTraceable, tracing

        self._stop_work()
        self._clear_page()
        self.page = "trace"
        device = self._device()
        self.title = f"{self._tr('tech.trace')}：{device.device_id}"
        context = tracing(device)
        try:
            trace = context.__enter__()
        except NotTraceable as e:
            self._say(False, str(e))
            self._actions([(self._tr("back"), lambda: self.show_device(self.device_id), True)])
            return
        self._trace = (context, trace, Clock.schedule_interval(self._trace_rows, TRACE_REFRESH_S))
        self._record("trace.start", {"device": device.device_id})
        self._actions([(self._tr("back"), lambda: self.show_device(self.device_id), True)])

    def _trace_rows(self, _dt) -> None:
        from kiosk.diagnostics.trace import format_record

        if self._trace is not None:
            self._rows([(format_record(r), False) for r in self._trace[1].records()[-TRACE_LINES:]])
            self.ids.scroll.scroll_y = 0  # follow the newest bytes, at the bottom

    def _stop_trace(self) -> None:
        if self._trace is not None:
            context, _trace, event = self._trace
            self._trace = None
            event.cancel()
            context.__exit__(None, None, None)

    # -- guided checks --------------------------------------------------------------------------
    def start_guided(self, spec, **params) -> None:
        from kiosk.diagnostics.guided import Refused

        self._stop_work()
        self._clear_page()
        self.page = "guided"
        self.title = self._pick(spec.title, spec.title_en)
        back = (self._tr("back"), lambda: self.show_device(self.device_id), True)
        if spec.parameter == "number" and not params:  # which door: the empty ones, as the check says
            self.result = self._tr("tech.choose_door")
            self._actions([(c.label, lambda c=c: self.start_guided(spec, number=c.number, cabinet=c.cabinet), True)
                           for c in spec.choices] + [back])
            return
        try:
            self._guided = spec.build(self.kiosk, self.desk.audit, self.session.technician_id, **params)
        except Refused as e:
            self._say(False, e.text, e.text_en)
            self._actions([back])
            return
        self._guided.start()
        self._guided_rows()

    def _guided_rows(self) -> None:
        from kiosk.diagnostics.guided import Verdict

        check = self._guided
        if check is None:
            return
        s = check.snapshot()
        marks = {Verdict.PASS: "✓", Verdict.FAIL: "✗", Verdict.CANCELLED: "—", Verdict.PENDING: "…"}
        self._rows([(f"{marks[o]} {i + 1}. {self._pick(step.text, step.text_en)}", o is Verdict.FAIL)
                    for i, (step, o) in enumerate(zip(s.steps, s.outcomes))])
        note = self._pick(s.note, s.note_en)
        if s.finished:
            verdict = {Verdict.PASS: ("检测通过", "passed"), Verdict.FAIL: ("检测未通过", "failed"),
                       Verdict.CANCELLED: ("检测已取消", "cancelled")}.get(s.verdict, ("", ""))
            self._say(s.verdict is Verdict.PASS, f"{verdict[0]}。{note}" if note else verdict[0],
                      f"{verdict[1]}. {note}" if note else verdict[1])
            wanted = [(self._tr("back"), lambda: self.show_device(self.device_id), True)]
        else:
            step = s.steps[s.index]
            self._say(True, f"{step.text}　{note}".strip(), f"{step.text_en}  {note}".strip())
            wanted = ([(self._tr("tech.pass"), lambda: check.judge(True), True),
                       (self._tr("tech.fail"), lambda: check.judge(False), True)]
                      if s.awaiting_verdict else [])
            wanted.append((self._tr("tech.cancel"), check.cancel, True))
        if [b.text for b in reversed(self.ids.actions.children)] != [t for t, _, _ in wanted]:
            self._actions(wanted)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _when(ts: float | None) -> str:
    return "" if ts is None else dt.datetime.fromtimestamp(ts).strftime("%m-%d %H:%M:%S")


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
