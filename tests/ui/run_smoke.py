"""A whole `run_ui()` in its own process, for smoke tests: `python -m tests.ui.run_smoke
--size 1080x1920 --exit-after 1.5 --screenshot out.png [--elder] [--english] [--screen NAME]`.

``--screen`` shows a journey screen as a citizen would see it (one of ``SCREENS``) and, just
before the screenshot, prints ``LAYOUT <json list of problems>``: text too big for its widget, off the screen, or a word wider
than its line (the checks of tests/ui/test_layout.py).
"""

from __future__ import annotations

import argparse
import sys

from ui.app import run_ui  # noqa: I001  (imports ui.kivyenv first)

from kivy.app import App
from kivy.clock import Clock

from tests.ui.fakes import make_kiosk

SCREENS = ("ticket_choose", "ticket_done", "ticket_failed", "pickup_entry", "pickup_open",
           "staff_case", "staff_open", "staff_overdue", "submit_list", "submit_done")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--size", default="1920x1080")
    p.add_argument("--exit-after", type=float, default=1.5)
    p.add_argument("--screenshot")
    p.add_argument("--elder", action="store_true")
    p.add_argument("--english", action="store_true")
    p.add_argument("--screen", choices=SCREENS)
    args = p.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))

    def modes(_dt: float) -> None:
        app = App.get_running_app()
        app.elder = args.elder
        app.lang = "en" if args.english else "zh"
        if args.screen:
            show(app, args.screen)

    attempts = [0]

    def check(_dt: float) -> None:
        """Once the layout has settled (a loaded machine takes a few frames more), report it,
        save the screenshot and stop; a layout still wrong after 4 s is reported as it is."""
        import json

        from kivy.core.window import Window

        from tests.ui.test_layout import text_problems
        from ui.app import save_screenshot

        problems = text_problems(Window)
        attempts[0] += 1
        if problems and attempts[0] < 16:
            Clock.schedule_once(check, 0.25)
            return
        print("LAYOUT " + json.dumps(problems, ensure_ascii=False), flush=True)
        if not args.screenshot:
            App.get_running_app().stop()
            return

        # Read the frame just drawn, before the buffers swap: a read between frames got the
        # other buffer, which still held the home screen under the journey screen's gaps.
        def drawn(*_args) -> None:
            Window.unbind(on_flip=drawn)
            save_screenshot(args.screenshot)
            App.get_running_app().stop()

        Window.bind(on_flip=drawn)
        Window.canvas.ask_update()

    Clock.schedule_once(modes, 0)
    if args.screen:
        Clock.schedule_once(check, 0.8)
    return run_ui(
        make_kiosk(), fullscreen=False, size=(width, height), exit_after=args.exit_after, screenshot=args.screenshot
    )


def show(app, screen: str) -> None:
    """Put a journey screen in the state a citizen sees (presentation only: the fake kiosk has
    no devices; the journeys themselves are tested on the simulated hall)."""
    import time

    from intake import contract as c
    from kiosk.services.take_number import TakeResult, TakeStatus

    if screen.startswith("ticket"):
        ticket = app.sm.get_screen("ticket")
        ticket.start("si-card", app.pick("社会保障卡申领", "Social Security Card", app.lang))
        app.go("ticket")
        if screen == "ticket_done":
            number = c.Ticket(number="A-K1-023", service_code="si-card", waiting=12, issued_at=time.time(),
                              business_day="2026-11-22", source=c.TicketSource.KIOSK)
            ticket._finished(TakeResult(TakeStatus.PRINTED, number, True))
        elif screen == "ticket_failed":
            ticket._finished(TakeResult(
                TakeStatus.PRINT_FAILED, None, False, "打印纸用完，请工作人员更换纸卷", "paper out: replace the roll",
                "请到咨询台取号，或稍后再试", "Please take a number at the help desk, or try again later"))
    elif screen.startswith("staff"):
        show_staff(app, screen)
    elif screen.startswith("submit"):
        from kiosk.services.submission import SubmitResult, SubmitStatus

        submit = app.sm.get_screen("submit")
        app.go("submit")
        if screen == "submit_list":  # the simulated hall's first matter (the fake kiosk has none)
            from devicecfg import DEFAULT_CONFIG, load_config

            submit._choose(load_config(DEFAULT_CONFIG).matters[0])
        else:
            submit._submitted(SubmitResult(SubmitStatus.DONE, "S20261122-M01-001"))
    else:
        pickup = app.sm.get_screen("pickup")
        app.go("pickup")
        for key in "1234":
            pickup.press(key)
        if screen == "pickup_open":
            pickup.stage = "opening"
            pickup._opened(27)


def show_staff(app, screen: str) -> None:
    from kiosk.services.staff import OverdueItem

    staff = app.sm.get_screen("staff")
    app.go("staff")
    if screen == "staff_case":
        staff._case = "BJ2026-0001"
        staff._show_case(app.tr("staff.unknown", app.lang))
    elif screen == "staff_open":
        staff._buttons()  # as while a door is open: no button to press
        staff.stage = "opening"
        staff._opened(27, "staff.put_in")
    else:
        staff._listed([OverdueItem(1, "cabinet1", 3, 6, "BJ2026-0003"), OverdueItem(2, "cabinet1", 27, 12, "BJ2026-0017")])


if __name__ == "__main__":
    sys.exit(main())
