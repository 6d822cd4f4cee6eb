"""Where the kiosk keeps its state."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir(explicit: str | os.PathLike[str] | None, configured: str = "") -> Path:
    """The first of: the --data-dir option, the config's kiosk.data_dir, systemd's
    $STATE_DIRECTORY (StateDirectory=kiosk → /var/lib/kiosk), $XDG_DATA_HOME/kiosk,
    ~/.local/share/kiosk."""
    if explicit:
        return Path(explicit)
    if configured:
        return Path(configured)
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "kiosk"
