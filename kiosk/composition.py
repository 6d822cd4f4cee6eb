"""The one composition root: builds every device, the store, the bus and the services from config.
Nothing else in the kiosk constructs a driver."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from devicecfg import load_config
from devicecfg.profiles import CameraProfile, IdCardProfile, LockerProfile, PrinterProfile, profile_for
from devicecfg.schema import DeviceConfig, KioskConfig, SerialConfig
from drivers.camera.camera import CameraOutput, DocumentCamera
from drivers.camera.sources import CaptureSettings
from drivers.device import Device, DeviceKind
from drivers.idcard.reader import IdCardReader, ReaderTimings
from drivers.locker.bus import BoardSpec, BusTimings, LockerBus, Protocol
from drivers.locker.types import Polarity
from drivers.printer.model import PrinterModel
from drivers.printer.printer import EscPosPrinter
from drivers.transport import SerialSettings
from intake import contract as c
from kiosk.backend.client import BackendClient
from kiosk.backend.link import BackendLink, load_or_create_secret
from kiosk.backend.outbox import Outbox
from kiosk.backend.sender import Sender
from kiosk.backend.tickets import TicketDesk, TicketPolicy, default_offline_code
from kiosk.bus import EventBus
from kiosk.core import Drain, Kiosk
from kiosk.diagnostics.faults import FaultHistory
from kiosk.keys import ID_HASH, derived_key
from kiosk.lockers import Lockers
from kiosk.materials import material_key
from kiosk.services.check_in import CheckIn
from kiosk.stopping import DrainedLockers, DrainedPrinter
from kiosk.services.staff import StaffDesk
from kiosk.services.submission import Submissions
from kiosk.services.technician import TechnicianDesk
from kiosk.services.take_number import TakeNumber
from kiosk.services.voice import Voice
from kiosk.paths import data_dir
from kiosk.store import Store
from kiosk.supervisor import Supervisor, Unbuilt

log = logging.getLogger(__name__)

DriverBuilder = Callable[[DeviceConfig, KioskConfig | None], Device]


def serial_settings(cfg: DeviceConfig, default_baud: int) -> SerialSettings:
    if cfg.serial is None:
        return SerialSettings(baudrate=default_baud)
    values = cfg.serial.model_dump()
    values["baudrate"] = values["baudrate"] or default_baud
    return SerialSettings(**values)


def build_idcard(cfg: DeviceConfig, config: KioskConfig | None = None) -> IdCardReader:
    p = profile_for(cfg.kind, cfg.model)
    assert isinstance(p, IdCardProfile)
    configured = cfg.serial.baudrate if cfg.serial else None
    return IdCardReader(
        cfg.id,
        cfg.port,
        model=cfg.model,
        serial=serial_settings(cfg, p.baudrate),
        baud=configured,  # None: probe the profile's rates, 11 FF first answer wins
        probe_order=tuple(p.baud_probe),
        timings=ReaderTimings(
            base=p.timeout_base_ms / 1000,
            read=p.timeout_read_ms / 1000,
            read_fp=p.timeout_read_fp_ms / 1000,
            wire_factor=p.wire_time_factor,
            inter_byte=p.inter_byte_timeout_ms / 1000,
            retries=p.retries,
        ),
        find_period=p.find_poll_ms / 1000,
        read_fingerprints=p.read_fingerprints,
    )


def printer_model(p: PrinterProfile, name: str) -> PrinterModel:
    return PrinterModel(
        name=name,
        dots=p.dots,
        charset=p.font_charset,
        font_missing=p.missing_ranges,
        cutter=p.cutter != "none",
        cut_command=p.cut_bytes,
        qr_native=p.qr_mode == "native",
        status_dle_eot=p.status_dle_eot,
        barrier_gs_r=p.barrier_gs_r,
        clear_dle_dc4=p.clear_dle_dc4,
        recover_dle_enq=p.recover_dle_enq,
        raster_band_rows=p.raster_band_rows,
        speed_mm_s=float(p.speed_mm_s or 100),
        dpi=p.dpi,
    )


def build_printer(cfg: DeviceConfig, config: KioskConfig | None = None) -> EscPosPrinter:
    p = profile_for(cfg.kind, cfg.model)
    assert isinstance(p, PrinterProfile)
    handshake = {"xonxoff": {"xonxoff": True}, "rtscts": {"rtscts": True}, "dsrdtr": {"dsrdtr": True}}.get(p.handshake, {})
    serial = serial_settings(cfg, p.baudrate or 9600)
    if cfg.serial is None and handshake:
        serial = SerialSettings(baudrate=serial.baudrate, **handshake)
    return EscPosPrinter(cfg.id, cfg.port, model=printer_model(p, cfg.model), serial=serial)


def build_printer_for_port(port: str, model: str = "generic-80mm", listener=None) -> EscPosPrinter:
    """A printer on an explicit port, for `kiosk diag printer` (still built here, from a profile)."""
    printer = build_printer(DeviceConfig(id="printer", kind=DeviceKind.PRINTER, model=model, port=port))
    printer.set_listener(listener)
    return printer


PROTOCOLS = {"kerong_cu": Protocol.KERONG_CU, "8a80": Protocol.BCC_8A}


def build_locker(cfg: DeviceConfig, config: KioskConfig | None = None) -> LockerBus:
    """One RS-485 line; its boards are the cabinet boards that name this device."""
    p = profile_for(cfg.kind, cfg.model)
    assert isinstance(p, LockerProfile)
    boards = [b for cab in (config.cabinets if config else []) for b in cab.boards if b.device == cfg.id]
    specs = [
        BoardSpec(
            b.address,
            b.locks,
            Polarity.parse(
                "lock_shorted" if (b.feedback_polarity or p.feedback_polarity) == "normal" else "unlock_shorted",
                str(b.item_polarity or p.item_polarity or "normal"),
            ),
            item_sensor=b.item_sensor and p.item_sensor,
        )
        for b in boards
    ] or [BoardSpec(p.address_min, p.locks, item_sensor=p.item_sensor)]
    timings = BusTimings(
        command=p.command_timeout_ms / 1000, gap=p.inter_frame_gap_ms / 1000, retries=p.retries,
        confirm=p.open_confirm_ms / 1000, confirm_poll=p.confirm_poll_ms / 1000,
    )
    return LockerBus(cfg.id, cfg.port, protocol=PROTOCOLS[p.protocol], boards=specs, model=cfg.model,
                     serial=serial_settings(cfg, p.baudrate), timings=timings)


def build_locker_for_port(port: str, protocol: Protocol, boards: list[int], locks: int | None = None, listener=None) -> LockerBus:
    """A bus on an explicit port, for `kiosk diag locker` (still built here, from a profile)."""
    model = "kerong-cu16" if protocol is Protocol.KERONG_CU else "bcc-8a80"
    p = profile_for(DeviceKind.LOCKER, model)
    assert isinstance(p, LockerProfile)
    specs = [BoardSpec(b, locks or p.locks, item_sensor=p.item_sensor) for b in boards]
    bus = LockerBus("locker", port, protocol=protocol, boards=specs, model=model,
                    serial=SerialSettings(baudrate=p.baudrate))
    bus.set_listener(listener)
    return bus


def build_camera(cfg: DeviceConfig, config: KioskConfig | None = None) -> DocumentCamera:
    p = profile_for(cfg.kind, cfg.model)
    assert isinstance(p, CameraProfile)
    settings = CaptureSettings(width=p.width, height=p.height, fps=float(p.fps))
    output = CameraOutput(preview_reduction=p.preview_reduction, dpi=p.output_dpi, jpeg_quality=p.jpeg_quality,
                          stable_s=p.autocapture_stable_s, detect_hz=p.detect_hz)
    return DocumentCamera(cfg.id, cfg.port, model=cfg.model, settings=settings, output=output)


def build_camera_for_source(source: str, model: str = "uvc-generic") -> DocumentCamera:
    """A camera on an explicit source, for `kiosk diag camera` (still built here, from a profile)."""
    return build_camera(DeviceConfig(id="camera", kind=DeviceKind.CAMERA, model=model, port=source))


# One builder per device kind; each device issue adds its driver here.
DRIVERS: dict[DeviceKind, DriverBuilder] = {
    DeviceKind.IDCARD: build_idcard,
    DeviceKind.PRINTER: build_printer,
    DeviceKind.LOCKER: build_locker,
    DeviceKind.CAMERA: build_camera,
}


def build_devices(config: KioskConfig) -> tuple[list[Device], list[Unbuilt]]:
    devices: list[Device] = []
    unbuilt: list[Unbuilt] = []
    for cfg in config.devices:
        if not cfg.enabled:
            continue
        builder = DRIVERS.get(cfg.kind)
        if builder is None:
            unbuilt.append(Unbuilt(cfg.id, cfg.kind, f"this version has no driver for {cfg.kind} devices"))
            continue
        devices.append(builder(cfg, config))
    return devices, unbuilt


def build_kiosk(
    config_path: str | os.PathLike[str] | None = None,
    data: str | os.PathLike[str] | None = None,
    config: KioskConfig | None = None,
) -> Kiosk:
    """Build (not start) the kiosk. Raises devicecfg.ConfigError on a bad config."""
    config = config or load_config(config_path)
    directory = data_dir(data, config.kiosk.data_dir)
    store = Store(Path(directory) / "kiosk.sqlite3")
    bus = EventBus()
    drain = Drain()  # the graceful stop waits for the door and print operations it counts
    faults = FaultHistory(bus)  # subscribed before any device starts: the first faults count too
    devices, unbuilt = build_devices(config)
    supervisor = Supervisor(
        devices,
        bus,
        store,
        poll_intervals={d.id: d.poll_interval_s for d in config.devices},
        unbuilt=unbuilt,
    )
    secret = backend_secret(config, Path(directory))
    outbox = Outbox(store, config.backend.outbox_budget_mb * 1024 * 1024,  # it writes its own audit rows
                    on_alarm=lambda name, detail: bus.publish(name, detail, source="backend"))
    materials = build_materials(config, store, Path(directory), material_key(secret), outbox)
    lockers = build_lockers(config, devices, store, bus, Path(directory), outbox, drain=drain)
    backend = build_backend(config, store, bus, Path(directory), supervisor, secret, outbox, materials)
    device = next((d for d in devices if isinstance(d, EscPosPrinter)), None)
    printer = None if device is None else DrainedPrinter(device, drain)
    take_number = TakeNumber(backend.tickets, printer, hall_name=config.kiosk.hall_name,
                             elder_age=config.kiosk.elder_age, id_key=derived_key(secret, ID_HASH))
    names = {s.code: s.name for g in config.service_groups for s in g.services}
    check_in = CheckIn(backend.client, take_number, names, config.kiosk.check_in_early_min, config.kiosk.check_in_late_min)
    staff = StaffDesk(config.staff, store, lockers, outbox=outbox, client=backend.client, printer=printer,
                      hall_name=config.kiosk.hall_name)
    submissions = Submissions(store, materials, outbox, printer, hall_name=config.kiosk.hall_name,
                              kiosk_code=backend.tickets.policy.offline_code, day_starts_at=config.kiosk.day_starts_at,
                              id_key=derived_key(secret, ID_HASH))
    return Kiosk(config=config, bus=bus, store=store, supervisor=supervisor, lockers=lockers,
                 materials=materials, backend=backend, take_number=take_number, check_in=check_in, staff=staff,
                 submissions=submissions, voice=Voice(config.kiosk.voice_prompts, volume=config.kiosk.voice_volume),
                 technician=TechnicianDesk(config.technician, store, outbox), faults=faults, drain=drain)



def backend_secret(config: KioskConfig, directory: Path) -> str:
    """This kiosk's backend credentials: backend.credentials, else <data dir>/backend.secret."""
    return load_or_create_secret(Path(config.backend.credentials) if config.backend.credentials
                                 else directory / "backend.secret")


