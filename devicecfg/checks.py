"""Whole-config checks that a single field's type cannot express.

They run on the raw TOML data, not on a validated KioskConfig, so that they still report
when some unrelated field is wrong: the loader shows every problem of a file at once. Values
of the wrong type are skipped here; pydantic reports those.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeGuard

from devicecfg.lines import KeyPath, dotted
from devicecfg.profiles import LockerProfile, UnknownProfile, profile_for, profile_names
from devicecfg.schema import MAX_COMPARTMENT
from drivers.device import DeviceKind

Finding = tuple[KeyPath, str]


def cross_check(data: dict[str, Any]) -> list[Finding]:
    return [
        *_unique(data, "devices", "id", "device id"),
        *_unique(data, "cabinets", "id", "cabinet id"),
        *_unique(data, "service_groups", "id", "service group id"),
        *_unique(data, "matters", "code", "matter code"),
        *_unique_service_codes(data),
        *_unique_account_ids(data, "staff"),
        *_unique_account_ids(data, "technician"),
        *_device_models(data),
        *_device_ports(data),
        *_locker_boards(data),
    ]


def _entries(data: Any, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    items = data.get(key) if isinstance(data, dict) else None
    if isinstance(items, list):
        for n, item in enumerate(items):
            if isinstance(item, dict):
                yield n, item


def _unique(data: dict[str, Any], array: str, key: str, what: str) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for n, item in _entries(data, array):
        value = item.get(key)
        if not isinstance(value, str):
            continue
        if value in first:
            yield (array, n, key), f"{what} {value!r} is already used by {array}[{first[value]}]; ids must be unique"
        else:
            first[value] = n


def _unique_service_codes(data: dict[str, Any]) -> Iterator[Finding]:
    first: dict[str, tuple[int, int]] = {}
    for g, group in _entries(data, "service_groups"):
        for s, service in _entries(group, "services"):
            code = service.get("code")
            if not isinstance(code, str):
                continue
            if code in first:
                fg, fs = first[code]
                yield (
                    ("service_groups", g, "services", s, "code"),
                    f"service code {code!r} is already used by service_groups[{fg}].services[{fs}]",
                )
            else:
                first[code] = (g, s)


def _unique_account_ids(data: dict[str, Any], section: str) -> Iterator[Finding]:
    accounts = data.get(section) if isinstance(data, dict) else None
    for path, message in _unique(accounts if isinstance(accounts, dict) else {}, "accounts", "id", f"{section} id"):
        yield (section, *path), message.replace("accounts[", f"{section}.accounts[")


def _kind(device: dict[str, Any]) -> DeviceKind | None:
    try:
        return DeviceKind(str(device.get("kind")))
    except ValueError:
        return None


# Ports only a camera can use, and the byte-stream ports a camera cannot (a /dev path, tcp://,
# http:// and sim:// serve both: a V4L2 node or serial line, an MJPEG stream or a socket).
_CAMERA_ONLY = ("uvc://",)
_NOT_FOR_CAMERA = ("usb://", "socket://", "rfc2217://", "loop://", "spy://")


def _device_ports(data: dict[str, Any]) -> Iterator[Finding]:
    for n, device in _entries(data, "devices"):
        kind, port = _kind(device), device.get("port")
        if kind is None or not isinstance(port, str):
            continue
        lower = port.strip().lower()
        if kind is not DeviceKind.CAMERA and lower.startswith(_CAMERA_ONLY):
            yield ("devices", n, "port"), f"{port!r} is a camera; a {kind.value} needs a serial, tcp:// or usb:// port"
        if kind is DeviceKind.CAMERA and lower.startswith(_NOT_FOR_CAMERA):
            yield ("devices", n, "port"), (f"{port!r} is not a camera source; use uvc://N, /dev/video…, "
                                           "http://HOST:PORT/PATH (MJPEG), tcp:// or sim://camera")


def _device_models(data: dict[str, Any]) -> Iterator[Finding]:
    for n, device in _entries(data, "devices"):
        kind, model = _kind(device), device.get("model")
        if kind is None or not isinstance(model, str):
            continue
        if model not in profile_names(kind):
            known = ", ".join(profile_names(kind))
            yield ("devices", n, "model"), f"unknown {kind.value} model {model!r}; expected one of: {known}"


def _locker_boards(data: dict[str, Any]) -> Iterator[Finding]:
    devices: dict[str, dict[str, Any]] = {}
    for _, device in _entries(data, "devices"):
        if isinstance(device.get("id"), str):
            devices.setdefault(device["id"], device)  # a duplicate id is reported by _unique
    addresses: dict[tuple[str, int], KeyPath] = {}
    for c, cabinet in _entries(data, "cabinets"):
        for b, board in _entries(cabinet, "boards"):
            here: KeyPath = ("cabinets", c, "boards", b)
            device_id = board.get("device")
            if not isinstance(device_id, str):
                continue
            line = devices.get(device_id)
            if line is None:
                yield here + ("device",), f"no [[devices]] entry has id {device_id!r}; expected the id of a locker line"
            elif _kind(line) not in (DeviceKind.LOCKER, None):
                kind = line.get("kind")
                yield here + ("device",), f"device {device_id!r} is a {kind}, not a locker line (kind = \"locker\")"
            else:
                yield from _board_fits(here, board, _locker_profile(line))
            address = board.get("address")
            if _is_int(address):
                other = addresses.setdefault((device_id, address), here)
                if other != here:
                    yield here + ("address",), f"address {address} on {device_id!r} is already used by {dotted(other)}"
        yield from _compartments(c, cabinet)


def _board_fits(here: KeyPath, board: dict[str, Any], profile: LockerProfile | None) -> Iterator[Finding]:
    if profile is None:
        return
    address, locks = board.get("address"), board.get("locks")
    if _is_int(address) and not profile.address_min <= address <= profile.address_max:
        yield (
            here + ("address",),
            f"address {address} is outside {profile.address_min}–{profile.address_max} for {profile.name} boards",
        )
    if _is_int(locks) and locks > profile.locks:
        yield here + ("locks",), f"{locks} locks, but a {profile.name} board has {profile.locks}"


def _compartments(c: int, cabinet: dict[str, Any]) -> Iterator[Finding]:
    """Compartment numbers are unique within a cabinet; disabled ones must be on their board."""
    taken: list[tuple[int, int, int]] = []  # (first, last, board index)
    for b, board in _entries(cabinet, "boards"):
        here: KeyPath = ("cabinets", c, "boards", b)
        first, locks = board.get("first_compartment"), board.get("locks")
        if not (_is_int(first) and _is_int(locks) and locks > 0):
            continue
        last = first + locks - 1
        if last > MAX_COMPARTMENT:
            yield here + ("locks",), f"compartments {first}–{last} go past {MAX_COMPARTMENT}, the highest compartment number"
        for other_first, other_last, other in taken:
            if first <= other_last and other_first <= last:
                yield (
                    here + ("first_compartment",),
                    f"compartments {first}–{last} overlap compartments {other_first}–{other_last}"
                    f" of cabinets[{c}].boards[{other}]",
                )
                break
        taken.append((first, last, b))
        disabled = board.get("disabled")
        for n, number in enumerate(disabled if isinstance(disabled, list) else []):
            if _is_int(number) and not first <= number <= last:
                yield here + ("disabled", n), f"compartment {number} is not on this board ({first}–{last})"


def _locker_profile(device: dict[str, Any]) -> LockerProfile | None:
    model = device.get("model")
    if not isinstance(model, str):
        return None
    try:
        return profile_for(DeviceKind.LOCKER, model)
    except UnknownProfile:
        return None  # reported by _device_models


def _is_int(v: object) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)
