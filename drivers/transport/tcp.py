"""Raw TCP (e.g. an Ethernet receipt printer on port 9100, a serial-to-TCP bridge)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from drivers.errors import PortClosed, PortNotFound, PortTimeout, port_failure
from drivers.transport.base import DEFAULT_WRITE_TIMEOUT, Transport

CONNECT_TIMEOUT = 3.0


class TcpTransport(Transport):
    def __init__(self, url: str, host: str, port: int, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        super().__init__(url)
        try:
            self._sock: socket.socket | None = socket.create_connection((host, port), timeout=connect_timeout)
        except TimeoutError:
            raise PortTimeout(url, f"no answer to connect within {connect_timeout:.3g} s") from None
        except OSError as e:
            raise PortNotFound(url, f"cannot connect ({e.strerror or e})") from None
        with self._calls("connecting") as sock:  # a peer may reset the connection at once
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def read(self, max_bytes: int, timeout: float) -> bytes:
        with self._calls("reading") as sock:
            sock.settimeout(max(timeout, 1e-3))
            try:
                data = sock.recv(max_bytes)
            except TimeoutError:
                raise PortTimeout(self.url, f"no data within {timeout:.3g} s") from None
        if not data:
            self.close()
            raise PortClosed(self.url, "peer closed the connection")
        return data

    def write(self, data: bytes, timeout: float = DEFAULT_WRITE_TIMEOUT) -> None:
        with self._calls("writing") as sock:
            sock.settimeout(timeout)
            try:
                sock.sendall(data)
            except TimeoutError:
                raise PortTimeout(self.url, f"write of {len(data)} bytes not done in {timeout:.3g} s") from None

    def reset_input(self) -> None:
        with self._calls("discarding input") as sock:
            sock.setblocking(False)
            try:
                while sock.recv(4096):
                    pass
            except BlockingIOError:
                pass  # nothing more waiting
            sock.setblocking(True)

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass  # releasing a connection that is gone: nothing left to release
            finally:
                self._sock = None

    @contextmanager
    def _calls(self, doing: str) -> Iterator[socket.socket]:
        """Every call on the connection: an OS error (reset, broken pipe…) closes it and becomes
        a typed TransportError."""
        if self._sock is None:
            raise PortClosed(self.url, "connection is closed")
        try:
            yield self._sock
        except OSError as e:
            self.close()
            raise port_failure(self.url, doing, e) from None
