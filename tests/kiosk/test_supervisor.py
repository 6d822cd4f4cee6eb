"""Supervision over real ptys: a device whose pty disappears and comes back is re-opened,
and one device's failure never reaches another."""

import logging
import threading

from drivers.device import DeviceState, StateChanged
from drivers.sim import registry
from drivers.sim.serve import PtyServer
from kiosk.bus import EventBus
from kiosk.store import Store
from kiosk.supervisor import Backoff, Supervisor
from tests.support import BuggyDevice, EchoSimulator, PingDevice, wait_for

FAST = Backoff(initial=0.02, factor=2, maximum=0.1)


class StateLog:
    def __init__(self, bus: EventBus) -> None:
        self.events: list[StateChanged] = []
        self._lock = threading.Lock()
        bus.subscribe("device.state", self._on)

    def _on(self, env):
        with self._lock:
            self.events.append(env.payload)

    def states(self, device_id: str) -> list[DeviceState]:
        with self._lock:
            return [e.state for e in self.events if e.device_id == device_id]


def test_pty_disappears_and_comes_back(tmp_path, echo_sim):
    link = tmp_path / "kiosk-printer"  # a stable udev-style name in front of /dev/pts/N
    sim = EchoSimulator()
    server = PtyServer(sim, link=link)
    bus = EventBus()
    log = StateLog(bus)
    store = Store(tmp_path / "kiosk.sqlite3")
    pty_dev = PingDevice("printer", str(link))
    other = PingDevice("other", "sim://echo?id=other")
    sup = Supervisor([pty_dev, other], bus, store, poll_intervals={"printer": 0.02, "other": 0.02}, backoff=FAST)
    sup.start()
    try:
        assert wait_for(lambda: pty_dev.state is DeviceState.ONLINE)
        assert wait_for(lambda: other.state is DeviceState.ONLINE)

        server.close()  # adapter pulled: the pty and its udev link vanish
        assert wait_for(lambda: pty_dev.state is DeviceState.NO_DEVICE)
        assert DeviceState.OFFLINE in log.states("printer")  # first the link broke mid-poll
        assert other.state is DeviceState.ONLINE

        server = PtyServer(EchoSimulator(), link=link)  # plugged back in: a new /dev/pts/N
        assert wait_for(lambda: log.states("printer")[-1] is DeviceState.ONLINE)
        assert log.states("other") == [DeviceState.ONLINE]  # never disturbed
        assert pty_dev.stats.snapshot()["opens"] >= 2
    finally:
        sup.stop()
        server.close()
    # statistics survive a restart
    saved = store.load_statistics("printer")
    assert saved["opens"] >= 2 and saved["communication_errors"] >= 1
    again = PingDevice("printer", str(link))
    Supervisor([again], EventBus(), store)
    assert again.stats.snapshot()["opens"] == saved["opens"]
    store.close()


class CountingPing(PingDevice):
    """Counts open attempts, so a test can wait for the supervisor's retries."""

    opens_tried = 0

    def open(self) -> None:
        self.opens_tried += 1
        super().open()


def problems(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_unplug_is_one_warning_without_a_traceback(tmp_path, caplog):
    """Pulling the adapter: the host's fd of the pty fails with EIO at the next poll (in
    reset_input's tcflush), and the link vanishes. One WARNING that names the port; no ERROR,
    no traceback, however many times the supervisor tries to re-open it."""
    link = tmp_path / "kiosk-printer"
    server = PtyServer(EchoSimulator(), link=link)
    dev = CountingPing("printer", str(link))
    sup = Supervisor([dev], EventBus(), poll_intervals={"printer": 0.02}, backoff=FAST)
    caplog.set_level(logging.DEBUG)
    sup.start()
    try:
        assert wait_for(lambda: dev.state is DeviceState.ONLINE)
        caplog.clear()
        server.close()
        assert wait_for(lambda: dev.state is DeviceState.NO_DEVICE)
        tried = dev.opens_tried
        assert wait_for(lambda: dev.opens_tried >= tried + 3)  # it keeps retrying
    finally:
        sup.stop()
        server.close()
    warned = problems(caplog)
    assert [r.levelname for r in warned] == ["WARNING"], [r.getMessage() for r in warned]
    assert warned[0].device == "printer" and str(link) in warned[0].reason
    assert not any(r.exc_info for r in caplog.records)
    assert "driver error" not in warned[0].reason


def test_a_device_missing_at_start_is_one_warning_however_often_it_is_retried(caplog):
    missing = CountingPing("idcard", "/dev/kiosk-nonexistent/ttyUSB7")
    sup = Supervisor([missing], EventBus(), backoff=FAST)
    caplog.set_level(logging.DEBUG)
    sup.start()
    try:
        assert wait_for(lambda: missing.opens_tried >= 4)
    finally:
        sup.stop()
    warned = problems(caplog)
    assert [(r.levelname, r.device, r.state) for r in warned] == [("WARNING", "idcard", "no_device")]
    assert "/dev/kiosk-nonexistent/ttyUSB7" in warned[0].reason and not warned[0].exc_info


def test_a_driver_bug_is_logged_with_its_traceback(caplog, echo_sim):
    buggy = BuggyDevice("buggy", "sim://echo?id=bug")
    sup = Supervisor([buggy], EventBus(), poll_intervals={"buggy": 0.01}, backoff=FAST)
    caplog.set_level(logging.DEBUG)
    sup.start()
    try:
        assert wait_for(lambda: any(r.levelno == logging.ERROR for r in caplog.records))
    finally:
        sup.stop()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0].device == "buggy" and errors[0].exc_info and "driver bug" in str(errors[0].exc_info[1])


