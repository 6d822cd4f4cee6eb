"""Typed transport errors. Every message names the port so a technician knows where to look."""

from __future__ import annotations


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
