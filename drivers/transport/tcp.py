"""Raw TCP (e.g. an Ethernet receipt printer on port 9100, a serial-to-TCP bridge)."""

from __future__ import annotations

import socket

from drivers.errors import PortClosed, PortNotFound, PortTimeout
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
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def read(self, max_bytes: int, timeout: float) -> bytes:
        sock = self._require_open()
        sock.settimeout(max(timeout, 1e-3))
        try:
            data = sock.recv(max_bytes)
        except TimeoutError:
            raise PortTimeout(self.url, f"no data within {timeout:.3g} s") from None
        except OSError as e:
            self.close()
            raise PortClosed(self.url, f"connection lost ({e.strerror or e})") from None
        if not data:
            self.close()
            raise PortClosed(self.url, "peer closed the connection")
        return data

    def write(self, data: bytes, timeout: float = DEFAULT_WRITE_TIMEOUT) -> None:
        sock = self._require_open()
        sock.settimeout(timeout)
        try:
            sock.sendall(data)
        except TimeoutError:
            raise PortTimeout(self.url, f"write of {len(data)} bytes not done in {timeout:.3g} s") from None
        except OSError as e:
            self.close()
            raise PortClosed(self.url, f"connection lost ({e.strerror or e})") from None

    def reset_input(self) -> None:
        sock = self._require_open()
        sock.setblocking(False)
        try:
            while sock.recv(4096):
                pass
        except BlockingIOError:
            pass
        except OSError as e:
            self.close()
            raise PortClosed(self.url, f"connection lost ({e.strerror or e})") from None
        finally:
            if self._sock is not None:
                self._sock.setblocking(True)

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def _require_open(self) -> socket.socket:
        if self._sock is None:
            raise PortClosed(self.url, "connection is closed")
        return self._sock
