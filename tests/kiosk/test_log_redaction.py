"""Canary values must never reach a log line unmasked, whichever way they try to get there."""

import io
import json
import logging
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from kiosk.logs import SENSITIVE, redact

# Synthetic canaries (valid check digit, no real person).
ID_NUMBER = "11010519491231002X"
OLD_ID = "110105491231002"
PHONE = "13812345678"
NAME = "欧阳娜娜"
ADDRESS = "北京市东城区景山前街4号"
PICKUP = "739164"
CANARIES = (ID_NUMBER, OLD_ID, PHONE, NAME, ADDRESS, PICKUP)


def lines(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_canaries_never_reach_the_log(json_log):
    log = logging.getLogger("kiosk.journey")
    with SENSITIVE.holding(NAME, ADDRESS):
        log.info("read card for %s living at %s", NAME, ADDRESS)
        log.info("id %s old %s phone %s", ID_NUMBER, OLD_ID, PHONE)
        log.info("pickup code %s issued; 取件码：%s", PICKUP, PICKUP)
        log.warning("extras", extra={"id_number": ID_NUMBER, "pickup_code": PICKUP, "holder": NAME, "nested": {"phone": PHONE}})
        try:
            raise ValueError(f"lookup failed for {ID_NUMBER} / {NAME} / code={PICKUP}")
        except ValueError:
            log.exception("backend refused")
        log.info("repr of a dict: %r", {"who": NAME, "where": ADDRESS})
    text = json_log.getvalue()
    assert len(lines(json_log)) == 6  # nothing was lost on the way
    for canary in CANARIES:
        assert canary not in text, canary
    assert "110***********002X" in text and "138****5678" in text and "欧*" in text
    assert "backend refused" in text and "ValueError" in text  # the useful part survives


def test_values_forgotten_after_the_journey_are_not_masked(json_log):
    with SENSITIVE.holding("张三丰"):
        assert redact("张三丰") == "张**"
    assert redact("张三丰") == "张三丰"


UNCAUGHT = f"""
import logging, threading
from kiosk.logs import setup_logging, SENSITIVE
setup_logging()
SENSITIVE.add("{NAME}")
logging.getLogger("x").info("broken %d", "{ID_NUMBER}")
t = threading.Thread(target=lambda: 1 / 0 if False else (_ for _ in ()).throw(RuntimeError("thread saw {PHONE} {NAME}")))
t.start(); t.join()
raise ValueError("crash with {ID_NUMBER} and code={PICKUP}")
"""


def test_uncaught_exceptions_and_bad_lines_are_logged_masked():
    """Outside pytest's own hooks: the real excepthooks and a line whose arguments don't fit."""
    proc = subprocess.run([sys.executable, "-c", UNCAUGHT], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    for canary in CANARIES:
        assert canary not in out, canary
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["level"] for r in records] == ["INFO", "CRITICAL", "CRITICAL"]
    assert "unformattable" in records[0]["msg"]
    assert "RuntimeError" in records[1]["exc"] and "ValueError" in records[2]["exc"]
    assert proc.stderr == ""  # nothing bypassed the formatter


def test_ordinary_numbers_are_left_alone():
    text = "ticket A023, 3 waiting, port tcp://192.0.2.1:9100, board 0x10, 2026-11-22 08:30:00, 1732264200123"
    assert redact(text) == text


@given(st.from_regex(r"[1-9]\d{16}[\dX]", fullmatch=True), st.text(alphabet="ab 中文,.:", max_size=10))
def test_any_id_number_shape_is_masked(idno, around):
    assert idno not in redact(around + idno + around)


@given(st.text(max_size=200))
def test_redact_never_fails(text):
    assert isinstance(redact(text), str)


def test_a_line_that_cannot_be_written_is_said_without_its_content(capsys):
    import io
    import logging

    from kiosk.logs import _SafeStream

    stream = io.StringIO()
    stream.close()  # as a stream a test's capture closed before a worker thread logged
    log = logging.getLogger("tests.unwritable")
    log.propagate = False
    handler = _SafeStream(stream)
    log.addHandler(handler)
    try:
        log.error("reading card of %s", "110105194912310029")
    finally:
        log.removeHandler(handler)
    err = capsys.readouterr().err
    assert '"error":"ValueError"' in err and "110105194912310029" not in err
