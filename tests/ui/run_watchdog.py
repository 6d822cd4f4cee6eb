"""The real `kiosk run` (ui.launcher, the console script's entry) with the UI thread blocked once,
for tests/ui/test_systemd_watchdog.py:

    python -m tests.ui.run_watchdog --block-at S --block-for S -- run --data-dir DIR --exit-after S

The block is a Kivy clock callback that sleeps, as a UI hang would; it brackets itself with
`STATUS=test: UI blocked` / `STATUS=test: UI unblocked` on the same $NOTIFY_SOCKET, so the test
can tell which pings came while the UI thread was held without comparing clocks.
"""

from __future__ import annotations

import argparse
import sys
import time

from ui import kivyenv  # noqa: F401, I001  (first: Kivy's environment)

from kivy.clock import Clock

from kiosk.sdnotify import Notifier
from ui.launcher import main as kiosk_main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--block-at", type=float, required=True)
    p.add_argument("--block-for", type=float, required=True)
    p.add_argument("kiosk_args", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    notifier = Notifier.from_env()

    def block(_dt: float) -> None:
        notifier.notify("STATUS=test: UI blocked")
        time.sleep(args.block_for)  # the UI thread does nothing else meanwhile
        notifier.notify("STATUS=test: UI unblocked")

    Clock.schedule_once(block, args.block_at)
    kiosk_args = args.kiosk_args[1:] if args.kiosk_args[:1] == ["--"] else args.kiosk_args
    return kiosk_main(kiosk_args)


if __name__ == "__main__":
    sys.exit(main())
