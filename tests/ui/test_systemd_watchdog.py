"""`kiosk run` under a fake systemd: the test binds the $NOTIFY_SOCKET datagram socket that
systemd would, runs the real kiosk (simulated hall, real UI loop) in its own process with
WATCHDOG_USEC set, and reads what arrives: READY=1 once, WATCHDOG=1 over and over, and none
while the UI thread is blocked (the pings come from the UI's clock, not a thread of their own)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]


class FakeSystemd:
    """The receiving end of sd_notify: every datagram, in order, drained by a thread (the kernel
    queues only 10 datagrams per unix socket by default)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(b"\0" + address[1:].encode() if address.startswith("@") else address)
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue

    def close(self) -> list[str]:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()
        return self.messages


def run_kiosk(tmp_path: Path, address: str, *, block_at: float = 3.0, block_for: float = 1.5, exit_after: float = 7.0):
    env = dict(os.environ, NOTIFY_SOCKET=address, WATCHDOG_USEC="300000", WATCHDOG_PID=str(os.getpid()),
               SDL_VIDEODRIVER="offscreen", KIVY_WINDOW="sdl2")
    cmd = [sys.executable, "-m", "tests.ui.run_watchdog", "--block-at", str(block_at), "--block-for", str(block_for),
           "--", "run", "--data-dir", str(tmp_path / "state"), "--windowed", "--exit-after", str(exit_after)]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("where", ["abstract", "path"])
def test_ready_after_first_frame_then_pings_that_stop_while_the_ui_is_blocked(tmp_path, where):
    address = f"@hall-kiosk-test-{os.getpid()}-{where}" if where == "abstract" else str(tmp_path / "notify")
    systemd = FakeSystemd(address)
    try:
        proc = run_kiosk(tmp_path, address)
    finally:
        messages = systemd.close()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    ready = [i for i, m in enumerate(messages) if "READY=1" in m.split("\n")]
    assert len(ready) == 1, messages
    assert "STATUS=home screen shown" in messages[ready[0]]
    pings = [i for i, m in enumerate(messages) if m == "WATCHDOG=1"]
    assert pings and pings[0] > ready[0], "a ping before READY: pinging did not wait for the first frame"

    blocked = messages.index("STATUS=test: UI blocked")
    unblocked = messages.index("STATUS=test: UI unblocked")
    before = [i for i in pings if i < blocked]
    during = [i for i in pings if blocked < i < unblocked]
    after = [i for i in pings if i > unblocked]
    # 0.15 s period: ~15 pings in the 2.5 s shown before the block, ~20 after it
    assert len(before) >= 5, messages
    assert during == [], "WATCHDOG=1 sent while the UI thread was blocked"
    assert len(after) >= 5, messages
    assert messages[-1] == "STOPPING=1"
