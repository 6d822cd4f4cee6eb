"""check_config never raises: on any text, any bytes, or a mangled bundled config it returns problems."""

from __future__ import annotations

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
