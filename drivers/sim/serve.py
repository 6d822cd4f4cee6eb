"""Serve a simulator on a pseudo-terminal or a TCP port, so a driver (or a vendor tool) can
reach it through the same serial or socket code it would use for the real device."""

from __future__ import annotations

import os
import select
import socket
import termios
import threading
import time
import tty
from pathlib import Path

from drivers.sim.base import Simulator, SimulatorUnplugged

_POLL = 0.02
_RATES = {getattr(termios, f"B{r}"): r for r in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)}


class PtyServer:
    """The simulator on the master side of a pty; drivers open `path` (or `link`, a stable name)."""

    def __init__(self, sim: Simulator, link: str | os.PathLike[str] | None = None) -> None:
        self.sim = sim
        self._master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline: bytes pass as on a real UART
        self.path = os.ttyname(slave)
        # Keep the slave open ourselves so the master never reads EIO between host opens.
        self._slave = slave
        self.link = Path(link) if link else None
        if self.link:
            self.link.unlink(missing_ok=True)
            self.link.symlink_to(self.path)
        self._stop = threading.Event()
        # One thread per direction, each blocking on its source, so an answer goes out the
        # moment the simulator makes it due (a polling loop would add its period to every
        # exchange and spoil timing measurements).
        self._threads = [
            threading.Thread(target=self._host_to_device, name=f"sim-pty-rx-{sim.kind}", daemon=True),
            threading.Thread(target=self._device_to_host, name=f"sim-pty-tx-{sim.kind}", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _host_to_device(self) -> None:
        line_free = 0.0
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], _POLL)
                if ready:
                    data = os.read(self._master, 4096)
                    if data:
                        # A pty moves bytes at once; a UART at this rate would not. The device
                        # hears them when their last bit would have arrived.
                        line_free = max(time.monotonic(), line_free) + len(data) * self.sim.byte_time
                        if (wait := line_free - time.monotonic()) > 0:
                            time.sleep(wait)
                        self.sim.receive_at(data, self.host_baud())
            except OSError:
                return

    def _device_to_host(self) -> None:
        while not self._stop.is_set():
            try:
                out = self.sim.take_output(4096, _POLL)
            except SimulatorUnplugged:
                self._stop.wait(_POLL)
                continue
            try:
                if out:
                    os.write(self._master, out)
            except OSError:
                return

    def host_baud(self) -> int | None:
        """The rate the host set on its end of the line (termios is shared by both pty ends)."""
        try:
            return _RATES.get(termios.tcgetattr(self._slave)[5])
        except termios.error:
            return None

    def close(self) -> None:
        """The pty disappears, as a USB serial adapter does when pulled."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout=1)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.link:
            self.link.unlink(missing_ok=True)

    def __enter__(self) -> PtyServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TcpServer:
    """The simulator on a TCP port (one host connection at a time, like a printer on 9100)."""

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(_POLL * 5)
        self.host, self.port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sim-tcp-{sim.kind}", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        done = threading.Event()

        def device_to_host() -> None:
            while not (done.is_set() or self._stop.is_set()):
                try:
                    out = self.sim.take_output(65536, _POLL)
                    if out:
                        conn.sendall(out)
                except (SimulatorUnplugged, OSError):
                    done.set()

        writer = threading.Thread(target=device_to_host, name=f"sim-tcp-tx-{self.sim.kind}", daemon=True)
        writer.start()
        conn.settimeout(_POLL)
        while not (done.is_set() or self._stop.is_set()):
            try:
                data = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            self.sim.receive(data)
        done.set()
        writer.join(timeout=1)
        self.sim.host_disconnected()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=1)

    def __enter__(self) -> TcpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
