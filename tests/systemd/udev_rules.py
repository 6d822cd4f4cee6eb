"""A matcher for the subset of udev rule syntax that systemd/udev/70-kiosk.rules uses, so the
rules can be tested against sample device attributes without root or a running udevd (`udevadm
test` needs both). Anything outside the subset is an error, never silently ignored.

Semantics followed (udev(7)): a rule applies when all its match keys match; ATTRS, KERNELS and
SUBSYSTEMS must all match on one device of the chain from the device up through its parents;
patterns are shell globs with '|' between alternatives; SYMLINK+= adds, GROUP=, MODE= and
ENV{}= assign, and a later rule overrides an earlier one.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

TOKEN = re.compile(r'\s*(?P<key>[A-Z]+)(?:\{(?P<attr>[A-Za-z0-9_]+)\})?\s*(?P<op>==|!=|\+=|=)\s*"(?P<value>[^"]*)"\s*(?:,|$)')
DEVICE_MATCH = {"SUBSYSTEM", "KERNEL", "ATTR", "ENV"}  # on the device itself
PARENT_MATCH = {"ATTRS", "KERNELS", "SUBSYSTEMS"}  # all on one device of the chain
ASSIGN = {"SYMLINK", "GROUP", "MODE", "ENV"}


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Key:
    key: str
    attr: str | None
    op: str
    value: str


@dataclass(frozen=True)
class Rule:
    line: int
    matches: tuple[Key, ...]
    assigns: tuple[Key, ...]


@dataclass
class Node:
    """One device of a sysfs chain: its kernel name, subsystem, attributes."""

    kernel: str
    subsystem: str
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Device:
    node: Node
    env: dict[str, str] = field(default_factory=dict)
    parents: list[Node] = field(default_factory=list)  # nearest first

    @property
    def chain(self) -> list[Node]:
        return [self.node, *self.parents]


@dataclass
class Result:
    symlinks: list[str] = field(default_factory=list)
    group: str | None = None
    mode: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    rules: list[int] = field(default_factory=list)


def parse(text: str) -> list[Rule]:
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            raise RuleError(f"line {number}: continuation lines are outside the tested subset")
        keys, pos = [], 0
        while pos < len(line):
            m = TOKEN.match(line, pos)
            if not m:
                raise RuleError(f"line {number}: cannot parse at {line[pos:pos + 30]!r}")
            keys.append(Key(m["key"], m["attr"], m["op"], m["value"]))
            pos = m.end()
        matches, assigns = [], []
        for k in keys:
            if k.op in ("==", "!="):
                if k.key not in DEVICE_MATCH | PARENT_MATCH:
                    raise RuleError(f"line {number}: match key {k.key} is outside the tested subset")
                if (k.key in ("ATTR", "ATTRS", "ENV")) != (k.attr is not None):
                    raise RuleError(f"line {number}: {k.key} {'needs' if k.attr is None else 'takes no'} {{name}}")
                matches.append(k)
            else:
                if k.key not in ASSIGN or (k.op == "+=" and k.key != "SYMLINK"):
                    raise RuleError(f"line {number}: assignment {k.key}{k.op} is outside the tested subset")
                if k.key == "MODE" and not re.fullmatch(r"0[0-7]{3}", k.value):
                    raise RuleError(f"line {number}: MODE {k.value!r} is not an octal mode")
                assigns.append(k)
        if not matches:
            raise RuleError(f"line {number}: a rule without match keys applies to every device")
        rules.append(Rule(number, tuple(matches), tuple(assigns)))
    return rules


def load(path: Path) -> list[Rule]:
    return parse(path.read_text())


def _glob(pattern: str, value: str | None) -> bool:
    return value is not None and any(fnmatch.fnmatchcase(value, p) for p in pattern.split("|"))


def _matches_node(k: Key, node: Node) -> bool:
    value = {"KERNEL": node.kernel, "KERNELS": node.kernel, "SUBSYSTEM": node.subsystem,
             "SUBSYSTEMS": node.subsystem}.get(k.key) if k.attr is None else node.attrs.get(k.attr)
    return _glob(k.value, value) == (k.op == "==")


def applies(rule: Rule, device: Device, env: dict[str, str]) -> bool:
    for k in rule.matches:
        if k.key == "ENV":
            if _glob(k.value, env.get(k.attr)) != (k.op == "=="):
                return False
        elif k.key in DEVICE_MATCH and not _matches_node(k, device.node):
            return False
    parent_keys = [k for k in rule.matches if k.key in PARENT_MATCH]
    return not parent_keys or any(all(_matches_node(k, node) for k in parent_keys) for node in device.chain)


def evaluate(rules: list[Rule], device: Device) -> Result:
    result = Result(env=dict(device.env))
    for rule in rules:
        if not applies(rule, device, result.env):
            continue
        result.rules.append(rule.line)
        for k in rule.assigns:
            if k.key == "SYMLINK":
                result.symlinks += k.value.split() if k.op == "+=" else []
                if k.op == "=":
                    result.symlinks = k.value.split()
            elif k.key == "GROUP":
                result.group = k.value
            elif k.key == "MODE":
                result.mode = k.value
            elif k.key == "ENV":
                result.env[k.attr] = k.value
    return result
