"""The running kiosk as the UI sees it: config, event bus, store, supervised devices, services.

Built only by kiosk.composition.build_kiosk (the one composition root).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from devicecfg.schema import KioskConfig
from kiosk.bus import EventBus
from kiosk.services.availability import Availability, DeviceSnapshot, Journey, all_availability

if TYPE_CHECKING:
    from kiosk.store import Store
    from kiosk.supervisor import Supervisor


@dataclass
class Kiosk:
    config: KioskConfig
    bus: EventBus
    store: Store
    supervisor: Supervisor

    def device_snapshots(self) -> list[DeviceSnapshot]:
        return self.supervisor.snapshot()

    def availability(self) -> dict[Journey, Availability]:
        return all_availability(self.device_snapshots())

    def start(self) -> None:
        self.supervisor.start()

    def stop(self) -> None:
        self.supervisor.stop()
        self.store.close()
