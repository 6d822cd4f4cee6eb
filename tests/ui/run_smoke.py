"""A whole `run_ui()` in its own process, for smoke tests: `python -m tests.ui.run_smoke
--size 1080x1920 --exit-after 1.5 --screenshot out.png [--elder] [--english]`."""

from __future__ import annotations

import argparse
import sys

from ui.app import run_ui  # noqa: I001  (imports ui.kivyenv first)

from kivy.app import App
from kivy.clock import Clock

from tests.ui.fakes import make_kiosk


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--size", default="1920x1080")
    p.add_argument("--exit-after", type=float, default=1.5)
    p.add_argument("--screenshot")
    p.add_argument("--elder", action="store_true")
    p.add_argument("--english", action="store_true")
    args = p.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))

    def modes(_dt: float) -> None:
        app = App.get_running_app()
        app.elder = args.elder
        app.lang = "en" if args.english else "zh"

    Clock.schedule_once(modes, 0)
    return run_ui(
        make_kiosk(), fullscreen=False, size=(width, height), exit_after=args.exit_after, screenshot=args.screenshot
    )


if __name__ == "__main__":
    sys.exit(main())
