"""`kiosk sim idcard` and `kiosk diag idcard` as separate processes, over a pty and over TCP."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import silent_pty

KIOSK = str(Path(sys.executable).with_name("kiosk"))
SPEC_KEYS = {
    "card_type", "name", "sex_code", "nation_code", "birth_date", "address", "id_number", "issuer", "valid_from",
    "valid_to", "id_number_valid", "pass_number", "issue_count", "english_name", "nationality", "photo_sha256",
}


class SimProcess:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [KIOSK, "sim", "idcard", "--delay-scale", "0.05", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.banner = self.proc.stdout.readline().split()

    def send(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def pty_sim():
    sim = SimProcess()
    assert sim.banner[0] == "pty:"
    yield sim, sim.banner[1]
    sim.close()


def diag(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KIOSK, "diag", "idcard", *args], capture_output=True, text=True, timeout=timeout)


def test_read_over_a_pty_json_reveal(pty_sim):
    sim, pty = pty_sim
    assert sim.send("place 4") .startswith("placed card 4")
    done = diag("--port", pty, "read", "--json", "--reveal", "--timeout", "10")
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)
    assert set(card) == SPEC_KEYS
    assert card["card_type"] == "foreign_2023" and card["english_name"] == "WILLIAMSON-MONTGOMERY, MARY ELIZABETH ANNE"
    assert card["valid_to"] == "2034-01-01" and card["id_number_valid"] is True and len(card["photo_sha256"]) == 64
    # the card was not lifted: the reader's protection means no second read
    again = diag("--port", pty, "read", "--timeout", "1")
    assert again.returncode == 3 and "no card within 1 s" in again.stderr


def test_masked_unless_revealed(pty_sim):
    sim, pty = pty_sim
    sim.send("place 0")
    done = diag("--port", pty, "--baud", "115200", "read", "--json", "--timeout", "10")
    card = json.loads(done.stdout)
    assert card["name"] == "张*" and card["id_number"] == "110***********002X" and card["valid_to"] == "长期"
    assert "张三" not in done.stdout + done.stderr and "示例路" not in done.stdout


def test_status_and_sam_id_over_tcp():
    sim = SimProcess("--tcp", "0")
    try:
        assert sim.banner[0] == "tcp:"
        url = sim.banner[2].strip("()")  # socket://127.0.0.1:PORT, a pyserial URL
        done = diag("--port", url, "sam-id")
        assert done.returncode == 0 and done.stdout.strip() == "05.01-20080808-0123456789-1234567890"
    finally:
        sim.close()


def test_rejected_card_is_a_device_answer(pty_sim):
    sim, pty = pty_sim
    sim.send("place 0")
    sim.send("fault card_rejected")
    done = diag("--port", pty, "read", "--timeout", "10")
    assert done.returncode == 4 and "SW3 32" in done.stderr


def test_nothing_answers_on_the_port():
    with silent_pty() as path:
        done = diag("--port", path, "status")
    assert done.returncode == 4
    assert path in done.stderr and "no answer to SAM status at 115200, 57600, 38400, 19200, 9600" in done.stderr


def test_missing_port():
    done = diag("--port", "/dev/kiosk-none/idcard", "status")
    assert done.returncode == 4 and "/dev/kiosk-none/idcard: no such serial port" in done.stderr


# -- issue 15: damaged cards, absent fields, slow readers ------------------------------------
def test_fields_the_card_type_lacks_are_null(pty_sim):
    sim, pty = pty_sim
    sim.send("place 3")  # foreigner's permanent residence card, 2017: no address, issuer or nation
    done = diag("--port", pty, "read", "--json", "--reveal", "--timeout", "10")
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)
    assert (card["address"], card["issuer"], card["nation_code"]) == (None, None, None)


def test_damaged_card_is_refused():
    sim = SimProcess("--card", "0", "--damage", "issuer:surrogate")
    try:
        done = diag("--port", sim.banner[1], "read", "--json", "--reveal", "--timeout", "10")
    finally:
        sim.close()
    assert done.returncode == 4 and done.stdout == ""
    assert "damaged" in done.stderr and "issuer" in done.stderr
    assert "张三" not in done.stderr and "11010519491231002X" not in done.stderr and "示例路" not in done.stderr


def test_a_reader_sending_a_byte_every_20_ms():
    sim = SimProcess("--pace-ms", "20")
    try:
        done = diag("--port", sim.banner[1], "--baud", "115200", "sam-id")
    finally:
        sim.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "05.01-20080808-0123456789-1234567890"


def test_damage_and_pace_from_the_control_line(pty_sim):
    sim, pty = pty_sim
    assert sim.send("damage birth impossible") == "damage birth:impossible"
    assert sim.send("pace 1") == "pace 1 ms per byte"
    sim.send("place 0")
    done = diag("--port", pty, "read", "--timeout", "20")
    assert done.returncode == 4 and "the birth field is not a date" in done.stderr and "1949" not in done.stderr
    assert sim.send("damage off") == "damage off" and sim.send("pace 0") == "pace off"
    assert sim.send("state").endswith("pace 0 ms, damage none")
