"""Serial ports and every pyserial URL (socket://, rfc2217://, loop://, spy://…), via serial_for_url."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import serial

from drivers.errors import PortClosed, PortNotFound, PortTimeout, TransportError, os_error_code, port_failure
from drivers.transport.base import DEFAULT_WRITE_TIMEOUT, Transport

try:
    from termios import error as _TermiosError  # tcflush, tcdrain, tcsetattr: not an OSError
except ImportError:  # Windows: pyserial raises SerialException there
    _TermiosError = OSError  # type: ignore[misc,assignment]

# Every failure the OS reports through pyserial (SerialException is an OSError).
_OS_ERRORS = (serial.SerialException, OSError, _TermiosError)


@dataclass(frozen=True)
class SerialSettings:
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    xonxoff: bool = False
    rtscts: bool = False
    dsrdtr: bool = False


class SerialTransport(Transport):
    def __init__(self, url: str, settings: SerialSettings | None = None) -> None:
        super().__init__(url)
        s = settings or SerialSettings()
        try:
            self._port = serial.serial_for_url(
                url,
                baudrate=s.baudrate,
                bytesize=s.bytesize,
                parity=s.parity,
                stopbits=s.stopbits,
                xonxoff=s.xonxoff,
                rtscts=s.rtscts,
                dsrdtr=s.dsrdtr,
                timeout=0,
                write_timeout=DEFAULT_WRITE_TIMEOUT,
                exclusive=True if "://" not in url else None,
            )
        except (*_OS_ERRORS, ValueError) as e:
            raise _open_error(url, e) from None

    @property
    def is_open(self) -> bool:
        return self._port.is_open

    def read(self, max_bytes: int, timeout: float) -> bytes:
        with self._calls("reading") as port:
            port.timeout = max(timeout, 0.0)
            first = port.read(1)
            if not first:
                raise PortTimeout(self.url, f"no data within {timeout:.3g} s")
            port.timeout = 0
            return first + port.read(max(0, min(max_bytes - 1, port.in_waiting)))

    def write(self, data: bytes, timeout: float = DEFAULT_WRITE_TIMEOUT) -> None:
        with self._calls("writing") as port:
            port.write_timeout = timeout
            try:
                port.write(data)
            except serial.SerialTimeoutException:
                raise PortTimeout(self.url, f"write of {len(data)} bytes not done in {timeout:.3g} s") from None
            port.flush()

    def reset_input(self) -> None:
        with self._calls("discarding input") as port:
            try:
                port.reset_input_buffer()
            except TypeError as e:  # pyserial's loop:// when closed under it
                raise PortClosed(self.url, f"port lost while discarding input ({_why(e)})") from None

    def set_baud(self, baud: int) -> None:
        with self._calls(f"setting {baud} bit/s") as port:
            port.baudrate = baud

    def close(self) -> None:
        try:
            self._port.close()
        except _OS_ERRORS:
            pass  # releasing a port that is gone: nothing left to release

    @contextmanager
    def _calls(self, doing: str) -> Iterator[serial.SerialBase]:
        """Every call on the open port: whatever the OS says becomes a typed TransportError."""
        if not self._port.is_open:
            raise PortClosed(self.url, "port is closed")
        try:
            yield self._port
        except _OS_ERRORS as e:
            raise port_failure(self.url, doing, e) from None


def _why(e: BaseException) -> str:
    return str(e) or type(e).__name__


def _open_error(url: str, e: BaseException) -> TransportError:
    code = os_error_code(e)
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO) or (
        "://" not in url and not os.path.exists(url)
    ):
        return PortNotFound(url, "no such serial port (unplugged, or wrong path in the config?)")
    if code in (errno.EACCES, errno.EPERM):
        return TransportError(url, "permission denied: is the kiosk user in the 'dialout' group?")
    if code == errno.EBUSY or "exclusive" in str(e).lower() or "lock" in str(e).lower():
        return TransportError(url, "port is in use by another program")
    return TransportError(url, f"cannot open ({_why(e)})")
