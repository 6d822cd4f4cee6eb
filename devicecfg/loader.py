"""Load a kiosk's TOML config, reporting every problem at once with its key path and line."""

from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from devicecfg.checks import cross_check
from devicecfg.limits import MAX_FILE_BYTES, TOO_LARGE, text_problem
from devicecfg.lines import KeyPath, LineIndex, dotted
from devicecfg.messages import explain
from devicecfg.schema import SKIP_CROSS_CHECKS, KioskConfig

SITES_DIR = Path(__file__).parent / "sites"
DEFAULT_CONFIG = SITES_DIR / "simulated-hall.toml"

_TOML_POSITION = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")


@dataclass(frozen=True)
class ConfigProblem:
    path: str  # dotted key path, e.g. "devices[2].port"; "" for the file as a whole
    line: int | None  # 1-based line in the TOML file
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(Exception):
    """The config file cannot be used; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[ConfigProblem], file: str) -> None:
        self.problems = problems
        self.file = file
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{file}: {count} in the kiosk configuration; fix them and restart:\n{lines}")


def load_config(path: str | os.PathLike[str] | None = None) -> KioskConfig:
    """Read and validate a kiosk config (None: the bundled simulated hall). Raises ConfigError."""
    file = Path(path) if path is not None else DEFAULT_CONFIG
    config, problems = _read(file)
    if config is None:
        raise ConfigError(problems, str(file))
    return config


def load_config_or_report(path: str | os.PathLike[str] | None = None) -> KioskConfig | None:
    """For the command-line tools: the config, or None after printing each problem (key path
    and line) to stderr, where a command's JSON on stdout stays clean."""
    try:
        return load_config(path)
    except ConfigError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return None


def check_config(path: str | os.PathLike[str]) -> list[ConfigProblem]:
    """Every problem of a config file; empty when the file is fine. Never raises."""
    return _read(Path(path))[1]


def check_text(text: str, file: str = "<config>") -> list[ConfigProblem]:
    """Every problem of config text, as if read from `file`."""
    return parse_text(text, file)[1]


def parse_text(text: str, file: str = "<config>") -> tuple[KioskConfig | None, list[ConfigProblem]]:
    limit = text_problem(text)  # before tomllib, which recurses
    if limit is not None:
        return None, [ConfigProblem(dotted(limit.path), limit.line, limit.message, file)]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return None, [_syntax_problem(e, text, file)]
    index = LineIndex(text)

    def problem(path: KeyPath, message: str) -> ConfigProblem:
        return ConfigProblem(dotted(path), index.line_of(path), message, file)

    problems = [problem(path, message) for path, message in cross_check(data)]
    config = None
    try:
        config = KioskConfig.model_validate(data, context={SKIP_CROSS_CHECKS: True})
    except ValidationError as e:
        problems += [problem(*explain(err, data)) for err in e.errors(include_url=False)]
    problems = sorted(set(problems), key=lambda p: (p.line or 0, p.path, p.message))
    return (config if not problems else None), problems


def _read(file: Path) -> tuple[KioskConfig | None, list[ConfigProblem]]:
    name = str(file)
    try:
        with file.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)  # never all of /dev/zero
    except FileNotFoundError:
        return None, [ConfigProblem("", None, "no such file; give the path of a kiosk TOML config", name)]
    except OSError as e:
        return None, [ConfigProblem("", None, f"cannot read the file: {e.strerror or e}", name)]
    if len(raw) > MAX_FILE_BYTES:
        return None, [ConfigProblem("", None, TOO_LARGE, name)]
    try:
        text = raw.decode("utf-8-sig")  # tolerate the BOM some Windows editors write
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        message = f"not valid UTF-8 (byte 0x{raw[e.start]:02x}); save the file as UTF-8"
        return None, [ConfigProblem("", line, message, name)]
    return parse_text(text, name)


def _syntax_problem(e: tomllib.TOMLDecodeError, text: str, file: str) -> ConfigProblem:
    message = str(e)
    m = _TOML_POSITION.search(message)
    if m is None:
        return ConfigProblem("", None, f"TOML syntax error: {message}", file)
    message = message[: m.start()]
    if m[1]:
        line, where = int(m[1]), f" (column {m[2]})"
    else:
        line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        where = " (at the end of the file)"
    path = dotted(LineIndex(text).path_at(line))
    return ConfigProblem(path, line, f"TOML syntax error: {message}{where}", file)
