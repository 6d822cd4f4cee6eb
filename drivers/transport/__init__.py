"""Transports chosen by URL, in one factory (like pyserial's serial_for_url)."""

from __future__ import annotations

from drivers.errors import BadPortUrl
from drivers.transport.base import Transport
from drivers.transport.serial_port import SerialSettings
from drivers.transport.url import PortScheme, PortUrl, parse_port_url

__all__ = ["Transport", "SerialSettings", "PortUrl", "PortScheme", "parse_port_url", "open_transport"]


def open_transport(url: str, serial: SerialSettings | None = None) -> Transport:
    """Open the port named by `url`. Raises BadPortUrl, PortNotFound or TransportError.

    `serial` applies to serial ports and pyserial URLs; other transports ignore it.
    """
    port = parse_port_url(url)
    match port.scheme:
        case PortScheme.SERIAL | PortScheme.PYSERIAL:
            from drivers.transport.serial_port import SerialTransport

            return SerialTransport(port.raw, serial)
        case PortScheme.TCP | PortScheme.HTTP:
            from drivers.transport.tcp import TcpTransport

            return TcpTransport(port.raw, port.host, port.port)
        case PortScheme.UVC:
            raise BadPortUrl(port.raw, "a UVC camera is not a byte stream; only the camera driver opens it")
        case PortScheme.USB:
            from drivers.transport.usb import UsbTransport

            vid, pid = port.usb_ids
            return UsbTransport(port.raw, vid, pid, int(port.options.get("interface", "0")))
        case PortScheme.SIM:
            from drivers.transport.sim import SimTransport

            return SimTransport(port)
