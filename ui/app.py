"""The kiosk's Kivy application and `run_ui`, the entry the `kiosk run` command calls.

Hardened per kivy-notes §6: Esc, F1 (Kivy's settings panel) and window close / Alt-F4 are
swallowed; there is one input provider (ui.kivyenv). Device state reaches the screens through
the event bus: any `device.*` event refreshes the home tiles' availability, handed over to the
Kivy main thread with the Clock (bus handlers run in the publisher's thread).

SIGTERM and SIGINT stop the app gracefully (README "Stopping", kiosk.core.Drain): the signal
handler only notes the signal; the app's clock sees it within STOP_POLL_S, ignores every touch
and key from then on (no new journey), and stops once the door being opened or the ticket being
printed is done (DRAIN_S at most; at once on a second signal).
"""

from __future__ import annotations

from ui import kivyenv  # noqa: I001  (first: environment, font and config before any kivy import)

import datetime as _dt
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.clock import Clock
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from ui import i18n
from ui import theme as T
from ui.corner_taps import CORNER_DP, CornerTaps
from ui.idle import IdleWatcher
from ui.screens.home import HomeScreen
from ui.screens.checkin import CheckInScreen
from ui.screens.pickup import PickupScreen
from ui.screens.services import ServicesScreen
from ui.screens.staff import StaffScreen
from ui.screens.submit import SubmitScreen
from ui.screens.tech_entry import TechEntryScreen
from ui.screens.technician import TechScreen
from ui.screens.ticket import TicketScreen
from ui.widgets.notice import NoticeView

if TYPE_CHECKING:
    from kiosk.core import Kiosk

log = logging.getLogger(__name__)

HOME = "home"
TECH_ENTRY, TECH = "tech_entry", "tech"
ESCAPE = 27
IDLE_WARNING_S = 20.0  # the countdown shows this long before the return home (domain.md §10)
STOP_POLL_S = 0.1  # how often the clock looks for a stop signal (Kivy's loop turns at 30 fps anyway)


