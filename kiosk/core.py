"""The running kiosk as the UI sees it: config, event bus, store, supervised devices, services.

Built only by kiosk.composition.build_kiosk (the one composition root).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from devicecfg.schema import KioskConfig
from drivers.device import DeviceKind, DeviceState
from kiosk.bus import Envelope, EventBus
from kiosk.services.availability import Availability, DeviceSnapshot, Journey, all_availability

if TYPE_CHECKING:
    from kiosk.backend.link import BackendLink
    from kiosk.diagnostics.faults import FaultHistory
    from kiosk.lockers import Lockers
    from kiosk.materials import Materials
    from kiosk.services.check_in import CheckIn
    from kiosk.services.staff import StaffDesk
    from kiosk.services.submission import Submissions
    from kiosk.services.technician import TechnicianDesk
    from kiosk.services.voice import Voice
    from kiosk.services.take_number import TakeNumber
    from kiosk.store import Store
    from kiosk.supervisor import Supervisor

log = logging.getLogger(__name__)


@dataclass
class Kiosk:
    config: KioskConfig
    bus: EventBus
    store: Store
    supervisor: Supervisor

    def _device(self, kind: DeviceKind):
        return next((d for d in self.supervisor.devices.values() if d.kind is kind), None)

    @property
    def has_card_reader(self) -> bool:
        return self._device(DeviceKind.IDCARD) is not None

    def card_session(self):
        """A one-read session on this kiosk's ID card reader, or None when it has none."""
        from kiosk.services.card_session import CardSession

        reader = self._device(DeviceKind.IDCARD)
        return None if reader is None else CardSession(self.bus, reader)

    def qr_scanner(self):
        """A phone-QR scanner on this kiosk's document camera, or None when it has none."""
        from kiosk.services.qr_scan import QrScanner

        camera = self._device(DeviceKind.CAMERA)
        return None if camera is None else QrScanner(camera)

    def capture_session(self):
        """A material-capture session on this kiosk's document camera, or None when it has none."""
        from kiosk.services.capture import CaptureSession

        camera = self._device(DeviceKind.CAMERA)
        return None if camera is None else CaptureSession(camera)

    def device_snapshots(self) -> list[DeviceSnapshot]:
        return self.supervisor.snapshot()

    def availability(self) -> dict[Journey, Availability]:
        return all_availability(self.device_snapshots())

    def liveness_checks(self):
        """What must be alive besides the UI thread for the systemd watchdog to be fed
        (kiosk/watchdog.py): the device supervisor's workers."""
        return {"supervisor": self.supervisor.stuck}

    lockers: Lockers | None = None
    materials: Materials | None = None  # captured pages waiting for upload (kiosk/materials.py)
    backend: BackendLink | None = None  # outbox sender, ticket desk, heartbeat (kiosk/backend)
    take_number: TakeNumber | None = None  # 取号 (kiosk/services/take_number.py)
    check_in: CheckIn | None = None  # 预约签到 (kiosk/services/check_in.py)
    staff: StaffDesk | None = None  # staff deposit and recovery (kiosk/services/staff.py)
    submissions: Submissions | None = None  # 自助申报 (kiosk/services/submission.py)
    voice: Voice | None = None  # 语音提示 (kiosk/services/voice.py)
    technician: TechnicianDesk | None = None  # 维护模式 (kiosk/services/technician.py)
    faults: FaultHistory | None = None  # recent device faults for the technician's pages
    # Locker housekeeping runs off the device threads: one worker, in order.
    _locker_work: ThreadPoolExecutor | None = field(default=None, repr=False)
    _reconciled: set[str] = field(default_factory=set, repr=False)

    def start(self) -> None:
        if self.materials is not None:
            self.materials.sweep()  # a crash mid-save leaves partial files: remove them first
        if self.lockers is not None:
            self._locker_work = ThreadPoolExecutor(1, thread_name_prefix="lockers")
            self.bus.subscribe("device.state", self._on_device_state)
            self.bus.subscribe("locker", self._on_locker_event)
        self.supervisor.start()
        if self.backend is not None:
            self.backend.start()

    def stop(self) -> None:
        if self.faults is not None:
            self.faults.close()
        self.supervisor.stop()
        if self.backend is not None:
            self.backend.stop()
        if self._locker_work is not None:
            self._locker_work.shutdown(wait=True, cancel_futures=True)
        self.store.close()

    def _on_device_state(self, env: Envelope) -> None:
        # Reconcile the ledger with the boards the first time a locker line comes up (start-up,
        # or after a power cut); never before, since a silent board proves nothing.
        lockers, change = self.lockers, env.payload
        if lockers is None or change.device_id not in lockers.hardware or change.state is not DeviceState.ONLINE:
            return
        if change.device_id not in self._reconciled:
            self._reconciled.add(change.device_id)
            self._locker_task(lockers.reconcile)

    def _on_locker_event(self, env: Envelope) -> None:
        if self.lockers is not None and env.name in ("locker.door", "locker.item"):
            self._locker_task(lambda: self.lockers.patrol(refresh=False))  # forced opening, sensor disagreement

    def _locker_task(self, fn) -> None:
        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("locker housekeeping failed")

        if self._locker_work is not None:
            self._locker_work.submit(run)
