"""The technician's overview and the fault history: on the simulated hall through the composition
root (simulators and the in-process reference intake server), and the history on a bare bus."""

from __future__ import annotations

import dataclasses
import json
import threading
import zipfile

from devicecfg import load_config
from drivers.device import ActionHint, DeviceFault, DeviceKind, DeviceState, FaultRaised, StateChanged
from drivers.sim import registry
from kiosk.backend.sender import Backoff
from kiosk.bus import EventBus
from kiosk.composition import build_kiosk, software_version
from kiosk.diagnostics.bundle import build_bundle
from kiosk.diagnostics.faults import FaultHistory
from kiosk.diagnostics.overview import collect_overview, config_checksum, glance
from kiosk.supervisor import Unbuilt
from tests.support import wait_for


def _printer_line(overview):
    return next(g for g in overview.devices if g.device_id == "printer")


def test_paper_out_shows_in_the_overview_and_the_history(hall):
    faults = FaultHistory(hall.bus)
    try:
        first = collect_overview(hall, faults)
        assert _printer_line(first).usable and _printer_line(first).problem == "" and _printer_line(first).hint is None
        assert {g.device_id for g in first.devices} == {"printer", "idcard", "camera", "locker0"}
        assert first.unbuilt == ()

        registry.simulator_for("printer", {}).set_paper("out")
        printer = hall.supervisor.devices["printer"]
        printer.wake.set()  # poll now rather than at the next interval
        assert wait_for(lambda: _printer_line(collect_overview(hall, faults)).problem_code == "paper_out", 10)

        line = _printer_line(collect_overview(hall, faults))
        assert line.state is DeviceState.USER_ERROR and not line.usable
        assert line.hint is ActionHint.CLEAR and "打印纸" in line.problem and "paper" in line.problem_en
        assert line.kind is DeviceKind.PRINTER and line.model
        recent = faults.recent("printer")
        assert recent[0].code == "paper_out" and recent[0].hint is ActionHint.CLEAR  # newest first
        assert any(f.code == "user_error" and f.from_state for f in recent)  # the state is recorded too
        assert all(f.device_id == "printer" for f in recent) and faults.recent("idcard") == []

        # paper back: serves again, nothing to show; the history keeps what happened
        registry.simulator_for("printer", {}).set_paper("ok")
        printer.wake.set()
        assert wait_for(lambda: _printer_line(collect_overview(hall, faults)).usable, 10)
        assert _printer_line(collect_overview(hall, faults)).problem == ""
        assert faults.recent("printer")[0].code == "paper_out" and faults.since_usable("printer") == []
    finally:
        faults.close()


def test_the_kiosks_own_history_by_default_and_the_state_alone_without_one(hall):
    printer = hall.supervisor.devices["printer"]
    registry.simulator_for("printer", {}).set_paper("out")
    printer.wake.set()
    assert wait_for(lambda: _printer_line(collect_overview(hall)).problem_code == "paper_out", 10)  # kiosk.faults
    bare = glance(printer)  # no history at all: the state explains itself
    assert not bare.usable and bare.problem_code == "user_error" and bare.hint is ActionHint.CLEAR and bare.problem


def test_a_board_offline_is_a_warning_on_a_line_that_still_serves(hall):
    faults = FaultHistory(hall.bus)
    try:
        locker = hall.supervisor.devices["locker0"]
        assert wait_for(lambda: locker.state is DeviceState.ONLINE, 10)
        # the simulator answers in milliseconds: a shorter wait for the silent board keeps the test quick
        locker.timings = dataclasses.replace(locker.timings, command=0.1)
        registry.simulator_for("locker", {}).set_board_offline(1)

        def line():
            locker.wake.set()
            return next(g for g in collect_overview(hall, faults).devices if g.device_id == "locker0")

        assert wait_for(lambda: line().problem_code == "board_offline", 30)
        g = line()
        assert g.usable and g.hint is ActionHint.MAINTENANCE and "1" in g.problem
        assert faults.recent("locker0")[0].code == "board_offline"
        assert collect_overview(hall, faults).problems[-1].device_id == "locker0"
    finally:
        faults.close()


def test_machine_version_and_checksum(hall):
    o = collect_overview(hall)
    assert o.software_version == software_version() and o.kiosk_id == hall.config.kiosk.id
    assert o.config_checksum == config_checksum(hall.config) and len(o.config_checksum) == 12
    int(o.config_checksum, 16)
    assert 0 < o.disk_free_bytes <= o.disk_total_bytes
    assert 0 < o.memory_available_bytes <= o.memory_total_bytes and 0 < o.process_rss_bytes < o.memory_total_bytes
    assert wait_for(lambda: collect_overview(hall).backend_reachable is True, 10)  # the first heartbeat went through
    o = collect_overview(hall)
    assert o.backend_error == "" and o.backend_checked_at is not None


