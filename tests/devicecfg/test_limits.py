"""Config limits: nesting depth and file size are checked before tomllib (which recurses) sees
the text, and every numeric setting has bounds that its error names, with key path and line."""

from __future__ import annotations

import json
import math
import re
import tomllib
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from devicecfg import DEFAULT_CONFIG, check_config, check_text
from devicecfg.lines import KeyPath, dotted
from devicecfg.schema import KioskConfig

HALL = DEFAULT_CONFIG.read_text(encoding="utf-8")
HALL_DATA = tomllib.loads(HALL)
KIOSK_LINE = HALL.splitlines().index("[kiosk]") + 1


def with_line_after_kiosk(line: str) -> str:
    """The simulated hall with `line` as the first key of [kiosk] (on line KIOSK_LINE + 1)."""
    lines = HALL.splitlines()
    lines.insert(KIOSK_LINE, line)
    return "\n".join(lines) + "\n"


# -- nesting -------------------------------------------------------------------------------
DEEP = {
    "array": "[" * 3000 + "]" * 3000,
    "inline table": "{a = " * 3000 + "1" + "}" * 3000,
    "mixed": "[{a = " * 1500 + "1" + "}]" * 1500,
    "unclosed": "[" * 3000,
}


@pytest.mark.parametrize("value", DEEP.values(), ids=DEEP)
def test_deep_nesting_is_a_located_problem(value: str) -> None:
    problems = check_text(with_line_after_kiosk(f"deep = {value}"), "kiosk.toml")
    assert [(p.path, p.line) for p in problems] == [("kiosk.deep", KIOSK_LINE + 1)]
    assert "nested more than" in problems[0].message


def test_deep_nesting_across_lines_names_where_it_starts_and_where_too_deep() -> None:
    text = with_line_after_kiosk("deep = [\n" + "[\n" * 100 + "]\n" * 101)
    (problem,) = check_text(text)
    assert (problem.path, problem.line) == ("kiosk.deep", KIOSK_LINE + 1)
    assert f"line {KIOSK_LINE + 1 + 32}" in problem.message  # the 33rd level opens there


def test_brackets_in_strings_and_comments_do_not_count() -> None:
    text = with_line_after_kiosk(f'hall_name_x = "{"[" * 200}"  # {"{" * 200}')
    assert [p.path for p in check_text(text)] == ["kiosk.hall_name_x"]  # an unknown key, nothing more
    quoted = with_line_after_kiosk(f"x = '''{'[' * 200}'''\ny = \"\"\"{'{' * 200}\\\"\"\"\"")
    assert {p.path for p in check_text(quoted)} == {"kiosk.x", "kiosk.y"}


def test_nesting_within_the_limit_is_fine() -> None:
    assert check_text(with_line_after_kiosk("deep = " + "[" * 32 + "]" * 32))[0].message.startswith("unknown key")


# -- size ----------------------------------------------------------------------------------
def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(HALL + ("# padding\n" * 200_000), encoding="utf-8")
    (problem,) = check_config(path)
    assert problem.line is None and "at most 1 MiB" in problem.message and str(path) in str(problem)
    (problem,) = check_text(HALL + "#" * (2 << 20))
    assert "at most 1 MiB" in problem.message


def test_a_number_with_thousands_of_digits_is_located() -> None:
    (problem,) = check_text(with_line_after_kiosk("elder_age = " + "9" * 5000))
    assert problem.line == KIOSK_LINE + 1 and "digits" in problem.message


# -- numeric bounds ------------------------------------------------------------------------
def _unwrap(tp: Any) -> Any:
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        tp = args[0] if len(args) == 1 else tp
    return tp


def numeric_settings(model: type[BaseModel] = KioskConfig, path: KeyPath = ()) -> list[tuple[KeyPath, type]]:
    """Every int or float setting of the schema (in lists: the first entry), with its type."""
    found: list[tuple[KeyPath, type]] = []
    for name, field in model.model_fields.items():
        tp, here = _unwrap(field.annotation), path + (name,)
        if get_origin(tp) is list:
            tp, here = _unwrap(get_args(tp)[0]), here + (0,)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            found += numeric_settings(tp, here)
        elif tp in (int, float):
            found.append((here, tp))
    return found


def toml(value: Any) -> str:
    """A minimal TOML writer for the test: tables and arrays of tables at the top, the rest inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + "}"


def document(data: dict[str, Any]) -> str:
    out: list[str] = []
    for name, section in data.items():
        entries = section if isinstance(section, list) else [section]
        for entry in entries:
            out.append(f"[[{name}]]" if isinstance(section, list) else f"[{name}]")
            out += [f"{k} = {toml(v)}" for k, v in entry.items()]
    return "\n".join(out) + "\n"


def with_value(path: KeyPath, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(HALL_DATA))
    node: Any = data
    for part in path[:-1]:
        if isinstance(part, str) and part not in node:
            node[part] = [] if part == "disabled" else {}  # an optional array or table the hall has not
        node = node[part]
    if isinstance(node, list):
        node[:] = [value]
    else:
        node[path[-1]] = value
    return data


SETTINGS = numeric_settings()
TOO_BIG = [(path, v, "(?:at most|less than)") for path, tp in SETTINGS for v in ([2**64, 1e300] if tp is float else [2**64])]
TOO_SMALL = [(path, -(2**64), "(?:at least|more than)") for path, _ in SETTINGS]


def test_the_schema_has_the_settings_the_issue_names() -> None:
    paths = [p for p, _ in SETTINGS]
    assert {"lockout_s", "idle_timeout_s", "failure_window_s", "outbox_budget_mb", "first_compartment"} <= {p[-1] for p in paths}
    assert ("cabinets", 0, "boards", 0, "disabled", 0) in paths


def test_the_hall_round_trips_through_the_test_writer() -> None:
    assert check_text(document(HALL_DATA)) == []


@pytest.mark.parametrize(("path", "value", "words"), TOO_BIG + TOO_SMALL, ids=lambda v: dotted(v) if isinstance(v, tuple) else str(v))
def test_every_numeric_setting_is_bounded(path: KeyPath, value: int | float, words: str) -> None:
    text = document(with_value(path, value))
    problems = [p for p in check_text(text, "kiosk.toml") if p.path == dotted(path)]
    named = [p.line for p in problems if re.search(rf"must be {words} -?[0-9]", p.message)]  # the bound, named
    assert named == [_line_of(text, repr(value))], problems


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_infinite_and_nan_durations_are_refused(value: str) -> None:
    text = HALL.replace("lockout_s = 300          #", f"lockout_s = {value}          #", 1)
    assert [(p.path, p.line) for p in check_text(text)] == [("staff.lockout_s", _line_of(text, f"lockout_s = {value}"))]


def _line_of(text: str, needle: str) -> int:
    return next(n for n, t in enumerate(text.splitlines(), 1) if needle in t)


def test_the_bound_reads_as_the_issue_asks() -> None:
    text = HALL.replace("lockout_s = 300          #", "lockout_s = 18446744073709551616 #", 1)
    (problem,) = check_text(text, "kiosk.toml")
    assert str(problem).startswith(f"kiosk.toml:{_line_of(text, 'lockout_s = 1844')}: staff.lockout_s: must be at most 86400")


def test_a_board_may_not_number_past_the_highest_compartment() -> None:
    text = HALL.replace("first_compartment = 17", "first_compartment = 9990", 1)
    (problem,) = check_text(text)
    assert problem.path == "cabinets[0].boards[1].locks" and "9990–10005 go past 9999" in problem.message
