"""The diagnostics bundle: one zip a technician can send, holding no secret and no personal data.

Contents (manifest.json lists them with sizes and SHA-256, and carries the config checksum the
technician's overview shows, kiosk/diagnostics/overview.py config_checksum):
  config.json      the site config, secrets removed: staff pin_hash/card_hash dropped, the backend
                   credentials file path kept (never the secret it holds)
  devices.json     identity and capabilities of each device, as last known
  statistics.json  the persisted counters per device (and the live ones, when given devices)
  health.json      a health report (kiosk/diagnostics/health.py), when one is given
  events.json      recent audit actions and outbox events: type, actor and time only, no payload
  logs.txt         recent log lines, redacted again
Everything written passes through the log redactor as a last line of defence.
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from devicecfg.schema import KioskConfig
from drivers.device import Device
from kiosk.diagnostics.health import HealthReport, report_dict
from kiosk.diagnostics.overview import config_checksum
from kiosk.logs import redact

# Config keys whose values are secrets or personal, wherever they appear.
_SECRET_KEYS = frozenset({"pin_hash", "card_hash", "secret", "password", "token", "api_key", "private_key"})


@dataclass(frozen=True)
class BundleEntry:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Bundle:
    path: Path
    entries: tuple[BundleEntry, ...]


def redacted_config(config: KioskConfig) -> dict:
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _SECRET_KEYS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(config.model_dump(mode="json"))


def device_info(devices: Iterable[Device]) -> list[dict]:
    return [{"id": d.device_id, "kind": d.kind.value, "model": d.info.model or d.model, "firmware": d.info.firmware,
             "serial_number": d.info.serial_number, "capabilities": sorted(d.info.capabilities), "port": d.port,
             "state": d.state.value} for d in devices]


def recent_events(db: Path, limit: int = 500) -> dict:
    """Audit and outbox rows, read-only: types, actors and times; the detail and payload columns
    (where a case number or a name could sit) are never read."""
    import sqlite3

    if not db.exists():
        return {"audit": [], "outbox": []}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        audit = con.execute("SELECT ts, actor, action FROM audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        outbox = con.execute("SELECT seq, type, class, created_at FROM outbox ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
    finally:
        con.close()
    return {"audit": [{"ts": ts, "actor": actor, "action": action} for ts, actor, action in audit],
            "outbox": [{"seq": s, "type": t, "class": c, "created_at": at} for s, t, c, at in outbox]}


def stored_statistics(db: Path) -> dict[str, dict[str, int]]:
    import sqlite3

    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        rows = con.execute("SELECT device_id, counter, value FROM device_statistics").fetchall()
    finally:
        con.close()
    out: dict[str, dict[str, int]] = {}
    for device_id, counter, value in rows:
        out.setdefault(device_id, {})[counter] = value
    return out


def build_bundle(out: Path, config: KioskConfig, data: Path, *, devices: Sequence[Device] = (),
                 health: HealthReport | None = None, log_lines: Iterable[str] = (), software_version: str = "") -> Bundle:
    db = data / "kiosk.sqlite3"
    statistics = stored_statistics(db)
    for d in devices:  # live counters are newer than the persisted ones
        statistics[d.device_id] = d.stats.snapshot()
    files: dict[str, str] = {
        "config.json": json.dumps(redacted_config(config), ensure_ascii=False, indent=1, sort_keys=True),
        "devices.json": json.dumps(device_info(devices), ensure_ascii=False, indent=1),
        "statistics.json": json.dumps(statistics, indent=1, sort_keys=True),
        "events.json": json.dumps(recent_events(db), ensure_ascii=False, indent=1),
        "logs.txt": "".join(line if line.endswith("\n") else line + "\n" for line in log_lines),
    }
    if health is not None:
        files["health.json"] = json.dumps(report_dict(health), ensure_ascii=False, indent=1)
    entries = []
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            data_bytes = redact(text).encode()
            z.writestr(name, data_bytes)
            entries.append(BundleEntry(name, len(data_bytes), hashlib.sha256(data_bytes).hexdigest()))
        config_bytes = files["config.json"].encode()
        manifest = {"kiosk_id": config.kiosk.id, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "software_version": software_version, "config_sha256": hashlib.sha256(config_bytes).hexdigest(),
                    "config_checksum": config_checksum(config),  # as the technician's overview shows it
                    "files": [{"name": e.name, "size": e.size, "sha256": e.sha256} for e in entries]}
        z.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return Bundle(out, tuple(entries))


def recent_log_lines(log_file: Path | None, limit: int = 2000) -> list[str]:
    """The last lines of a log file, or of the kiosk unit's journal when journalctl is there."""
    if log_file is not None:
        return log_file.read_text(errors="replace").splitlines()[-limit:]
    import shutil
    import subprocess

    if shutil.which("journalctl") is None:
        return []
    try:
        done = subprocess.run(["journalctl", "-u", "kiosk", "-n", str(limit), "-o", "cat", "--no-pager"],
                              capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return done.stdout.splitlines() if done.returncode == 0 else []
