"""Serial ports and every pyserial URL (socket://, rfc2217://, loop://, spy://…), via serial_for_url."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass

import serial

from drivers.errors import PortClosed, PortNotFound, PortTimeout, TransportError
from drivers.transport.base import DEFAULT_WRITE_TIMEOUT, Transport


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
        except (serial.SerialException, OSError, ValueError) as e:
            raise _open_error(url, e) from None

    @property
    def is_open(self) -> bool:
        return self._port.is_open

    def read(self, max_bytes: int, timeout: float) -> bytes:
        port = self._require_open()
        try:
            port.timeout = max(timeout, 0.0)
            first = port.read(1)
            if not first:
                raise PortTimeout(self.url, f"no data within {timeout:.3g} s")
            port.timeout = 0
            return first + port.read(max(0, min(max_bytes - 1, port.in_waiting)))
        except serial.SerialException as e:
            raise PortClosed(self.url, f"port lost while reading ({_why(e)})") from None
        except OSError as e:
            raise PortClosed(self.url, f"port lost while reading ({e.strerror or e})") from None

    def write(self, data: bytes, timeout: float = DEFAULT_WRITE_TIMEOUT) -> None:
        port = self._require_open()
        try:
            port.write_timeout = timeout
            port.write(data)
            port.flush()
        except serial.SerialTimeoutException:
            raise PortTimeout(self.url, f"write of {len(data)} bytes not done in {timeout:.3g} s") from None
        except (serial.SerialException, OSError) as e:
            raise PortClosed(self.url, f"port lost while writing ({_why(e)})") from None

    def reset_input(self) -> None:
        try:
            self._require_open().reset_input_buffer()
        except (serial.SerialException, OSError, TypeError) as e:
            # pyserial's loop:// raises TypeError when closed under it
            raise PortClosed(self.url, f"port lost ({_why(e)})") from None

    def set_baud(self, baud: int) -> None:
        try:
            self._require_open().baudrate = baud
        except (serial.SerialException, OSError) as e:
            raise PortClosed(self.url, f"port lost ({_why(e)})") from None

    def close(self) -> None:
        try:
            self._port.close()
        except (serial.SerialException, OSError):
            pass

    def _require_open(self) -> serial.SerialBase:
        if not self._port.is_open:
            raise PortClosed(self.url, "port is closed")
        return self._port


def _why(e: BaseException) -> str:
    return str(e) or type(e).__name__


def _open_error(url: str, e: BaseException) -> TransportError:
    code = getattr(e, "errno", None)
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO) or (
        "://" not in url and not os.path.exists(url)
    ):
        return PortNotFound(url, "no such serial port (unplugged, or wrong path in the config?)")
    if code in (errno.EACCES, errno.EPERM):
        return TransportError(url, "permission denied: is the kiosk user in the 'dialout' group?")
    if code == errno.EBUSY or "exclusive" in str(e).lower() or "lock" in str(e).lower():
        return TransportError(url, "port is in use by another program")
    return TransportError(url, f"cannot open ({_why(e)})")
