"""A small Kiosk for UI tests and smoke runs: the real Kiosk, EventBus and config model around a
fake supervisor whose device states a test sets. No Kivy import."""

from __future__ import annotations

import tomllib

from devicecfg.schema import KioskConfig
from drivers.device import DeviceKind, DeviceState  # test data only: ui/ never imports drivers
from kiosk.bus import EventBus
from kiosk.core import Kiosk
from kiosk.services.availability import DeviceSnapshot

CONFIG_TOML = """
[kiosk]
id = "test-hall-01"
hall_name = "示例市政务服务中心"
hall_name_en = "Example City Government Service Centre"
idle_timeout_s = 90

[backend]
url = "https://backend.example.invalid/api"

[[service_groups]]
id = "social"
name = "社保医保"
name_en = "Social Security and Medical Insurance"
  [[service_groups.services]]
  code = "si-card"
  name = "社会保障卡申领"
  name_en = "Social Security Card"
  prefix = "A"
  [[service_groups.services]]
  code = "medical"
  name = "医保参保登记"
  name_en = "Medical Insurance Enrolment"
  prefix = "A"
  [[service_groups.services]]
  code = "pension"
  name = "养老保险业务"
  name_en = "Pension Insurance"
  prefix = "B"

[[service_groups]]
id = "property"
name = "不动产登记"
name_en = "Real Estate Registration"
  [[service_groups.services]]
  code = "transfer"
  name = "转移登记"
  name_en = "Transfer of Ownership"
  prefix = "C"
  [[service_groups.services]]
  code = "mortgage"
  name = "抵押登记"
  name_en = "Mortgage Registration"
  prefix = "C"

[[service_groups]]
id = "business"
name = "企业开办"
name_en = "Starting a Business"
  [[service_groups.services]]
  code = "company"
  name = "企业设立登记"
  name_en = "Company Registration"
  prefix = "D"
  [[service_groups.services]]
  code = "sole-trader"
  name = "个体工商户登记"
  name_en = "Sole Trader Registration"
  prefix = "D"

[[service_groups]]
id = "help"
name = "帮办服务"
name_en = "Assistance"
  [[service_groups.services]]
  code = "assist"
  name = "帮办代办"
  name_en = "Assisted Service"
  prefix = "H"
  kind = "help"
  [[service_groups.services]]
  code = "complaint"
  name = "办不成事反映"
  name_en = "Could Not Get It Done"
  prefix = "H"
  kind = "help"
"""


def load_test_config() -> KioskConfig:
    return KioskConfig.model_validate(tomllib.loads(CONFIG_TOML))


class FakeSupervisor:
    """Stands in for kiosk.supervisor.Supervisor: device snapshots only, no threads."""

    devices: dict = {}  # no drivers behind this fake: journeys that need one say so

    def __init__(self, snapshots: list[DeviceSnapshot]) -> None:
        self.snapshots = snapshots

    def snapshot(self) -> list[DeviceSnapshot]:
        return list(self.snapshots)

    def set_state(self, kind: DeviceKind, state: DeviceState) -> None:
        self.snapshots = [DeviceSnapshot(s.device_id, s.kind, state) if s.kind is kind else s for s in self.snapshots]

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def stuck(self) -> None:
        return None  # no worker threads, none stuck (the watchdog's liveness check)


def default_devices() -> list[DeviceSnapshot]:
    """Everything online except the pickup locker, which is not answering."""
    return [
        DeviceSnapshot("printer-1", DeviceKind.PRINTER, DeviceState.ONLINE),
        DeviceSnapshot("idcard-1", DeviceKind.IDCARD, DeviceState.ONLINE),
        DeviceSnapshot("camera-1", DeviceKind.CAMERA, DeviceState.ONLINE),
        DeviceSnapshot("locker-1", DeviceKind.LOCKER, DeviceState.OFFLINE),
    ]


def make_kiosk(devices: list[DeviceSnapshot] | None = None) -> Kiosk:
    supervisor = FakeSupervisor(default_devices() if devices is None else devices)
    return Kiosk(config=load_test_config(), bus=EventBus(), store=None, supervisor=supervisor)