def _alarm_to(bus: EventBus, store: Store):
    """Backend-link alarms (full outbox, rejected credentials, lost material): bus and audit trail."""
    def alarm(name: str, detail: dict) -> None:
        bus.publish(name, detail, source="backend")
        store.audit("backend", name, json.dumps(detail, sort_keys=True))
    return alarm


def build_materials(config: KioskConfig, store: Store, directory: Path, key: bytes | None = None, outbox=None):
    """The captured-material store when the site has a document camera; None otherwise."""
    from kiosk.materials import Materials

    cameras = [d for d in config.devices if d.kind is DeviceKind.CAMERA and d.enabled]
    if not cameras:
        return None
    p = profile_for(DeviceKind.CAMERA, cameras[0].model)
    assert isinstance(p, CameraProfile)
    return Materials(store, directory, jpeg_quality=p.jpeg_quality, key=key, outbox=outbox)


def build_backend(config: KioskConfig, store: Store, bus: EventBus, directory: Path, supervisor: Supervisor,
                  secret: str, outbox: Outbox, materials) -> BackendLink:
    """Client, sender, ticket desk and heartbeat; with `start_reference_server`, the reference
    intake server too, in this process on loopback, with this kiosk provisioned on it."""
    start_server = None
    if config.backend.start_reference_server:
        from urllib.parse import urlsplit

        from intake.server import provision, run_in_thread

        parts = urlsplit(config.backend.url)
        server_dir = directory / "intake-server"
        provision(server_dir, config.kiosk.id, secret)

        def start_reference_server():
            handle = run_in_thread(server_dir, host=parts.hostname or "127.0.0.1", port=parts.port or 0,
                                   catalogue=config, day_starts_at=config.kiosk.day_starts_at)
            return handle.url, handle.stop

        start_server = start_reference_server
    client = BackendClient(config.backend.url, config.kiosk.id, secret, ca_bundle=config.backend.ca_bundle,
                           timeout=config.backend.timeout_s)
    retention = config.backend.retention_h * 3600
    sender = Sender(outbox, client, materials, on_alarm=_alarm_to(bus, store), material_retention_s=retention)
    prefixes = {s.code: s.prefix for g in config.service_groups for s in g.services}
    policy = TicketPolicy(config.kiosk.offline_ticket_code or default_offline_code(config.kiosk.id),
                          config.kiosk.day_starts_at)
    tickets = TicketDesk(store, outbox, client, prefixes, policy)

    def inventory() -> c.Inventory:
        devices = supervisor.devices.values()
        return c.Inventory(hall_name=config.kiosk.hall_name, software_version=software_version(), devices=[
            c.DeviceEntry(id=d.device_id, kind=d.kind.value, model=d.info.model or d.model, firmware=d.info.firmware,
                          serial_number=d.info.serial_number, capabilities=sorted(d.info.capabilities)[:64],
                          state=d.state.value)
            for d in devices])

    def statistics() -> dict[str, dict[str, int]]:
        return {d.device_id: d.stats.snapshot() for d in supervisor.devices.values()}

    link = BackendLink(client, outbox, sender, tickets, inventory, software_version(), statistics,
                       start_server=start_server)
    link.attach(bus)
    return link


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hall-kiosk")
    except PackageNotFoundError:
        return "unknown"