class KioskApp(App):
    lang = OptionProperty(i18n.DEFAULT_LANG, options=list(i18n.LANGS))
    elder = BooleanProperty(False)  # 大字模式
    ui_scale = NumericProperty(1.0)  # dp sizes of touch targets: 1.0 or theme.ELDER_SCALE
    idle_timeout = NumericProperty(90.0)  # seconds without a touch before the return home
    hall_name = StringProperty("")
    hall_name_en = StringProperty("")
    now_date = StringProperty("")
    now_time = StringProperty("")

    use_kivy_settings = False

    def __init__(self, kiosk: Kiosk, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kiosk = kiosk
        self.title = i18n.tr("app.title")
        self.hall_name = kiosk.config.kiosk.hall_name
        self.hall_name_en = kiosk.config.kiosk.hall_name_en
        self.idle_timeout = float(kiosk.config.kiosk.idle_timeout_s)
        self.sm: ScreenManager | None = None
        self.notice: NoticeView | None = None
        self.idle = IdleWatcher(self.effective_idle_timeout, self._has_session, self.reset_session,
                                warn_before=IDLE_WARNING_S, on_warn=self._idle_warn, on_unwarn=self._idle_unwarn)
        self.idle_warning = None
        self.corner = CornerTaps()
        self.maintenance_pending = False  # a technician waits for the citizen journey to end
        self._refresh = Clock.create_trigger(self.refresh_availability)
        self._unsubscribe = None
        self._clock_event = None
        self._window = None
        self._disarm_systemd = None
        self._stop_watch = None
        self.stopping = False  # a stop signal came: input ignored, the app stops once drained

    # -- words -----------------------------------------------------------------------------------
    def tr(self, key: str, lang: str | None = None, **fmt) -> str:
        return i18n.tr(key, lang or self.lang, **fmt)

    def pick(self, zh: str, en: str, lang: str | None = None) -> str:
        return i18n.pick(zh, en, lang or self.lang)

    # -- lifecycle -------------------------------------------------------------------------------
    def build(self):
        from kivy.core.window import Window

        Window.clearcolor = T.BG
        # Screens switch at once: no motion to follow, and no shader transition, which costs
        # seconds of shader compilation on a GPU-less box (Mesa llvmpipe).
        self.sm = ScreenManager(transition=NoTransition())
        self.sm.add_widget(HomeScreen(name=HOME))
        services = ServicesScreen(name="services")
        services.bind(on_service=self._on_service)
        self.sm.add_widget(services)
        self.sm.add_widget(TicketScreen(name="ticket"))
        self.sm.add_widget(PickupScreen(name="pickup"))
        self.sm.add_widget(CheckInScreen(name="checkin"))
        self.sm.add_widget(StaffScreen(name="staff"))
        self.sm.add_widget(SubmitScreen(name="submit"))
        self.sm.add_widget(TechEntryScreen(name=TECH_ENTRY))
        self.sm.add_widget(TechScreen(name=TECH))
        for screen in self.sm.screens:  # 语音提示: a journey screen's step is spoken as it shows
            if "message" in screen.properties():
                screen.bind(message=self._speak)
        self.sm.bind(current=lambda _sm, name: self._speak(self.sm.get_screen(name)))
        return self.sm

    def _on_service(self, _screen, code: str) -> None:
        """取号: a service was chosen; the ticket screen takes it from here."""
        service = next(s for g in self.kiosk.config.service_groups for s in g.services if s.code == code)
        self.sm.get_screen("ticket").start(code, self.pick(service.name, service.name_en, self.lang))
        self.go("ticket")

    def _speak(self, screen, *_args) -> None:
        voice = self.kiosk.voice
        if voice is None or self.sm is None or screen.name != self.sm.current:
            return
        message = getattr(screen, "message", "")
        if message.strip():
            voice.say(message, self.lang, slow=self.elder)

    def on_start(self) -> None:
        from kivy.core.window import Window

        self._window = Window
        Window.bind(on_keyboard=self._on_keyboard, on_request_close=self._on_request_close,
                    on_touch_down=self._on_corner_touch)
        self._unsubscribe = self.kiosk.bus.subscribe("device", self._on_device_event)
        self._tick_clock()
        self._clock_event = Clock.schedule_interval(self._tick_clock, 1.0)
        self.refresh_availability()
        self.idle.start(Window)
        # systemd (Type=notify, WatchdogSec=): READY after the first frame, pings from this clock
        from kiosk.sdnotify import Notifier
        from kiosk.watchdog import Watchdog
        from ui import systemd_notify

        self.watchdog = Watchdog(Notifier.from_env(), self.kiosk.liveness_checks())
        self._disarm_systemd = systemd_notify.arm(Window, Clock, self.watchdog)
        self._stop_watch = Clock.schedule_interval(self._watch_stop, STOP_POLL_S)

    def on_stop(self) -> None:
        if self._stop_watch is not None:
            self._stop_watch.cancel()
            self._stop_watch = None
        if self._disarm_systemd is not None:
            self._disarm_systemd()
            self._disarm_systemd = None
            if not self.stopping:  # else already said when the stop began
                self.watchdog.stopping()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._clock_event is not None:
            self._clock_event.cancel()
            self._clock_event = None
        self._refresh.cancel()
        self.idle.stop()
        self.close_notice()
        if self._window is not None:
            self._window.unbind(
                on_keyboard=self._on_keyboard,
                on_request_close=self._on_request_close,
                on_touch_down=self._on_corner_touch,
            )
            self._window.unbind(on_keyboard=self._on_keyboard_settings)
            self._window.unbind(on_touch_down=self._ignore, on_touch_move=self._ignore, on_touch_up=self._ignore,
                                on_key_down=self._ignore, on_textinput=self._ignore)
            self._window = None

    # -- hardening (kivy-notes §6) ---------------------------------------------------------------
    def open_settings(self, *_args) -> bool:
        return False  # F1 (also sent by some barcode scanners) must not open Kivy's settings

    def _on_keyboard(self, _window, key, *_args) -> bool:
        return key == ESCAPE  # True: consumed, Kivy's default handler never sees Esc

    def _on_request_close(self, *_args, **_kwargs) -> bool:
        return True  # window close / Alt-F4: refused (a stop is SIGTERM's, see _watch_stop)

    # -- the graceful stop (kiosk.core.Drain) -----------------------------------------------------
    def _watch_stop(self, *_args) -> None:
        drain = self.kiosk.drain
        ready = drain.poll()
        if drain.requested and not self.stopping:
            self.stopping = True
            if self._window is not None:  # no new journey: every touch and key ignored from now on
                self._window.bind(on_touch_down=self._ignore, on_touch_move=self._ignore, on_touch_up=self._ignore,
                                  on_key_down=self._ignore, on_textinput=self._ignore)
            if self._disarm_systemd is not None:
                self.watchdog.stopping()  # systemd shows "deactivating" while the drain runs
        if ready:
            self.stop()

    def _ignore(self, *_args, **_kwargs) -> bool:
        return True  # bound last, called first: consumed before any widget sees it

    # -- navigation ------------------------------------------------------------------------------
    def go(self, screen: str) -> None:
        self.close_notice()
        if screen == HOME and self.maintenance_pending:  # the journey is over: the technician's turn
            self.maintenance_pending = False
            screen = TECH_ENTRY
        self.sm.current = screen

    # -- 维护模式 ------------------------------------------------------------------------------
    def _on_corner_touch(self, window, touch) -> bool:
        """The hidden gesture; the touch goes on to whatever lies under it (never consumed)."""
        if self.corner.touch(touch.x, window.height - touch.y, dp(CORNER_DP), time.monotonic()):
            Clock.schedule_once(lambda _dt: self.request_maintenance())
        return False

    def request_maintenance(self) -> None:
        """The technician asks in: at once on the home screen; during a citizen journey, when it
        ends or by ending it (never under an open door or a printing ticket)."""
        desk = self.kiosk.technician
        if self.sm is None or self.sm.current in (TECH_ENTRY, TECH) or desk is None:
            return
        if self.sm.current == HOME:
            self.go(TECH_ENTRY)
            return
        from ui.widgets.tech_defer import TechDeferView

        self.close_notice()
        view = TechDeferView(busy=bool(getattr(self.sm.current_screen, "busy", False)))
        view.bind(on_choice=self._deferred)
        self.notice = view
        view.bind(on_dismiss=self._notice_closed)
        view.open(animation=False)

    def _deferred(self, view, choice: str) -> None:
        view.dismiss(animation=False)
        if choice == "wait":
            self.maintenance_pending = True
            log.info("maintenance mode: waiting for the citizen journey to end")
        elif choice == "abort" and not getattr(self.sm.current_screen, "busy", False):
            log.info("maintenance mode: the citizen journey was ended by the technician")
            self.maintenance_pending = True
            self.reset_session()

    def enter_maintenance(self, session) -> None:
        """A technician signed in: the kiosk is out of service until they leave."""
        self.sm.get_screen(TECH).session = session
        self.go(TECH)

    def go_home(self) -> None:
        self.go(HOME)

    def show_notice(self, title: str, message: str = "", todo: str = "") -> NoticeView:
        self.close_notice()
        self.notice = NoticeView(title=title, message=message, todo=todo)
        self.notice.bind(on_dismiss=self._notice_closed)
        self.notice.open(animation=False)
        return self.notice

    def close_notice(self) -> None:
        if self.notice is not None:
            self.notice.dismiss(animation=False)
            self.notice = None

    def _notice_closed(self, view: NoticeView) -> None:
        if self.notice is view:
            self.notice = None

    # -- modes -----------------------------------------------------------------------------------
    def toggle_elder(self) -> None:
        self.elder = not self.elder

    def toggle_lang(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"

    def on_elder(self, _app, elder: bool) -> None:
        self.ui_scale = T.ELDER_SCALE if elder else 1.0

    def on_lang(self, _app, _lang: str) -> None:
        self._tick_clock()

    # -- idle return home ------------------------------------------------------------------------
    def effective_idle_timeout(self) -> float:
        if self.sm is not None and self.sm.current == TECH and self.kiosk.technician is not None:
            return self.kiosk.technician.settings.idle_s  # a technician reads and waits for devices
        return self.idle_timeout * (T.ELDER_IDLE_FACTOR if self.elder else 1.0)

    def _has_session(self) -> bool:
        """Is anything of the last visitor's left to reset?"""
        if self.sm is not None and getattr(self.sm.current_screen, "busy", False):
            return False  # a door is open or a ticket is printing: never reset under it
        return bool(
            (self.sm is not None and self.sm.current != HOME)
            or self.notice is not None
            or self.elder
            or self.lang != i18n.DEFAULT_LANG
        )

    def _idle_warn(self, seconds_left: int) -> None:
        from ui.widgets.idle_warning import IdleWarning

        if self.idle_warning is None:
            self.idle_warning = IdleWarning()
            self.idle_warning.bind(on_dismiss=lambda *_: self.idle.poke())
            self.idle_warning.open(animation=False)
        self.idle_warning.seconds_left = seconds_left

    def _idle_unwarn(self) -> None:
        if self.idle_warning is not None:
            warning, self.idle_warning = self.idle_warning, None
            warning.dismiss(animation=False)

    def reset_session(self) -> None:
        """Back to a clean home screen: no dialog, Chinese, normal text."""
        log.info("idle: back to the home screen")
        if self.kiosk.voice is not None:
            self.kiosk.voice.stop()
        self._idle_unwarn()
        self.close_notice()
        if self.sm is not None:
            for screen in self.sm.screens:  # now, not when the switch completes on a later frame
                if hasattr(screen, "clear"):
                    screen.clear()
            if self.sm.current != HOME:
                self.sm.current = HOME
        self.lang = i18n.DEFAULT_LANG
        self.elder = False
        if self.maintenance_pending and self.sm is not None:  # the journey ended: the technician's turn
            self.maintenance_pending = False
            self.sm.current = TECH_ENTRY

    # -- clock and devices -----------------------------------------------------------------------
    def _tick_clock(self, *_args) -> None:
        now = _dt.datetime.now()
        self.now_date = i18n.format_date(now, self.lang)
        self.now_time = i18n.format_time(now)

    def _on_device_event(self, _envelope) -> None:
        self._refresh()  # any thread: Clock triggers are thread-safe; coalesces bursts

    def refresh_availability(self, *_args) -> None:
        try:
            availability = self.kiosk.availability()
        except Exception:
            log.exception("could not read journey availability; keeping the tiles as they were")
            return
        if self.sm is not None:
            self.sm.get_screen(HOME).apply_availability(availability)


def run_ui(
    kiosk: Kiosk,
    fullscreen: bool = True,
    *,
    size: tuple[int, int] | None = None,
    exit_after: float | None = None,
    screenshot: str | os.PathLike[str] | None = None,
) -> int:
    """Show the UI and block until it stops; returns the exit status (0).

    The caller owns the kiosk's lifecycle (`kiosk.start()` before, `kiosk.stop()` after) and its
    signal handlers (`kiosk.drain.listen()`, ui.launcher): the app stops when `kiosk.drain` says.
    `fullscreen=False` opens a `size` window (default 1920x1080) for development. For smoke runs,
    `exit_after` stops the app after that many seconds; with `screenshot`, the screen is saved
    to that PNG path just before.
    """
    kivyenv.configure(fullscreen=fullscreen, size=size)
    app = KioskApp(kiosk)
    if exit_after is not None:

        def finish(_dt: float) -> None:
            if screenshot is None:
                app.stop()
                return
            from kivy.core.window import Window

            # save a frame as it is drawn (before the swap): a read between frames on a busy
            # machine can get a buffer nothing was drawn into yet
            def drawn(*_args) -> None:
                Window.unbind(on_flip=drawn)
                save_screenshot(screenshot)
                app.stop()

            Window.bind(on_flip=drawn)
            Window.canvas.ask_update()

        Clock.schedule_once(finish, exit_after)
    app.run()
    return 0


def save_screenshot(path: str | os.PathLike[str]) -> Path:
    """Save what the window shows to exactly `path` (Window.screenshot() numbers its names)."""
    from kivy.core.window import Window

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        taken = Window.screenshot(name=str(Path(tmp) / "screen.png"))
        shutil.move(taken, target)
    log.info("screenshot saved", extra={"path": str(target)})
    return target
