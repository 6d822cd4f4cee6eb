"""Parsing of port URLs: the one grammar shared by the transport factory and config validation.

Accepted forms (see README, "Port URLs"):
  /dev/ttyUSB0, /dev/kiosk/printer, COM3         a serial device path
  socket://H:P, rfc2217://H:P, loop://, spy://… any pyserial URL (pyserial's own handlers)
  tcp://HOST:PORT                               raw TCP, e.g. a network printer on 9100
  usb://VID:PID[?interface=0&in_ep=0x81…]       USB bulk through pyusb (hex ids)
  sim://KIND[?option=value…]                    an in-process device simulator
  http://HOST[:PORT][/PATH]                     raw TCP to an HTTP device (an MJPEG camera stream)
  uvc://INDEX                                   a V4L2 camera by index (cameras only, not a byte stream)
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from drivers.errors import BadPortUrl


class PortScheme(enum.StrEnum):
    SERIAL = "serial"  # a device path
    PYSERIAL = "pyserial"  # a pyserial URL handler
    TCP = "tcp"
    USB = "usb"
    SIM = "sim"
    HTTP = "http"
    UVC = "uvc"


PYSERIAL_SCHEMES = frozenset({"socket", "rfc2217", "loop", "spy", "hwgrep", "alt", "cp2110"})
_HEXID = re.compile(r"^(?:0x)?[0-9a-fA-F]{1,4}$")


@dataclass(frozen=True)
class PortUrl:
    raw: str
    scheme: PortScheme
    host: str = ""  # TCP host; USB "VID:PID"; simulator kind; serial path
    port: int = 0
    options: dict[str, str] = field(default_factory=dict)

    @property
    def usb_ids(self) -> tuple[int, int]:
        vid, pid = self.host.split(":")
        return int(vid, 16), int(pid, 16)

    def __str__(self) -> str:
        return self.raw


def parse_port_url(url: str) -> PortUrl:
    """Parse a port URL or raise BadPortUrl with a message that says what form was expected."""
    if not isinstance(url, str) or not url.strip():
        raise BadPortUrl(repr(url), "empty port URL")
    url = url.strip()
    if "://" not in url:
        if url.startswith("/") or re.fullmatch(r"COM\d+", url):
            return PortUrl(url, PortScheme.SERIAL, host=url)
        raise BadPortUrl(url, "not a device path (/dev/…) nor a URL (tcp://, usb://, sim://, socket://, loop://…)")
    scheme = url.split("://", 1)[0].lower()
    if scheme in PYSERIAL_SCHEMES:
        return PortUrl(url, PortScheme.PYSERIAL, host=url)
    try:
        parts = urlsplit(url)
    except ValueError as e:  # e.g. an unbalanced "[" in an IPv6 host
        raise BadPortUrl(url, f"malformed URL ({e})") from None
    try:
        options = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)))
    except ValueError:
        raise BadPortUrl(url, "malformed ?option=value list") from None
    if scheme == "tcp":
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or not port:
            raise BadPortUrl(url, "expected tcp://HOST:PORT with a port from 1 to 65535")
        return PortUrl(url, PortScheme.TCP, host=parts.hostname, port=port, options=options)
    if scheme == "usb":
        ids = parts.netloc.split(":")
        if len(ids) != 2 or not all(_HEXID.match(i) for i in ids):
            raise BadPortUrl(url, "expected usb://VID:PID with hexadecimal ids, e.g. usb://0416:5011")
        vid, pid = (int(i, 16) for i in ids)
        return PortUrl(url, PortScheme.USB, host=f"{vid:04x}:{pid:04x}", options=options)
    if scheme == "sim":
        kind = parts.netloc or parts.path.strip("/")
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", kind or ""):
            raise BadPortUrl(url, "expected sim://KIND with a simulator name, e.g. sim://printer")
        return PortUrl(url, PortScheme.SIM, host=kind, options=options)
    if scheme == "http":
        try:
            port = parts.port or 80
        except ValueError:
            port = None
        if not parts.hostname or not port:
            raise BadPortUrl(url, "expected http://HOST[:PORT][/PATH] with a port from 1 to 65535")
        options.setdefault("path", parts.path or "/")
        return PortUrl(url, PortScheme.HTTP, host=parts.hostname, port=port, options=options)
    if scheme == "uvc":
        if not re.fullmatch(r"[0-9]{1,3}", parts.netloc):  # ASCII digits: isdigit() takes "¹"
            raise BadPortUrl(url, "expected uvc://INDEX with a camera number, e.g. uvc://0")
        return PortUrl(url, PortScheme.UVC, host=parts.netloc, port=int(parts.netloc), options=options)
    raise BadPortUrl(
        url, f"unknown scheme {scheme!r}; use a /dev path, tcp://, usb://, sim://, http://, uvc:// or a pyserial URL")