def build_lockers(config: KioskConfig, devices: list[Device], store: Store, bus: EventBus, directory: Path,
                  outbox: Outbox | None = None, *, drain: Drain | None = None):
    """The locker ledger over the built lock-board lines; None when the site has no lockers. With
    `drain`, a graceful stop waits for its door operations (DrainedLockers)."""
    from kiosk.lockers import compartments_from_config
    from kiosk.lockers import load_or_create_secret as load_locker_secret

    if not config.cabinets:
        return None
    hardware = {d.device_id: d for d in devices if isinstance(d, LockerBus)}
    compartments = [c for c in compartments_from_config(config.cabinets) if c.device in hardware]
    if not compartments:
        log.warning("lockers configured but no lock-board line was built")
        return None
    secret = load_locker_secret(directory / "locker.key")
    if drain is not None:
        return DrainedLockers(store, hardware, compartments, secret, bus=bus, outbox=outbox, drain=drain)
    return Lockers(store, hardware, compartments, secret, bus=bus, outbox=outbox)


def build_idcard_for_port(port: str, baud: int | None = None, model: str = "sam-generic", listener=None) -> IdCardReader:
    """A reader on an explicit port, for `kiosk diag idcard` (still built here, from a profile)."""
    serial = SerialConfig(baudrate=baud) if baud else None  # no rate given: probe, as configured readers do
    reader = build_idcard(DeviceConfig(id="idcard", kind=DeviceKind.IDCARD, model=model, port=port, serial=serial))
    reader.set_listener(listener)
    return reader
