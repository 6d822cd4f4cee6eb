import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import BadPortUrl
from drivers.transport.url import PortScheme, parse_port_url


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port"),
    [
        ("/dev/ttyUSB0", PortScheme.SERIAL, "/dev/ttyUSB0", 0),
        ("/dev/kiosk/printer", PortScheme.SERIAL, "/dev/kiosk/printer", 0),
        ("COM3", PortScheme.SERIAL, "COM3", 0),
        ("socket://10.0.0.5:4001", PortScheme.PYSERIAL, "socket://10.0.0.5:4001", 0),
        ("rfc2217://bridge:2217", PortScheme.PYSERIAL, "rfc2217://bridge:2217", 0),
        ("loop://", PortScheme.PYSERIAL, "loop://", 0),
        ("spy:///dev/ttyUSB0?file=/tmp/trace", PortScheme.PYSERIAL, "spy:///dev/ttyUSB0?file=/tmp/trace", 0),
        ("tcp://192.0.2.10:9100", PortScheme.TCP, "192.0.2.10", 9100),
        ("tcp://printer.local:9100", PortScheme.TCP, "printer.local", 9100),
        ("usb://0416:5011", PortScheme.USB, "0416:5011", 0),
        ("usb://0x4B8:0x202", PortScheme.USB, "04b8:0202", 0),
        ("sim://printer", PortScheme.SIM, "printer", 0),
        ("sim://locker?family=kerong&id=1", PortScheme.SIM, "locker", 0),
        ("http://192.0.2.20:8080/stream", PortScheme.HTTP, "192.0.2.20", 8080),
        ("http://camera.local", PortScheme.HTTP, "camera.local", 80),
        ("uvc://0", PortScheme.UVC, "0", 0),
        ("uvc://2", PortScheme.UVC, "2", 2),
    ],
)
def test_accepted_forms(url, scheme, host, port):
    parsed = parse_port_url(url)
    assert (parsed.scheme, parsed.host, parsed.port) == (scheme, host, port)
    assert str(parsed) == url


def test_usb_ids_and_sim_options():
    assert parse_port_url("usb://04b8:0e15").usb_ids == (0x04B8, 0x0E15)
    assert parse_port_url("http://cam:8080/video?x=1").options == {"x": "1", "path": "/video"}
    assert parse_port_url("http://cam").options == {"path": "/"}
    assert parse_port_url("sim://locker?family=kerong&id=1").options == {"family": "kerong", "id": "1"}


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "empty"),
        ("ttyUSB0", "not a device path"),
        ("tcp://printer", "tcp://HOST:PORT"),
        ("tcp://printer:99999", "tcp://HOST:PORT"),
        ("tcp://:9100", "tcp://HOST:PORT"),
        ("usb://printer", "VID:PID"),
        ("usb://12345:1", "VID:PID"),
        ("sim://", "sim://KIND"),
        ("sim://Printer!", "sim://KIND"),
        ("ftp://host/file", "unknown scheme 'ftp'"),
        ("sim://printer?&&=", "option"),
        ("http://:80/x", "http://HOST"),
        ("uvc://camera", "uvc://INDEX"),
        ("uvc://", "uvc://INDEX"),
        ("uvc://¹", "uvc://INDEX"),  # found by the fuzzer: a digit to isdigit(), not to int()
    ],
)
def test_rejected_forms_say_what_was_expected(url, fragment):
    with pytest.raises(BadPortUrl) as info:
        parse_port_url(url)
    assert fragment in str(info.value)


@given(st.text(max_size=80))
def test_fuzz_only_bad_port_url_escapes(text):
    try:
        parsed = parse_port_url(text)
    except BadPortUrl as e:
        assert str(e)
    else:
        assert parsed.scheme in PortScheme


@given(st.sampled_from(["tcp://", "usb://", "sim://", "socket://", "/dev/", "http://", "uvc://"]), st.text(max_size=40))
def test_fuzz_scheme_prefixes(prefix, rest):
    try:
        parse_port_url(prefix + rest)
    except BadPortUrl:
        pass
