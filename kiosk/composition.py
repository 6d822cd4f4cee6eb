"""The one composition root: builds every device, the store, the bus and the services from config.
Nothing else in the kiosk constructs a driver."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from devicecfg import load_config
from devicecfg.schema import DeviceConfig, KioskConfig
from drivers.device import Device, DeviceKind
from drivers.transport import SerialSettings
from kiosk.bus import EventBus
from kiosk.core import Kiosk
from kiosk.paths import data_dir
from kiosk.store import Store
from kiosk.supervisor import Supervisor, Unbuilt

log = logging.getLogger(__name__)

DriverBuilder = Callable[[DeviceConfig, SerialSettings | None], Device]

# One builder per device kind; each device issue adds its driver here.
DRIVERS: dict[DeviceKind, DriverBuilder] = {}


def serial_settings(cfg: DeviceConfig) -> SerialSettings | None:
    if cfg.serial is None:
        return None
    return SerialSettings(**cfg.serial.model_dump())


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
        devices.append(builder(cfg, serial_settings(cfg)))
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
    devices, unbuilt = build_devices(config)
    supervisor = Supervisor(
        devices,
        bus,
        store,
        poll_intervals={d.id: d.poll_interval_s for d in config.devices},
        unbuilt=unbuilt,
    )
    return Kiosk(config=config, bus=bus, store=store, supervisor=supervisor)
