"""Loading kiosk configs: bundled sites load; every problem has its key path and exact line."""

from __future__ import annotations

from pathlib import Path

import pytest

from devicecfg import (
    DEFAULT_CONFIG,
    SITES_DIR,
    ConfigError,
    ConfigProblem,
    KioskConfig,
    check_config,
    check_text,
    load_config,
)
from devicecfg.schema import ServiceKind
from drivers.device import DeviceKind

# Line numbers below refer to this text; tests replace whole lines so the numbering holds.
BASE = """\
[kiosk]
id = "k1"
hall_name = "测试大厅"

[backend]
url = "http://127.0.0.1:8700/"

[[service_groups]]
id = "general"
name = "无差别综合窗口"
services = [
  { code = "intake", name = "综合受理", prefix = "A" },
  { code = "help", name = "帮办代办", prefix = "BB", kind = "help" },
]

[[devices]]
id = "printer"
kind = "printer"
model = "generic-80mm"
port = "sim://printer"

[[devices]]
id = "locker0"
kind = "locker"
model = "kerong-cu16"
port = "sim://locker?family=kerong"

[devices.serial]
baudrate = 19200

[[cabinets]]
id = "cabinet1"

[[cabinets.boards]]
device = "locker0"
address = 0
locks = 16
first_compartment = 1
"""


def write(tmp_path: Path, replace: dict[int, str] | None = None, append: str = "") -> Path:
    lines = BASE.splitlines()
    for number, text in (replace or {}).items():
        lines[number - 1] = text
    path = tmp_path / "kiosk.toml"
    path.write_text("\n".join(lines) + "\n" + append, encoding="utf-8")
    return path


def found(path: Path) -> set[tuple[str, int | None]]:
    return {(p.path, p.line) for p in check_config(path)}


# -- the bundled configs -----------------------------------------------------------------


def test_base_text_is_valid(tmp_path: Path) -> None:
    assert check_config(write(tmp_path)) == []


@pytest.mark.parametrize("site", sorted(SITES_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_bundled_sites_load(site: Path) -> None:
    assert check_config(site) == []
    assert isinstance(load_config(site), KioskConfig)


def test_default_is_the_simulated_hall() -> None:
    assert DEFAULT_CONFIG.name == "simulated-hall.toml"
    config = load_config()
    assert config.backend.url == "http://127.0.0.1:0/" and config.backend.start_reference_server
    assert {d.port for d in config.devices} == {
        "sim://printer",
        "sim://idcard",
        "sim://camera",
        "sim://locker?protocol=kerong-cu&boards=2",
    }
    assert config.device("locker0").kind is DeviceKind.LOCKER
    boards = config.cabinets[0].boards
    assert [(b.address, b.locks, b.first_compartment) for b in boards] == [(0, 16, 1), (1, 16, 17)]
    services = config.services()
    prefixes = [s.prefix for s in services]
    assert len(prefixes) == len(set(prefixes))
    assert {s.code for s in services if s.kind is ServiceKind.HELP} == {"assist", "not-done"}
    assert all(s.name_en for s in services)


def test_township_example_uses_udev_names() -> None:
    config = load_config(SITES_DIR / "township-example.toml")
    assert config.device("printer").port == "/dev/kiosk/printer"
    assert config.device("idcard").port == "/dev/kiosk/idcard"
    assert config.device("locker0").port == "/dev/kiosk/locker0"


# -- one problem each: key path and exact line --------------------------------------------


def test_missing_key_points_at_its_array_of_tables_entry(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {17: ""}))
    assert [(p.path, p.line) for p in problems] == [("devices[0].id", 16)]
    assert "missing required key 'id'" in problems[0].message


def test_missing_key_points_at_its_table_header(tmp_path: Path) -> None:
    assert found(write(tmp_path, {3: ""})) == {("kiosk.hall_name", 1)}


def test_missing_key_in_an_inline_table(tmp_path: Path) -> None:
    path = write(tmp_path, {12: '  { code = "intake", name = "综合受理" },'})
    assert found(path) == {("service_groups[0].services[0].prefix", 12)}


def test_missing_table_has_no_line(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {5: "", 6: ""}))
    assert [(p.path, p.line, p.message) for p in problems] == [("backend", None, "missing table [backend]")]


