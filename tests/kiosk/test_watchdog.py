"""sd_notify and the watchdog's liveness checks, over a real datagram socket bound by the test and
a real Supervisor whose device worker gets stuck in a driver call without a timeout."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from drivers.device import DeviceState
from drivers.transport import Transport
from kiosk.bus import EventBus
from kiosk.sdnotify import Notifier
from kiosk.supervisor import Backoff, Supervisor
from kiosk.watchdog import Watchdog
from tests.support import PingDevice, wait_for


class HangingDevice(PingDevice):
    """A driver with the worst bug: once `hang` is set, poll blocks until `release` is set."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hang = threading.Event()
        self.release = threading.Event()

    def _poll(self, transport: Transport) -> None:
        if self.hang.is_set():
            self.release.wait(30)
        super()._poll(transport)


@pytest.fixture
def systemd_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    sock.settimeout(0)
    yield str(path), sock
    sock.close()


def received(sock) -> list[str]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except BlockingIOError:
            return out


def test_environment_is_read_as_systemd_sets_it():
    n = Notifier.from_env({"NOTIFY_SOCKET": "@sys/notify", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())})
    assert n.enabled and n.watchdog_interval == 15.0 and not n.watchdog_for_another_pid
    assert Notifier.from_env({"NOTIFY_SOCKET": "/run/x", "WATCHDOG_PID": "1"}).watchdog_for_another_pid
    assert Notifier.from_env({"WATCHDOG_USEC": "30000000"}).watchdog_interval is None  # no socket, no pings
    assert Notifier.from_env({"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "bogus"}).watchdog_interval is None
    assert Notifier.from_env({}).notify("READY=1") is False  # outside systemd: a no-op


def test_a_socket_that_went_away_is_reported_not_raised(tmp_path):
    assert Notifier(str(tmp_path / "gone")).notify("WATCHDOG=1") is False


def test_pings_stop_while_a_supervisor_worker_is_stuck(systemd_socket, echo_sim):
    path, sock = systemd_socket
    device = HangingDevice("printer", "sim://echo")
    sup = Supervisor([device], EventBus(), poll_intervals={"printer": 0.01},
                     backoff=Backoff(0.01, 2, 0.05), stuck_after=0.5)
    watchdog = Watchdog(Notifier(path, 2_000_000), {"supervisor": sup.stuck})
    sup.start()
    try:
        assert wait_for(lambda: device.state is DeviceState.ONLINE)
        watchdog.ready()
        assert watchdog.tick()
        assert received(sock) == ["READY=1\nSTATUS=home screen shown", "WATCHDOG=1"]

        device.hang.set()
        assert wait_for(lambda: sup.stuck() is not None, 5)
        assert not watchdog.tick()
        assert not watchdog.tick()
        messages = received(sock)
        assert "WATCHDOG=1" not in messages[-2:]
        status = [m for m in messages if m.startswith("STATUS=not alive")]
        assert status == ["STATUS=not alive: supervisor: device workers stuck for > 0 s: printer"]  # said once

        device.release.set()  # the call returns after all: the worker turns and pings resume
        assert wait_for(lambda: sup.stuck() is None, 5)
        assert watchdog.tick()
        assert received(sock)[-2:] == ["STATUS=home screen shown", "WATCHDOG=1"]
    finally:
        device.release.set()
        sup.stop()


def test_a_device_in_back_off_is_not_stuck(systemd_socket):
    path, sock = systemd_socket
    absent = PingDevice("printer", "/dev/kiosk-test-no-such-port")  # PortNotFound: waits, retries
    sup = Supervisor([absent], EventBus(), backoff=Backoff(0.01, 2, 0.05), stuck_after=0.5)
    watchdog = Watchdog(Notifier(path, 2_000_000), {"supervisor": sup.stuck})
    sup.start()
    try:
        assert wait_for(lambda: absent.state is DeviceState.NO_DEVICE)
        assert not wait_for(lambda: sup.stuck() is not None, 1.5, interval=0.05)  # 3 × stuck_after
        assert watchdog.tick()
        assert received(sock) == ["WATCHDOG=1"]
    finally:
        sup.stop()


def test_a_broken_check_counts_as_failing(systemd_socket):
    path, sock = systemd_socket

    def broken():
        raise RuntimeError("no")

    assert Watchdog(Notifier(path, 2_000_000), {"x": broken}).tick() is False
    assert received(sock) == ["STATUS=not alive: x: check failed: RuntimeError('no')"]
