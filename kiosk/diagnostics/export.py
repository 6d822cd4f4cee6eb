"""Sending the diagnostics bundle (kiosk/diagnostics/bundle.py) from technician mode.

To a USB stick when one is mounted (:func:`usb_targets`): the zip is written under a temporary
name, fsynced, renamed to ``kiosk-diag-<kiosk id>-<YYYYmmdd-HHMMSS>.zip`` and the directory
fsynced, so a stick pulled right after the message never holds half a file under the real name.

Otherwise through the outbox, as one ``diagnostics.bundle`` event (contract.DiagnosticsBundle:
the zip base64 in the payload, at most ``MAX_BUNDLE_BYTES``): the events route is the one the
contract already has for "the kiosk tells the backend something, exactly once, whenever the link
is up" (the material upload is tied to sealed captures). The event is telemetry: over the
outbox's disk budget it is shed, and the technician is told so, rather than crowd out tickets
and deposits; one bundle at a time waits in the outbox, so that a batch never grows past the
backend's request size. The backend keeps the zip for the hall's staff.

Audited as ``tech.bundle.export`` (where, size, SHA-256, outcome).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from intake import contract as c
from kiosk.diagnostics.audit import TechAudit

if TYPE_CHECKING:
    from kiosk.core import Kiosk
    from kiosk.diagnostics.health import HealthReport

log = logging.getLogger(__name__)

USB_ROOTS: tuple[Path, ...] = (Path("/media"), Path("/run/media"), Path("/mnt"))


class ExportTarget(enum.StrEnum):
    USB = "usb"
    OUTBOX = "outbox"


@dataclass(frozen=True)
class Export:
    where: ExportTarget
    path: Path | None  # the file on the stick; None through the outbox
    size: int  # bytes of the zip
    text: str
    text_en: str
    ok: bool = True
    name: str = ""
    sha256: str = ""


def usb_targets(roots: Sequence[Path] = USB_ROOTS) -> list[Path]:
    """Writable mounted directories up to two levels below each root, as a stick shows up
    (``/media/STICK``, ``/media/kiosk/STICK``, ``/run/media/kiosk/STICK``, ``/mnt/usb``), in
    order of the roots, then by name. A mount point is not looked into further."""
    found: list[Path] = []
    for root in roots:
        for first in _subdirs(Path(root)):
            if os.path.ismount(first):
                if os.access(first, os.W_OK):
                    found.append(first)
                continue
            found += [d for d in _subdirs(first) if os.path.ismount(d) and os.access(d, os.W_OK)]
    return found


def _subdirs(path: Path) -> list[Path]:
    try:
        with os.scandir(path) as entries:
            return sorted(Path(e.path) for e in entries if e.is_dir(follow_symlinks=False))
    except OSError:  # missing, not readable, gone while we looked
        return []


def bundle_name(kiosk_id: str, now: float | None = None) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", kiosk_id)[:40] or "kiosk"
    return f"kiosk-diag-{safe}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}.zip"


def export_bundle(kiosk: Kiosk, audit: TechAudit, actor: str, *, usb_roots: Sequence[Path] = USB_ROOTS,
                  health: HealthReport | None = None, log_file: Path | None = None) -> Export:
    """Build the redacted bundle of the running kiosk and send it: to the first USB stick found,
    else through the outbox. Never raises for a full or pulled stick, a missing backend link or
    a bundle too large: the result says what happened and what to do (``ok`` False)."""
    targets = usb_targets(usb_roots)
    name = bundle_name(kiosk.config.kiosk.id)
    if targets:
        result = _to_usb(kiosk, targets[0], name, health, log_file)
    else:
        result = _to_outbox(kiosk, actor, name, health, log_file)
    audit.record(actor, "bundle.export", {"where": result.where.value, "ok": result.ok, "size": result.size,
                                          "sha256": result.sha256 or None, "name": result.name or None})
    return result


def _build(kiosk: Kiosk, out: Path, health: HealthReport | None, log_file: Path | None):
    from kiosk.composition import software_version
    from kiosk.diagnostics.bundle import build_bundle, recent_log_lines

    try:
        lines = recent_log_lines(log_file)
    except OSError as e:  # a missing or unreadable log file leaves the logs out, not the bundle
        lines = [f"(log file {log_file} not readable: {e.strerror or e})"]
    return build_bundle(out, kiosk.config, kiosk.store.path.parent, devices=list(kiosk.supervisor.devices.values()),
                        health=health, log_lines=lines, software_version=software_version())


def _to_usb(kiosk: Kiosk, stick: Path, name: str, health: HealthReport | None, log_file: Path | None) -> Export:
    final = stick / name
    n = 2
    while final.exists():  # two exports within a second
        final = stick / name.replace(".zip", f"-{n}.zip")
        n += 1
    part = stick / f".{final.name}.part"
    try:
        _build(kiosk, part, health, log_file)
        data_sha, size = _sha256_of(part)
        with open(part, "rb") as f:
            os.fsync(f.fileno())
        os.replace(part, final)
        _fsync_dir(stick)
    except OSError as e:
        try:
            part.unlink(missing_ok=True)
        except OSError:
            pass
        log.warning("diagnostics bundle not written to the USB stick", extra={"stick": str(stick), "error": str(e)})
        return Export(ExportTarget.USB, None, 0, f"写入U盘失败（{e.strerror or e}）：请换一个U盘再试",
                      f"could not write to the USB stick {stick}: {e}; try another stick", ok=False, name=final.name)
    log.info("diagnostics bundle written to a USB stick", extra={"path": str(final), "bytes": size})
    return Export(ExportTarget.USB, final, size, f"诊断包已保存到U盘：{final.name}（{_kb(size)}），可以拔出U盘",
                  f"diagnostics bundle saved on the USB stick as {final.name} ({size} bytes); the stick may be removed",
                  name=final.name, sha256=data_sha)


def _to_outbox(kiosk: Kiosk, actor: str, name: str, health: HealthReport | None, log_file: Path | None) -> Export:
    outbox = kiosk.backend.outbox if kiosk.backend is not None else None
    if outbox is None:
        return Export(ExportTarget.OUTBOX, None, 0, "未插入U盘，且本机未连接后台：请插入U盘再试",
                      "no USB stick, and this kiosk has no backend link: insert a USB stick and try again", ok=False,
                      name=name)
    if kiosk.store.query("SELECT 1 FROM outbox WHERE type = ? AND delivered_at IS NULL LIMIT 1", (c.BUNDLE_EVENT,)):
        return Export(ExportTarget.OUTBOX, None, 0, "上一个诊断包还在等待上传：请稍后再试，或插入U盘",
                      "the previous diagnostics bundle is still waiting to be sent: try again later, or use a USB stick",
                      ok=False, name=name)
    with tempfile.TemporaryDirectory(prefix="kiosk-diag-") as tmp:
        path = Path(tmp) / name
        _build(kiosk, path, health, log_file)
        content = path.read_bytes()
    size, digest = len(content), hashlib.sha256(content).hexdigest()
    if size > c.MAX_BUNDLE_BYTES:
        return Export(ExportTarget.OUTBOX, None, size,
                      f"诊断包太大（{_kb(size)}，上限 {_kb(c.MAX_BUNDLE_BYTES)}），无法经后台上传：请插入U盘再试",
                      f"the bundle is {size} bytes, more than the backend link takes ({c.MAX_BUNDLE_BYTES}): "
                      "insert a USB stick and try again", ok=False, name=name, sha256=digest)
    technician = actor if len(actor) <= 200 else None
    payload = c.DiagnosticsBundle(name=name, size=size, sha256=digest, technician=technician,
                                  content_base64=base64.b64encode(content).decode("ascii"))
    entry = outbox.record_now(c.BUNDLE_EVENT, c.EventClass.TELEMETRY, payload.model_dump(mode="json"))
    if entry is None:
        return Export(ExportTarget.OUTBOX, None, size, "本机待上传数据已满，诊断包未排队：请插入U盘再试",
                      "the outbox is over its disk budget and the bundle was not queued: use a USB stick",
                      ok=False, name=name, sha256=digest)
    return Export(ExportTarget.OUTBOX, None, size, f"未插入U盘：诊断包（{_kb(size)}）已排队，联网后上传至后台",
                  f"no USB stick: the bundle ({size} bytes) is queued and goes to the backend with the next delivery",
                  name=name, sha256=digest)


def _sha256_of(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse to fsync a directory: the rename stands anyway
        pass
    finally:
        os.close(fd)


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