def test_backlog_grows_while_the_backend_is_away_and_drains_after(tmp_path):
    kiosk = build_kiosk(data=tmp_path)
    kiosk.backend.heartbeat_s = 0.1  # a heartbeat every tenth of a second instead of every minute
    kiosk.backend.sender.backoff = Backoff(base=0.05, cap=0.5)  # retry soon once the backend is back
    assert collect_overview(kiosk).backend_reachable is None  # not tried yet
    kiosk.start()
    try:
        assert wait_for(lambda: collect_overview(kiosk).backend_reachable is True, 10)
        assert wait_for(lambda: collect_overview(kiosk).outbox_pending == 0, 10)
        up = collect_overview(kiosk)
        assert up.last_delivery_at is not None and up.oldest_pending_age_s is None

        url = kiosk.backend.client.base_url
        kiosk.backend.client.set_base_url("http://127.0.0.1:9")  # nothing listens: the backend is away
        assert wait_for(lambda: collect_overview(kiosk).backend_reachable is False, 10)
        registry.simulator_for("printer", {}).set_paper("out")  # a state change and a fault to report
        kiosk.supervisor.devices["printer"].wake.set()
        assert wait_for(lambda: collect_overview(kiosk).outbox_pending >= 2, 10)
        down = collect_overview(kiosk)
        assert down.outbox_pending_bytes > 0 and down.oldest_pending_age_s is not None
        assert down.backend_error.split(":")[0] in ("heartbeat", "inventory")
        assert "no connection" in down.backend_error and "127.0.0.1" not in down.backend_error
        assert down.backend_checked_at >= up.backend_checked_at

        kiosk.backend.client.set_base_url(url)  # back: the backlog drains
        assert wait_for(lambda: collect_overview(kiosk).outbox_pending == 0, 15)
        back = collect_overview(kiosk)
        assert back.last_delivery_at > up.last_delivery_at
        assert wait_for(lambda: collect_overview(kiosk).backend_reachable is True, 10)
        assert collect_overview(kiosk).backend_error == ""
    finally:
        kiosk.stop()
        registry.forget_instances()


def test_unbuilt_device_is_a_configuration_problem(tmp_path):
    kiosk = build_kiosk(data=tmp_path)  # not started: nothing opened
    try:
        kiosk.supervisor.unbuilt.append(Unbuilt("printer2", DeviceKind.PRINTER, "no driver for this model"))
        o = collect_overview(kiosk)
        (g,) = o.unbuilt
        assert g.device_id == "printer2" and not g.usable and g.hint is ActionHint.CONFIGURATION
        assert g.problem_code == "not_built" and "no driver" in g.problem_en
        assert all(d.state is DeviceState.STARTING and not d.usable for d in o.devices)
        assert g in o.problems
    finally:
        kiosk.stop()


def test_config_checksum_is_stable_and_in_the_bundle_manifest(tmp_path):
    a, b = load_config(), load_config()
    assert config_checksum(a) == config_checksum(b)
    changed = a.model_copy(update={"kiosk": a.kiosk.model_copy(update={"hall_name": "另一个大厅"})})
    assert config_checksum(changed) != config_checksum(a)
    out = build_bundle(tmp_path / "diag.zip", a, tmp_path)
    with zipfile.ZipFile(out.path) as z:
        assert json.loads(z.read("manifest.json"))["config_checksum"] == config_checksum(a)


# -- the fault history on a bare bus ------------------------------------------------------------
def _fault(bus: EventBus, device: str, code: str, hint=ActionHint.MAINTENANCE, text="故障", text_en="fault") -> None:
    bus.publish("device.fault", FaultRaised(device, DeviceFault(code, hint, text, text_en)), source=device)


def _state(bus: EventBus, device: str, state: DeviceState, previous=DeviceState.ONLINE, reason="") -> None:
    bus.publish("device.state", StateChanged(device, state, previous, reason), source=device)


def test_history_keeps_the_last_n_newest_first_and_counts_repeats():
    bus = EventBus()
    history = FaultHistory(bus, keep=3)
    for code in ("a", "b", "c", "d"):
        _fault(bus, "printer", code)
    assert [f.code for f in history.recent("printer")] == ["d", "c", "b"]
    _fault(bus, "printer", "d")
    _fault(bus, "printer", "d")
    newest = history.recent("printer")[0]
    assert newest.code == "d" and newest.repeats == 3 and len(history.recent("printer")) == 3
    history.close()
    _fault(bus, "printer", "e")
    assert history.recent("printer")[0].code == "d"  # closed: no longer listening


def test_history_records_states_that_keep_a_device_from_serving():
    bus = EventBus()
    history = FaultHistory(bus)
    _state(bus, "camera", DeviceState.STARTING)
    _state(bus, "camera", DeviceState.BUSY)
    assert history.recent("camera") == []
    _state(bus, "camera", DeviceState.NO_DEVICE, reason="rtsp://admin:hunter2@10.0.0.9/stream?token=abc123: not found")
    (f,) = history.recent("camera")
    assert f.code == "no_device" and f.hint is ActionHint.MAINTENANCE and f.from_state
    assert "设备未连接" in f.text and "device not present" in f.text_en
    assert "hunter2" not in f.text + f.text_en and "abc123" not in f.text_en and "10.0.0.9" in f.text_en
    for state in (DeviceState.OFFLINE, DeviceState.HARDWARE_ERROR, DeviceState.USER_ERROR, DeviceState.POWER_OFF):
        _state(bus, "camera", state)
    assert [f.code for f in history.recent("camera")][:4] == ["power_off", "user_error", "hardware_error", "offline"]
    _state(bus, "camera", DeviceState.ONLINE)
    assert history.since_usable("camera") == [] and len(history.recent("camera")) == 5


def test_history_is_safe_from_many_threads():
    bus = EventBus()
    history = FaultHistory(bus, keep=20)

    def storm(n: int) -> None:
        for i in range(300):
            _fault(bus, f"dev{n % 3}", f"code{i % 7}")
            history.recent(f"dev{n % 3}")

    threads = [threading.Thread(target=storm, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for device in ("dev0", "dev1", "dev2"):
        recent = history.recent(device)
        assert 0 < len(recent) <= 20 and sum(f.repeats for f in recent) <= 600