def test_silent_device_goes_offline_and_recovers(echo_sim):
    bus = EventBus()
    dev = PingDevice("printer", "sim://echo?id=quiet")
    sup = Supervisor([dev], bus, poll_intervals={"printer": 0.02}, backoff=FAST)
    sup.start()
    try:
        assert wait_for(lambda: dev.state is DeviceState.ONLINE)
        sim = registry.simulator_for("echo", {"id": "quiet"})
        sim.silent = True
        assert wait_for(lambda: dev.state is DeviceState.OFFLINE)
        sim.silent = False
        assert wait_for(lambda: dev.state is DeviceState.ONLINE)
    finally:
        sup.stop()


def test_buggy_driver_does_not_stop_the_others(echo_sim):
    bus = EventBus()
    buggy = BuggyDevice("buggy", "sim://echo?id=b")
    good = PingDevice("good", "sim://echo?id=g")
    missing = PingDevice("missing", "/dev/kiosk-nonexistent/ttyUSB7")
    sup = Supervisor([buggy, good, missing], bus, poll_intervals={"buggy": 0.01, "good": 0.01}, backoff=FAST)
    sup.start()
    try:
        assert wait_for(lambda: missing.state is DeviceState.NO_DEVICE)
        assert wait_for(lambda: good.state is DeviceState.ONLINE)
        assert wait_for(lambda: buggy.stats.snapshot()["opens"] >= 3)  # keeps retrying after each bug
        assert good.state is DeviceState.ONLINE
    finally:
        sup.stop()
    assert {s.device_id: s.state for s in sup.snapshot()}["missing"] is DeviceState.NO_DEVICE


def test_backoff_grows_to_its_maximum():
    delays = iter(Backoff(initial=1, factor=2, maximum=8).delays())
    values = [next(delays) for _ in range(6)]
    assert 0.8 <= values[0] <= 1.2 and 1.6 <= values[1] <= 2.4
    assert all(6.4 <= v <= 9.6 for v in values[3:])


def test_a_reset_is_never_overwritten_by_a_save_of_the_counts_before_it(tmp_path):
    """The periodic save takes a snapshot, then writes it; a technician's reset in between used
    to be overwritten by that older snapshot (and a restart then brought the old counts back)."""

    class SlowStore(Store):
        def __init__(self, path) -> None:
            super().__init__(path)
            self.saving, self.go_on = threading.Event(), threading.Event()

        def save_statistics(self, device_id, counts) -> None:
            if counts.get("opens") and not self.saving.is_set():  # the periodic save, held mid-way
                self.saving.set()
                self.go_on.wait(5)
            super().save_statistics(device_id, counts)

    store = SlowStore(tmp_path / "kiosk.sqlite3")
    device = PingDevice("printer", "sim://echo?id=stats")
    device.stats.incr("opens", 7)
    sup = Supervisor([device], EventBus(), store)
    periodic = threading.Thread(target=sup._save_stats, args=(device,))
    periodic.start()
    assert store.saving.wait(5)
    reset = threading.Thread(target=lambda: sup.reset_statistics(device))
    reset.start()
    reset.join(0.3)
    assert reset.is_alive(), "the reset waits for the save under way"
    store.go_on.set()
    periodic.join(5)
    reset.join(5)
    assert device.stats.snapshot()["opens"] == 0
    assert store.load_statistics("printer")["opens"] == 0
