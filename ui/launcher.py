"""The `kiosk` console script: the kiosk CLI with the Kivy UI plugged in for `kiosk run`."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from kiosk.cli import RunOptions, main as kiosk_main
from kiosk.core import Kiosk

_ui_ran = False


def _run_ui(kiosk: Kiosk, options: RunOptions) -> int:
    global _ui_ran
    # SIGTERM and SIGINT only note the stop (kiosk.core.Drain, listening since `kiosk run` built the
    # kiosk; the UI's clock acts on it). SDL would turn them into a window close request, which the
    # kiosk refuses (Alt-F4): it leaves a handler other than the default alone, and is told not to
    # install one at all.
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")  # read at SDL_Init: ui.app's import makes the window
    from ui.app import run_ui  # imports Kivy: only for `kiosk run`, not for `kiosk config check`

    _ui_ran = True
    return run_ui(kiosk, fullscreen=options.fullscreen, exit_after=options.exit_after, screenshot=options.screenshot)


def main(argv: Sequence[str] | None = None) -> int:
    status = kiosk_main(argv, run_ui=_run_ui)
    if _ui_ran:
        # `kiosk run` has stopped: devices closed, outbox sender stopped, database checkpointed and
        # closed. What is left is the interpreter's own teardown, a full garbage collection of the
        # UI's ~300k objects that takes seconds of the 5 s a stop is allowed (README "Stopping"):
        # skipped, after the log is flushed. It frees only memory, which the kernel frees anyway.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


if __name__ == "__main__":
    sys.exit(main())
