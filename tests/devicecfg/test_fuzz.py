"""check_config never raises: on any text, any bytes, or a mangled bundled config it returns problems."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicecfg import SITES_DIR, ConfigProblem, check_config, check_text
from devicecfg.lines import LineIndex

SITES = [p.read_text(encoding="utf-8") for p in sorted(SITES_DIR.glob("*.toml"))]
# Fragments that make TOML structure: mutations built from them reach deep into the loader.
FRAGMENTS = ["[", "]", "[[", "]]", "{", "}", "=", ",", ".", '"', "'", '"""', "\n", "#", " ", "0", "-1",
             "true", "x", "devices", "kind", "locker", "model", "port", "sim://", "/dev/x", "1e9", "nan"]

fuzz = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mangled_site(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SITES))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        n = draw(st.integers(0, len(lines) - 1))
        match draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "cut"])):
            case "delete":
                del lines[n]
            case "duplicate":
                lines.insert(n, lines[n])
            case "swap":
                m = draw(st.integers(0, len(lines) - 1))
                lines[n], lines[m] = lines[m], lines[n]
            case "insert":
                at = draw(st.integers(0, len(lines[n])))
                piece = draw(st.sampled_from(FRAGMENTS) | st.text(max_size=8))
                lines[n] = lines[n][:at] + piece + lines[n][at:]
            case "cut":
                at = draw(st.integers(0, len(lines[n])))
                lines[n] = lines[n][:at] + lines[n][at + draw(st.integers(1, 12)) :]
        text = "\n".join(lines)
    return text


def assert_well_formed(problems: object, text: str) -> None:
    assert isinstance(problems, list)
    last_line = text.count("\n") + 1
    for p in problems:
        assert isinstance(p, ConfigProblem)
        assert isinstance(p.path, str) and p.message
        assert p.line is None or 1 <= p.line <= last_line
        str(p)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "kiosk.toml"


@fuzz
@given(text=st.text())
def test_any_text(text: str) -> None:
    assert_well_formed(check_text(text), text)
    LineIndex(text)


@fuzz
@given(text=st.lists(st.sampled_from(FRAGMENTS), max_size=80).map("".join))
def test_structural_noise(text: str) -> None:
    assert_well_formed(check_text(text), text)


@fuzz
@given(text=mangled_site())
def test_mangled_bundled_config(scratch: Path, text: str) -> None:
    scratch.write_text(text, encoding="utf-8")
    assert_well_formed(check_config(scratch), text)


@fuzz
@given(data=st.binary(max_size=300))
def test_any_bytes(scratch: Path, data: bytes) -> None:
    scratch.write_bytes(data)
    problems = check_config(scratch)
    assert isinstance(problems, list) and problems  # not a kiosk config in any case


# -- `kiosk config check` itself: never a traceback, whatever the file holds ------------------
HALL = SITES_DIR.joinpath("simulated-hall.toml").read_text(encoding="utf-8")
NUMERIC_LINES = [n for n, line in enumerate(HALL.splitlines()) if re.match(r"^[a-z_]+ = [0-9]", line)]


@st.composite
def deeply_nested(draw: st.DrawFn) -> str:
    """Arrays and inline tables nested up to 5,000 deep, closed or not, as a value in the hall."""
    opener = draw(st.sampled_from(["[", "{a = ", "[{a = ", "{a = [", "[\n", "{a = {b = "]))
    depth = draw(st.integers(1, 5000))
    closer = "".join(reversed(opener.replace("a = ", "").replace("b = ", "").replace("\n", "")))
    closer = closer.replace("[", "]").replace("{", "}")
    value = opener * depth + "1" + (closer * depth if draw(st.booleans()) else "")
    lines = HALL.splitlines()
    at = draw(st.integers(0, len(lines)))
    lines.insert(at, f"deep = {value}")
    return "\n".join(lines)


@st.composite
def huge_number(draw: st.DrawFn) -> str:
    """A numeric setting of the hall set to a huge, tiny, long or odd number."""
    number = draw(
        st.integers(min_value=2**63 - 2, max_value=2**200).map(str)
        | st.integers(max_value=-(2**63) + 2, min_value=-(2**200)).map(str)
        | st.integers(4000, 8000).map(lambda n: "9" * n)
        | st.floats(allow_nan=True, allow_infinity=True).map(lambda f: {"inf": "inf", "-inf": "-inf"}.get(repr(f), repr(f)))
        | st.sampled_from(["1e308", "1e309", "-0.0", "0x7fffffffffffffff", "1_000_000_000_000_000_000_000", "nan", "+inf"])
    )
    lines = HALL.splitlines()
    n = draw(st.sampled_from(NUMERIC_LINES))
    key = lines[n].split(" = ")[0]
    lines[n] = f"{key} = {number}"
    return "\n".join(lines)


@pytest.fixture(scope="module")
def cli():
    """kiosk.cli.main as `kiosk config check FILE` runs it; the logging and excepthooks it sets
    up restored afterwards."""
    import logging
    import sys
    import threading

    from kiosk.cli import main

    root = logging.getLogger()
    saved = (list(root.handlers), root.level, sys.excepthook, threading.excepthook)
    yield lambda path: main(["config", "check", str(path)])
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    sys.excepthook, threading.excepthook = saved[2], saved[3]


cli_fuzz = settings(deadline=None, max_examples=100,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def check_by_cli(cli, capsys: pytest.CaptureFixture[str], scratch: Path, data: bytes) -> str:
    scratch.write_bytes(data)
    capsys.readouterr()
    code = cli(scratch)
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert "Traceback" not in out + err and "Error:" not in err, err[-800:]
    return out


@cli_fuzz
@given(data=st.binary(max_size=2000) | st.text().map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_config_check_cli_on_any_input(cli, capsys, scratch: Path, data: bytes) -> None:
    check_by_cli(cli, capsys, scratch, data)


@cli_fuzz
@given(text=deeply_nested() | huge_number() | mangled_site())
def test_config_check_cli_on_deep_nesting_and_huge_numbers(cli, capsys, scratch: Path, text: str) -> None:
    out = check_by_cli(cli, capsys, scratch, text.encode("utf-8"))
    for line in out.splitlines()[:-1]:
        assert line.startswith(f"{scratch}:"), line  # every problem is located in the file


def test_config_check_as_a_process_on_deep_nesting_and_a_huge_number(tmp_path: Path) -> None:
    import subprocess
    import sys

    kiosk = str(Path(sys.executable).with_name("kiosk"))
    path = tmp_path / "kiosk.toml"
    text = HALL.replace("[kiosk]\n", "[kiosk]\ndeep = " + "[{a = " * 3000 + "\n", 1)
    path.write_text(text.replace("lockout_s = 300 ", f"lockout_s = {2**64} ", 1), encoding="utf-8")
    done = subprocess.run([kiosk, "config", "check", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-800:]
    assert any(line.startswith(f"{path}:") and "kiosk.deep" in line for line in done.stdout.splitlines()), done.stdout