def test_wrong_type(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {37: 'locks = "sixteen"'}))
    assert [(p.path, p.line) for p in problems] == [("cabinets[0].boards[0].locks", 37)]
    assert "integer" in problems[0].message and '"sixteen"' in problems[0].message


def test_numbers_and_booleans_given_as_strings_are_wrong_types(tmp_path: Path) -> None:
    """No guessing on a kiosk: "16" is not 16 and "yes" is not true."""
    problems = check_config(write(tmp_path, {37: 'locks = "16"'}, append=""))
    assert [(p.path, p.line) for p in problems] == [("cabinets[0].boards[0].locks", 37)]


def test_wrong_type_under_a_dotted_key(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {28: "", 29: "serial.baudrate = 9601"}))
    assert [(p.path, p.line) for p in problems] == [("devices[1].serial.baudrate", 29)]
    assert "19200" in problems[0].message


def test_wrong_type_in_a_table_under_an_array_entry(tmp_path: Path) -> None:
    assert found(write(tmp_path, {29: 'parity = "X"'})) == {("devices[1].serial.parity", 29)}


def test_unknown_key(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {38: "first_compartmnt = 1"}))
    assert {(p.path, p.line) for p in problems} == {
        ("cabinets[0].boards[0].first_compartmnt", 38),
        ("cabinets[0].boards[0].first_compartment", 34),  # now missing: the entry's header
    }
    unknown = next(p for p in problems if p.line == 38)
    assert "did you mean 'first_compartment'?" in unknown.message


def test_unknown_key_in_an_inline_table(tmp_path: Path) -> None:
    path = write(tmp_path, {13: '  { code = "help", name = "帮办代办", prefix = "BB", kind = "help", colour = "red" },'})
    assert found(path) == {("service_groups[0].services[1].colour", 13)}


def test_unknown_device_model(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {19: 'model = "epson-9000"'}))
    assert [(p.path, p.line) for p in problems] == [("devices[0].model", 19)]
    assert "generic-80mm" in problems[0].message  # names what was expected


def test_model_of_another_kind_is_unknown(tmp_path: Path) -> None:
    assert found(write(tmp_path, {25: 'model = "generic-80mm"'})) == {("devices[1].model", 25)}


def test_bad_port_url(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {20: 'port = "tcp://printer"'}))
    assert [(p.path, p.line) for p in problems] == [("devices[0].port", 20)]
    assert "tcp://HOST:PORT" in problems[0].message
    assert "errors.pydantic.dev" not in problems[0].message


def test_camera_port_on_a_printer_and_a_serial_url_on_a_camera(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {20: 'port = "uvc://0"'}))
    assert [(p.path, p.line) for p in problems] == [("devices[0].port", 20)]
    assert "is a camera" in problems[0].message
    camera = '\n[[devices]]\nid = "camera"\nkind = "camera"\nmodel = "uvc-generic"\nport = "socket://10.0.0.5:4001"\n'
    problems = check_config(write(tmp_path, append=camera))
    assert [(p.path, p.line) for p in problems] == [("devices[2].port", 44)]
    assert "not a camera source" in problems[0].message
    ok = camera.replace("socket://10.0.0.5:4001", "http://192.0.2.20:8080/stream")
    assert check_config(write(tmp_path, append=ok)) == []


def test_duplicate_device_id(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {23: 'id = "printer"', 35: 'device = "printer"'}))
    assert {(p.path, p.line) for p in problems} == {
        ("devices[1].id", 23),
        ("cabinets[0].boards[0].device", 35),  # "printer" is not a locker line
    }
    assert "devices[0]" in next(p for p in problems if p.line == 23).message


def test_board_on_a_device_that_is_not_a_locker(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {35: 'device = "printer"'}))
    assert [(p.path, p.line) for p in problems] == [("cabinets[0].boards[0].device", 35)]
    assert "not a locker" in problems[0].message


def test_board_on_an_unknown_device(tmp_path: Path) -> None:
    assert found(write(tmp_path, {35: 'device = "locker9"'})) == {("cabinets[0].boards[0].device", 35)}


