"""USB bulk transport through pyusb (printers that enumerate as vendor-specific or printer class)."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

from drivers.errors import PortClosed, PortNotFound, PortTimeout, TransportError, port_failure
from drivers.transport.base import DEFAULT_WRITE_TIMEOUT, Transport


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class UsbTransport(Transport):
    def __init__(self, url: str, vid: int, pid: int, interface: int = 0) -> None:
        super().__init__(url)
        import usb.core
        import usb.util

        self._usb = usb
        try:
            dev = usb.core.find(idVendor=vid, idProduct=pid)
        except usb.core.NoBackendError:
            raise PortNotFound(url, "no USB backend: install libusb-1.0-0") from None
        except usb.core.USBError as e:  # the bus could not be read (permissions, a device going)
            raise port_failure(url, "looking for the device", e) from None
        if dev is None:
            raise PortNotFound(url, f"no USB device {vid:04x}:{pid:04x} attached")
        try:
            if dev.is_kernel_driver_active(interface):
                dev.detach_kernel_driver(interface)  # usblp would hold the printer
            try:
                dev.set_configuration()
            except usb.core.USBError as e:
                if e.errno != errno.EBUSY:
                    raise
            intf = dev.get_active_configuration()[(interface, 0)]
        except (KeyError, IndexError):
            raise PortNotFound(url, f"the device has no interface {interface}") from None
        except usb.core.USBError as e:
            if e.errno in (errno.EACCES, errno.EPERM):
                raise TransportError(url, "permission denied: add a udev rule for this VID:PID") from None
            raise PortNotFound(url, f"cannot claim interface {interface} ({e})") from None

        def endpoint(direction: int):
            return usb.util.find_descriptor(
                intf,
                custom_match=lambda ep: usb.util.endpoint_direction(ep.bEndpointAddress) == direction
                and usb.util.endpoint_type(ep.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK,
            )

        self._out = endpoint(usb.util.ENDPOINT_OUT)
        self._in = endpoint(usb.util.ENDPOINT_IN)  # some printers have none: status unknown
        if self._out is None:
            raise PortNotFound(url, f"interface {interface} has no bulk OUT endpoint")
        self._dev = dev

    @property
    def is_open(self) -> bool:
        return self._dev is not None

    def read(self, max_bytes: int, timeout: float) -> bytes:
        with self._calls("reading"):
            if self._in is None:
                raise PortTimeout(self.url, "device has no bulk IN endpoint: it cannot answer")
            try:
                data = bytes(self._in.read(max(max_bytes, self._in.wMaxPacketSize), _ms(timeout)))
            except self._usb.core.USBTimeoutError:
                data = b""
        if not data:
            raise PortTimeout(self.url, f"no data within {timeout:.3g} s")
        return data[:max_bytes]

    def write(self, data: bytes, timeout: float = DEFAULT_WRITE_TIMEOUT) -> None:
        with self._calls("writing"):
            try:
                written = self._out.write(data, _ms(timeout))
            except self._usb.core.USBTimeoutError:
                raise PortTimeout(self.url, f"write of {len(data)} bytes not done in {timeout:.3g} s") from None
        if written != len(data):
            raise PortTimeout(self.url, f"wrote {written} of {len(data)} bytes")

    def reset_input(self) -> None:
        with self._calls("discarding input"):
            if self._in is None:
                return
            try:
                while self._in.read(self._in.wMaxPacketSize, 1):
                    pass
            except self._usb.core.USBTimeoutError:
                pass  # nothing more waiting

    def close(self) -> None:
        if self._dev is not None:
            try:
                self._usb.util.dispose_resources(self._dev)
            except self._usb.core.USBError:
                pass  # releasing a device that is gone: nothing left to release
            finally:
                self._dev = None

    @contextmanager
    def _calls(self, doing: str) -> Iterator[None]:
        """Every transfer: whatever libusb says (ENODEV once unplugged) becomes a typed TransportError."""
        if self._dev is None:
            raise PortClosed(self.url, "device is closed")
        try:
            yield
        except self._usb.core.USBError as e:
            raise port_failure(self.url, doing, e) from None
