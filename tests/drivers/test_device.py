from drivers.device import (
    ActionHint,
    DeviceFault,
    DeviceState,
    FaultRaised,
    HealthLevel,
    StateChanged,
    StatusChanged,
)
from drivers.printer.status import Cover, Cutter, Online, Paper, PrinterStatus
from drivers.sim import registry
from kiosk.bus import EventBus
from kiosk.supervisor import Supervisor
from tests.support import Link, PingDevice, PingStatus


def test_status_unknown_and_delta():
    unknown = PrinterStatus.unknown()
    assert unknown == PrinterStatus(Online.UNKNOWN, Paper.UNKNOWN, Cover.UNKNOWN, Cutter.UNKNOWN, None)
    now = PrinterStatus(paper=Paper.OK)
    assert now.delta(unknown) == {"paper": Paper.OK}
    assert now.delta(now) == {}
    assert now.delta(None) == {"online": Online.UNKNOWN, "paper": Paper.OK, "cover": Cover.UNKNOWN, "cutter": Cutter.UNKNOWN, "error": None}


def test_states_that_journeys_can_use():
    assert {s for s in DeviceState if s.usable} == {DeviceState.ONLINE, DeviceState.BUSY}


def test_driver_reports_state_status_and_faults_through_its_listener(echo_sim):
    events = []
    dev = PingDevice("p1", "sim://echo?id=p1", listener=events.append)
    assert dev.status == PingStatus(Link.UNKNOWN)  # nothing known before it answers
    dev.open()
    dev.raise_fault(DeviceFault("paper_out", ActionHint.CLEAR, "打印纸用完，请更换纸卷", "paper out"))
    dev.close()
    assert events == [
        StatusChanged("p1", {"link": Link.UP}),
        StateChanged("p1", DeviceState.ONLINE, DeviceState.STARTING, "answered"),
        FaultRaised("p1", DeviceFault("paper_out", ActionHint.CLEAR, "打印纸用完，请更换纸卷", "paper out")),
    ]


def test_faults_reach_the_bus_with_their_action_hint(echo_sim):
    bus = EventBus()
    got = []
    bus.subscribe("device.fault", got.append)
    dev = PingDevice("p2", "sim://echo?id=p2")
    Supervisor([dev], bus)
    dev.raise_fault(DeviceFault("cutter_jam", ActionHint.MAINTENANCE, "切刀卡住，请联系工作人员"))
    assert got[0].source == "p2" and got[0].payload.fault.hint is ActionHint.MAINTENANCE


def test_internal_health_check(echo_sim):
    dev = PingDevice("p3", "sim://echo?id=p3")
    result = dev.check_health(HealthLevel.INTERNAL)
    assert result.ok and "通信正常" in result.text and dict(result.details)["round_trip_ms"].isdigit()
    registry.simulator_for("echo", {"id": "p3"}).silent = True
    result = dev.check_health(HealthLevel.INTERNAL)
    assert not result.ok and "设备无应答" in result.text and "sim://echo?id=p3" in result.text
    dev.close()


def test_levels_a_kind_does_not_offer_say_so(echo_sim):
    result = PingDevice("p4", "sim://echo?id=p4").check_health(HealthLevel.EXTERNAL)
    assert not result.ok and result.level is HealthLevel.EXTERNAL and "不支持" in result.text


def test_statistics_count_opens_and_errors(echo_sim):
    dev = PingDevice("p5", "sim://echo?id=p5")
    dev.open()
    registry.simulator_for("echo", {"id": "p5"}).unplug()
    try:
        dev.poll()
    except Exception:
        pass
    stats = dev.stats.snapshot()
    assert stats["opens"] == 1 and stats["communication_errors"] == 1 and stats["operations_ok"] == 1
