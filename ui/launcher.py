"""The `kiosk` console script: the kiosk CLI with the Kivy UI plugged in for `kiosk run`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kiosk.cli import RunOptions, main as kiosk_main
from kiosk.core import Kiosk


def _run_ui(kiosk: Kiosk, options: RunOptions) -> int:
    from ui.app import run_ui  # imports Kivy: only for `kiosk run`, not for `kiosk config check`

    return run_ui(kiosk, fullscreen=options.fullscreen, exit_after=options.exit_after, screenshot=options.screenshot)


def main(argv: Sequence[str] | None = None) -> int:
    return kiosk_main(argv, run_ui=_run_ui)


if __name__ == "__main__":
    sys.exit(main())
