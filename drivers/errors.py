"""Typed transport errors. Every message names the port so a technician knows where to look."""

from __future__ import annotations

import errno
import os


class TransportError(Exception):
    """A byte transport failed. `port` is the URL as configured (it never carries personal data)."""

    def __init__(self, port: str, message: str) -> None:
        self.port = port
        super().__init__(f"{port}: {message}")


class PortNotFound(TransportError):
    """The port does not exist (unplugged adapter, wrong path, unknown simulator, no USB device)."""


class PortClosed(TransportError):
    """The port was closed or vanished while in use (cable pulled, pty peer gone, TCP reset)."""


class PortTimeout(TransportError):
    """A bounded read or write did not complete in time."""


class BadPortUrl(TransportError):
    """The port URL cannot be understood; a configuration problem, not a device problem."""


class ProtocolError(TransportError):
    """The device answered, but with bytes that fail the protocol's checks (checksum, length)."""


# What an OS error on a port that was open means. Anything else (EIO from a pulled adapter's
# hung-up tty, ENXIO, EBADF, ENODEV from a USB device gone, EPIPE, ECONNRESET…) is the port lost.
_TIMED_OUT = frozenset({errno.ETIMEDOUT, errno.EAGAIN})
_REFUSED = {errno.EACCES: "permission denied", errno.EPERM: "permission denied", errno.EBUSY: "in use by another program"}


def os_error_code(e: BaseException) -> int | None:
    """The errno of an OSError (pyserial's and pyusb's errors are OSErrors) or of a
    termios.error, which is not an OSError but carries (errno, strerror) as its args."""
    code = getattr(e, "errno", None)
    if code is None and len(e.args) == 2 and isinstance(e.args[0], int):
        code = e.args[0]
    return code if isinstance(code, int) else None


def _describe(e: BaseException) -> str:
    """"EIO: Input/output error", or the exception's own words when it has no errno."""
    code = os_error_code(e)
    if code is not None and code in errno.errorcode:
        return f"{errno.errorcode[code]}: {os.strerror(code)}"
    return str(e) or type(e).__name__


def port_failure(port: str, doing: str, e: BaseException) -> TransportError:
    """The typed error for an OS error raised while `doing` something on an open port."""
    code, why = os_error_code(e), _describe(e)
    if code in _TIMED_OUT:
        return PortTimeout(port, f"{doing} timed out ({why})")
    if code in _REFUSED:
        return TransportError(port, f"{_REFUSED[code]} while {doing} ({why})")
    return PortClosed(port, f"port lost while {doing} ({why}): unplugged, or powered off?")
