"""Every transport: round trip, bounded reads, typed errors that name the port."""

import errno
import os
import socket
import time
import tty

import pytest

from drivers.errors import BadPortUrl, PortClosed, PortNotFound, PortTimeout, TransportError
from drivers.sim import registry
from drivers.sim.serve import PtyServer, TcpServer
from drivers.transport import SerialSettings, open_transport
from tests.support import EchoSimulator


# -- loop:// (pyserial's loopback) ---------------------------------------------------------
def test_loop_round_trip_and_timeout():
    with open_transport("loop://") as t:
        t.write(b"\x10\x04\x01")
        assert t.read(16, 1.0) == b"\x10\x04\x01"
        started = time.monotonic()
        with pytest.raises(PortTimeout, match=r"^loop://: no data within 0.1 s"):
            t.read(16, 0.1)
        assert time.monotonic() - started < 2.0  # bounded, not blocking forever


def test_read_exactly_reports_partial_reads():
    with open_transport("loop://") as t:
        t.write(b"ab")
        with pytest.raises(PortTimeout, match=r"loop://: read 2 of 4 bytes"):
            t.read_exactly(4, 0.2)


def test_reset_input_drops_stale_bytes():
    with open_transport("loop://") as t:
        t.write(b"stale")
        time.sleep(0.01)
        t.reset_input()
        t.write(b"fresh")
        assert t.read_exactly(5, 1.0) == b"fresh"


def test_closed_port_is_typed():
    t = open_transport("loop://")
    t.close()
    with pytest.raises(PortClosed, match="loop://"):
        t.read(1, 0.1)
    with pytest.raises(PortClosed, match="loop://"):
        t.write(b"x")


def test_bad_url_is_typed():
    with pytest.raises(BadPortUrl, match="unknown scheme"):
        open_transport("ftp://x")


# -- a pty pair: the kernel's serial line discipline, as with a USB-serial adapter ----------
@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    yield master, path
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def test_pty_round_trip(pty_pair):
    master, path = pty_pair
    with open_transport(path, SerialSettings(baudrate=115200)) as t:
        t.write(b"\xaa\xaa\xaa\x96\x69\x00\x03\x12\xff\xee")
        assert os.read(master, 64) == b"\xaa\xaa\xaa\x96\x69\x00\x03\x12\xff\xee"
        os.write(master, b"\x00\x01\x02")
        assert t.read_exactly(3, 1.0) == b"\x00\x01\x02"


def test_pty_timeout_names_the_port(pty_pair):
    _, path = pty_pair
    with open_transport(path) as t, pytest.raises(PortTimeout) as info:
        t.read(1, 0.1)
    assert path in str(info.value) and info.value.port == path


def test_pty_peer_vanishing_is_port_closed():
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    t = open_transport(path)
    os.close(slave)
    os.close(master)  # the adapter is pulled
    with pytest.raises(PortClosed) as info:
        t.read(1, 1.0)
    assert path in str(info.value)
    t.close()


def test_missing_serial_path_is_not_found(tmp_path):
    missing = str(tmp_path / "ttyUSB9")
    with pytest.raises(PortNotFound) as info:
        open_transport(missing)
    assert missing in str(info.value) and "no such serial port" in str(info.value)


def test_serial_port_is_opened_exclusively(pty_pair):
    _, path = pty_pair
    with open_transport(path):
        with pytest.raises(Exception, match="in use|cannot open"):
            open_transport(path)


# -- tcp:// ----------------------------------------------------------------------------------
def test_tcp_round_trip_and_peer_close():
    sim = EchoSimulator()
    server = TcpServer(sim)
    t = open_transport(server.url)
    t.write(b"PING\n")
    assert t.read_exactly(5, 2.0) == b"PONG\n"
    server.close()
    with pytest.raises((PortClosed, PortTimeout)) as info:
        for _ in range(20):  # the close reaches us as EOF within a few polls
            t.read(16, 0.1)
    assert server.url in str(info.value)
    t.close()


def test_tcp_timeout_and_refused():
    listener = socket.create_server(("127.0.0.1", 0))
    host, port = listener.getsockname()
    try:
        with open_transport(f"tcp://{host}:{port}") as t, pytest.raises(PortTimeout, match=f"tcp://{host}:{port}"):
            t.read(1, 0.1)
    finally:
        listener.close()
    with pytest.raises(PortNotFound, match=f"tcp://{host}:{port}: cannot connect"):
        open_transport(f"tcp://{host}:{port}")


