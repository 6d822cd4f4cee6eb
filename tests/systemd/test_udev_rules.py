"""systemd/udev/70-kiosk.rules against sample devices as sysfs shows them (`udevadm info -a`):
the right adapter gets the right /dev/kiosk/ name, group and mode; a look-alike does not.
Matched with tests/systemd/udev_rules.py (udevadm test needs root and a running udevd)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devicecfg import load_config
from tests.systemd.udev_rules import Device, Node, RuleError, evaluate, load, parse

ROOT = Path(__file__).resolve().parents[2]
RULES = load(ROOT / "systemd/udev/70-kiosk.rules")


def usb_serial(vid: str, pid: str, serial: str | None, port: str = "1-1.2", tty: str = "ttyUSB0") -> Device:
    """A USB-serial adapter's tty: tty → usb-serial port → USB interface → USB device."""
    usb_attrs = {"idVendor": vid, "idProduct": pid, "manufacturer": "x"}
    if serial is not None:
        usb_attrs["serial"] = serial
    return Device(Node(tty, "tty"), {"ID_BUS": "usb"}, [
        Node(tty, "usb-serial"), Node(f"{port}:1.0", "usb", {"bInterfaceClass": "ff"}), Node(port, "usb", usb_attrs),
    ])


def names(device: Device) -> list[str]:
    return evaluate(RULES, device).symlinks


def test_a_ch340_with_its_serial_is_locker0_for_the_kiosk_user():
    result = evaluate(RULES, usb_serial("1a86", "7523", "LOCKER0-SERIAL"))
    assert result.symlinks == ["kiosk/locker0"]
    assert (result.group, result.mode) == ("dialout", "0660")
    assert result.env["ID_MM_DEVICE_IGNORE"] == "1"  # ModemManager keeps its AT commands away


def test_a_ch340_with_another_serial_is_not_locker0():
    result = evaluate(RULES, usb_serial("1a86", "7523", "SOMEONE-ELSES"))
    assert result.symlinks == [] and result.group is None


def test_the_serial_must_be_on_the_same_usb_device_as_the_ids():
    # ids on one device of the chain and the serial on another is not a match in udev
    dev = usb_serial("1a86", "7523", None)
    dev.parents.append(Node("usb1", "usb", {"serial": "LOCKER0-SERIAL", "idVendor": "1d6b", "idProduct": "0002"}))
    assert names(dev) == []


@pytest.mark.parametrize("pid", ["7523", "55d3", "55d4"])
def test_ch34x_variants_with_a_serial(pid):
    assert names(usb_serial("1a86", pid, "LOCKER0-SERIAL")) == ["kiosk/locker0"]


def test_a_tty_of_another_vendor_with_the_same_serial_is_not_locker0():
    assert names(usb_serial("0403", "6001", "LOCKER0-SERIAL")) == []


def test_two_ftdi_adapters_are_told_apart_by_serial():
    assert names(usb_serial("0403", "6001", "LOCKER1-SERIAL")) == ["kiosk/locker1"]
    assert names(usb_serial("0403", "6001", "PRINTER-FTDI-SERIAL", tty="ttyUSB1")) == ["kiosk/printer"]
    assert names(usb_serial("0403", "6001", "A50285BI")) == []


def test_a_ch340_without_serial_is_named_by_its_port():
    assert names(usb_serial("1a86", "7523", None, port="1-1.4")) == ["kiosk/locker2"]
    assert names(usb_serial("1a86", "7523", None, port="1-1.3")) == []


@pytest.mark.parametrize(("vid", "pid", "serial"), [("10c4", "ea60", "IDCARD-SERIAL"), ("067b", "2303", "IDCARD-PL2303-SERIAL")])
def test_id_card_readers(vid, pid, serial):
    result = evaluate(RULES, usb_serial(vid, pid, serial))
    assert result.symlinks == ["kiosk/idcard"] and result.group == "dialout"


def test_a_usb_printer_class_printer_is_reachable_for_libusb_and_named_through_usblp():
    usb_device = Device(Node("1-1.5", "usb", {"idVendor": "0416", "idProduct": "5011"}), {"DEVTYPE": "usb_device"})
    assert (evaluate(RULES, usb_device).group, evaluate(RULES, usb_device).mode) == ("lp", "0660")
    interface = Device(Node("1-1.5:1.0", "usb", {"idVendor": "0416", "idProduct": "5011"}), {"DEVTYPE": "usb_interface"})
    assert evaluate(RULES, interface).group is None
    lp = Device(Node("lp0", "usbmisc"), {}, [Node("1-1.5:1.0", "usb", {}), Node("1-1.5", "usb", {"idVendor": "0416", "idProduct": "5011"})])
    assert names(lp) == ["kiosk/printer-usblp"]


def test_the_camera_capture_node_only():
    def node(index: str) -> Device:
        return Device(Node(f"video{index}", "video4linux", {"index": index}), {},
                      [Node("1-1.6:1.0", "usb", {}), Node("1-1.6", "usb", {"idVendor": "0c45", "idProduct": "6366"})])

    assert evaluate(RULES, node("0")).symlinks == ["kiosk/camera"]
    assert evaluate(RULES, node("0")).group == "video"
    assert evaluate(RULES, node("1")).symlinks == []


def test_the_example_site_config_uses_the_names_the_rules_make():
    config = load_config(ROOT / "devicecfg/sites/township-example.toml")
    made = {"/dev/" + k.value for rule in RULES for k in rule.assigns if k.key == "SYMLINK"}
    ports = {d.port for d in config.devices}
    assert {"/dev/kiosk/printer", "/dev/kiosk/idcard", "/dev/kiosk/locker0", "/dev/kiosk/camera"} <= made
    assert ports <= made, f"the example config names ports no rule makes: {ports - made}"


@pytest.mark.parametrize("bad", [
    'SUBSYSTEM=="tty", ATTRS{idVendor}=="1a86", SYMLINK+="kiosk/x", RUN+="/bin/evil"',  # outside the subset
    'SUBSYSTEM=="tty", ATTRS{idVendor}=="1a86" SYMLINK+="kiosk/x"',  # a missing comma
    'SUBSYSTEM=="tty", MODE="660"',
    'SYMLINK+="kiosk/everything"',
    'SUBSYSTEM=="tty", ATTRS=="x", SYMLINK+="kiosk/x"',
])
def test_the_matcher_refuses_what_it_does_not_understand(bad):
    with pytest.raises(RuleError):
        parse(bad)
