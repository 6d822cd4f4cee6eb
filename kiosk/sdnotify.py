"""systemd's notification protocol (sd_notify(3)), without libsystemd: one datagram per message.

A unit with `Type=notify` hands the service `$NOTIFY_SOCKET` (a path, or an abstract socket
written with a leading '@'); `WatchdogSec=` adds `$WATCHDOG_USEC` and `$WATCHDOG_PID`. Outside
systemd (development, tests, `./dev run`) there is no socket and every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)


def _address(raw: str) -> str | bytes:
    if raw.startswith("@"):
        return b"\0" + raw[1:].encode()  # abstract namespace: no file, no permissions to get wrong
    return raw


@dataclass(frozen=True)
class Notifier:
    """Where notifications go, and the watchdog period systemd asked for."""

    socket_path: str = ""
    watchdog_usec: int = 0  # 0: no WatchdogSec= on the unit
    watchdog_pid: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if env is None else env
        try:
            usec = int(env.get("WATCHDOG_USEC", "0") or 0)
        except ValueError:
            usec = 0
        pid = env.get("WATCHDOG_PID", "")
        return cls(env.get("NOTIFY_SOCKET", ""), max(usec, 0), int(pid) if pid.isascii() and pid.isdigit() else None)

    @property
    def enabled(self) -> bool:
        return bool(self.socket_path)

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between WATCHDOG=1 pings: half the timeout, as sd_watchdog_enabled(3) advises."""
        if not self.enabled or not self.watchdog_usec:
            return None
        return self.watchdog_usec / 2e6

    @property
    def watchdog_for_another_pid(self) -> bool:
        """systemd set the watchdog for another process. libsystemd would then not ping; we still
        do (with `NotifyAccess=all` the unit accepts it): under xinit or cage the kiosk is a child
        of the unit's main process and the pings must come from the process that draws."""
        return self.watchdog_pid is not None and self.watchdog_pid != os.getpid()

    def notify(self, *fields: str) -> bool:
        """Send `KEY=VALUE` fields in one datagram; False (logged once per call) when it failed.
        Never raises: a kiosk must not stop because systemd's socket went away."""
        if not self.enabled:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.setblocking(False)  # a full queue on systemd's side must not block the UI thread
                s.sendto("\n".join(fields).encode(), _address(self.socket_path))
            return True
        except OSError as e:
            log.warning("sd_notify failed", extra={"socket": self.socket_path, "error": str(e)})
            return False