# -- usb:// ----------------------------------------------------------------------------------
def test_usb_device_absent_is_not_found():
    with pytest.raises(PortNotFound) as info:
        open_transport("usb://dead:beef")
    assert "usb://dead:beef" in str(info.value)


# -- sim:// ----------------------------------------------------------------------------------
def test_unknown_simulator_is_not_found():
    with pytest.raises(PortNotFound, match=r"sim://nosuch: no simulator 'nosuch'"):
        open_transport("sim://nosuch")


def test_sim_round_trip_unplug_and_replug(echo_sim):
    t = open_transport("sim://echo?id=a")
    t.write(b"PING\n")
    assert t.read_exactly(5, 1.0) == b"PONG\n"
    sim = registry.simulator_for("echo", {"id": "a"})
    sim.unplug()
    with pytest.raises(PortClosed, match="sim://echo"):
        t.read(1, 0.1)
    with pytest.raises(PortNotFound, match="unplugged"):
        open_transport("sim://echo?id=a")
    sim.plug_in()
    with open_transport("sim://echo?id=a") as again:  # same device, same state
        again.write(b"PING\n")
        assert again.read_exactly(5, 1.0) == b"PONG\n"
    assert bytes(sim.received) == b"PING\nPING\n"


def test_sim_instances_are_per_id(echo_sim):
    a = registry.simulator_for("echo", {"id": "a"})
    assert registry.simulator_for("echo", {"id": "a"}) is a
    assert registry.simulator_for("echo", {"id": "b"}) is not a


def test_sim_paces_output_at_baud_rate(echo_sim):
    """At 1200 bit/s the 5-byte answer takes ~42 ms of wire time: not readable at once."""
    t = open_transport("sim://echo?id=slow&baud=1200")
    t.write(b"PING\n")
    with pytest.raises(PortTimeout):
        t.read(16, 0)
    assert t.read_exactly(5, 2.0) == b"PONG\n"


# -- a simulator served on a pty, reached through the serial transport -----------------------
def test_simulator_on_a_pty(tmp_path):
    sim = EchoSimulator()
    link = tmp_path / "ttyECHO"
    with PtyServer(sim, link=link) as server:
        assert str(link.resolve()) == os.path.realpath(server.path)
        with open_transport(str(link)) as t:
            t.write(b"PING\n")
            assert t.read_exactly(5, 2.0) == b"PONG\n"
    assert not link.exists()


# -- an unplugged adapter: every OS error of every call is a typed TransportError --------------
def _unplugged_pty():
    """A serial port whose adapter was pulled: the pty's master side is gone, so every call on
    the slave fails with EIO, as on a USB-serial adapter's hung-up tty."""
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    t = open_transport(path)
    os.close(slave)
    os.close(master)
    return t, path


CALLS = {
    "read": lambda t: t.read(16, 0.1),
    "read_exactly": lambda t: t.read_exactly(4, 0.1),
    "write": lambda t: t.write(b"\x10\x04\x01", 0.5),
    "reset_input": lambda t: t.reset_input(),
    "set_baud": lambda t: t.set_baud(19200),
}


@pytest.mark.parametrize("call", CALLS)
def test_unplugged_serial_port_fails_typed_on_every_call(call):
    t, path = _unplugged_pty()
    with pytest.raises(PortClosed) as info:
        CALLS[call](t)
    assert str(info.value).startswith(f"{path}: ") and info.value.port == path
    t.close()
    t.close()  # closing a pulled port, twice, never raises


# The termios and ioctl calls pyserial makes, each failing as on a hung-up tty: a real pty gives
# EIO at pyserial's first (wrapped) tcgetattr, so the later calls need a fault of their own.
BROKEN_LINE = [
    ("termios", "tcflush", "reset_input"),
    ("termios", "tcdrain", "write"),
    ("termios", "tcsetattr", "set_baud"),
    ("termios", "tcgetattr", "set_baud"),
    ("fcntl", "ioctl", "read"),
]