def test_overlapping_compartments(tmp_path: Path) -> None:
    second = '\n[[cabinets.boards]]\ndevice = "locker0"\naddress = 1\nlocks = 16\nfirst_compartment = 16\n'
    problems = check_config(write(tmp_path, append=second))
    assert [(p.path, p.line) for p in problems] == [("cabinets[0].boards[1].first_compartment", 44)]
    assert "16–31" in problems[0].message and "1–16" in problems[0].message


def test_board_beyond_its_model(tmp_path: Path) -> None:
    assert found(write(tmp_path, {36: "address = 15", 37: "locks = 24"})) == {
        ("cabinets[0].boards[0].address", 36),
        ("cabinets[0].boards[0].locks", 37),
    }


def test_two_boards_at_one_address_on_one_line(tmp_path: Path) -> None:
    second = '\n[[cabinets.boards]]\ndevice = "locker0"\naddress = 0\nlocks = 16\nfirst_compartment = 17\n'
    assert found(write(tmp_path, append=second)) == {("cabinets[0].boards[1].address", 42)}


def test_disabled_compartment_off_the_board(tmp_path: Path) -> None:
    assert found(write(tmp_path, append="disabled = [3, 17]\n")) == {("cabinets[0].boards[0].disabled[1]", 39)}


def test_duplicate_service_code(tmp_path: Path) -> None:
    path = write(tmp_path, {13: '  { code = "intake", name = "帮办代办", prefix = "BB", kind = "help" },'})
    assert found(path) == {("service_groups[0].services[1].code", 13)}


def test_toml_syntax_error(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, {10: 'name = "无差别综合窗口'}))
    assert [(p.path, p.line) for p in problems] == [("service_groups[0].name", 10)]
    assert problems[0].message.startswith("TOML syntax error")
    assert "(at line" not in problems[0].message


def test_toml_duplicate_key_is_a_syntax_error(tmp_path: Path) -> None:
    assert found(write(tmp_path, {3: 'id = "k2"'})) == {("kiosk.id", 3)}


def test_toml_error_at_the_end_of_the_file(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, append="disabled = [1,\n"))
    assert [(p.path, p.line) for p in problems] == [("cabinets[0].boards[0].disabled[0]", 39)]


# -- everything at once ---------------------------------------------------------------------


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            2: 'id = "k 1"',
            6: 'url = "ftp://example.org"',
            12: '  { code = "intake", name = "综合受理", prefix = "a" },',
            19: 'model = "nope"',
            20: 'port = "bogus"',
            23: 'id = "printer"',
            37: "locks = 0",
        },
    )
    assert found(path) == {
        ("kiosk.id", 2),
        ("backend.url", 6),
        ("service_groups[0].services[0].prefix", 12),
        ("devices[0].model", 19),
        ("devices[0].port", 20),
        ("devices[1].id", 23),
        ("cabinets[0].boards[0].device", 35),
        ("cabinets[0].boards[0].locks", 37),
    }
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert error.file == str(path)
    assert len(error.problems) == 8
    for problem in error.problems:
        assert str(problem) in str(error)


# -- the file itself ------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert [(p.path, p.line) for p in check_config(missing)] == [("", None)]
    with pytest.raises(ConfigError) as caught:
        load_config(missing)
    assert str(missing) in str(caught.value)


def test_unreadable_file(tmp_path: Path) -> None:
    problems = check_config(tmp_path)  # a directory
    assert len(problems) == 1 and problems[0].line is None
    assert "cannot read" in problems[0].message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(BASE.replace("测试大厅", "ceshi").encode() + "# 注释\n".encode("gbk"))
    assert [(p.path, p.line) for p in check_config(path)] == [("", 39)]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert check_config(path) == []


def test_check_text_matches_check_config(tmp_path: Path) -> None:
    path = write(tmp_path, {19: 'model = "nope"'})
    assert check_text(path.read_text(encoding="utf-8"), str(path)) == check_config(path)


def test_problem_format() -> None:
    assert str(ConfigProblem("devices[2].port", 14, "bad", "k.toml")) == "k.toml:14: devices[2].port: bad"
    assert str(ConfigProblem("", None, "no such file", "k.toml")) == "k.toml: no such file"
    assert str(ConfigProblem("kiosk", None, "missing", "k.toml")) == "k.toml: kiosk: missing"