@pytest.mark.parametrize(("module", "function", "call"), BROKEN_LINE)
@pytest.mark.parametrize("code", [errno.EIO, errno.ENXIO, errno.EBADF, errno.ENODEV])
def test_os_errors_of_the_line_are_typed(pty_pair, monkeypatch, module, function, call, code):
    import fcntl
    import termios

    master, path = pty_pair
    failing = termios.error if module == "termios" else OSError

    def fail(*args):
        raise failing(code, os.strerror(code))

    with open_transport(path) as t:
        os.write(master, b"\x00\x01")  # so that a read gets as far as asking how many bytes wait
        time.sleep(0.05)
        monkeypatch.setattr({"termios": termios, "fcntl": fcntl}[module], function, fail)
        with pytest.raises(PortClosed) as info:
            CALLS[call](t)
        assert str(info.value).startswith(f"{path}: ") and os.strerror(code) in str(info.value)


# -- usb:// with a fake pyusb device (no USB device is attached here) ---------------------------
class FakeEndpoint:
    wMaxPacketSize = 64
    bmAttributes = 0x02  # bulk

    def __init__(self, address: int, fault: Exception | None) -> None:
        self.bEndpointAddress = address
        self.fault = fault

    def read(self, size, timeout_ms):
        if self.fault:
            raise self.fault
        raise usb_core().USBTimeoutError("timeout", errno=errno.ETIMEDOUT)

    def write(self, data, timeout_ms):
        if self.fault:
            raise self.fault
        return len(data)


class FakeUsbDevice:
    def __init__(self, fault: Exception | None) -> None:
        self.endpoints = [FakeEndpoint(0x81, fault), FakeEndpoint(0x01, fault)]

    def is_kernel_driver_active(self, interface):
        return False

    def set_configuration(self):
        pass

    def get_active_configuration(self):
        return {(0, 0): self.endpoints}


def usb_core():
    import usb.core

    return usb.core


@pytest.fixture
def fake_usb(monkeypatch):
    """usb://1234:5678 is a fake device whose every transfer fails with `fault` once it is set."""
    import usb.util

    core = usb_core()
    faults: dict[str, Exception | None] = {"open": None, "io": None, "dispose": None}

    def find(idVendor, idProduct):
        if faults["open"]:
            raise faults["open"]
        return FakeUsbDevice(faults["io"])

    def dispose(dev):
        if faults["dispose"]:
            raise faults["dispose"]

    monkeypatch.setattr(core, "find", find)
    monkeypatch.setattr(usb.util, "dispose_resources", dispose)
    return faults


USB_GONE = {
    "ENODEV": lambda: usb_core().USBError("No such device (it may have been disconnected)", -4, errno.ENODEV),
    "EIO": lambda: usb_core().USBError("Input/Output Error", -1, errno.EIO),
    "EPIPE": lambda: usb_core().USBError("Pipe error", -9, errno.EPIPE),
}


@pytest.mark.parametrize("fault", USB_GONE)
def test_unplugged_usb_device_fails_typed_on_every_call(fake_usb, fault):
    fake_usb["io"] = USB_GONE[fault]()
    fake_usb["dispose"] = USB_GONE[fault]()
    t = open_transport("usb://1234:5678")
    for call in ("read", "write", "reset_input"):
        with pytest.raises(PortClosed) as info:
            CALLS[call](t)
        assert str(info.value).startswith("usb://1234:5678: "), call
    t.close()  # releasing a device that is gone never raises
    assert not t.is_open


@pytest.mark.parametrize("fault", USB_GONE)
def test_usb_errors_while_looking_for_the_device_are_typed(fake_usb, fault):
    fake_usb["open"] = USB_GONE[fault]()
    with pytest.raises(TransportError) as info:
        open_transport("usb://1234:5678")
    assert str(info.value).startswith("usb://1234:5678: ")


# -- tcp:// reset by its peer (a network printer power-cycled) ----------------------------------
@pytest.mark.parametrize("call", ["read", "write", "reset_input"])
def test_tcp_connection_reset_is_typed_on_every_call(call):
    import select
    import struct

    listener = socket.create_server(("127.0.0.1", 0))
    host, port = listener.getsockname()
    url = f"tcp://{host}:{port}"
    try:
        t = open_transport(url)
        peer, _ = listener.accept()
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.close()  # linger 0: a reset, not an orderly close
        select.select([t._sock], [], [], 2.0)
        with pytest.raises(PortClosed) as info:
            CALLS[call](t)
        assert str(info.value).startswith(f"{url}: ") and "ECONNRESET" in str(info.value)
        assert not t.is_open
        t.close()
    finally:
        listener.close()
