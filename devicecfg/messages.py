"""Pydantic's validation errors, restated for the person editing the TOML file."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from devicecfg.lines import KeyPath
from devicecfg.schema import HTTP_URL_PATTERN, IDENT_PATTERN, PREFIX_PATTERN, SECRET_HASH_PATTERN, KioskConfig

_PATTERN_WORDS = {
    IDENT_PATTERN: "an identifier of 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit",
    PREFIX_PATTERN: "one or two capital letters A–Z (the ticket number prefix)",
    HTTP_URL_PATTERN: "a URL starting with http:// or https://",
    SECRET_HASH_PATTERN: "a hash made by `kiosk staff-pin` (scrypt$<32 hex salt>$<64 hex hash>), never the PIN itself",
}
_BOUNDS = {"less_than_equal": "at most", "less_than": "less than", "greater_than_equal": "at least", "greater_than": "more than"}
_URL = re.compile(r"\s*(For further information visit )?https?://\S+")


def explain(error: ErrorDetails, data: dict[str, Any]) -> tuple[KeyPath, str]:
    """The key path in the data and a plain-English message for one pydantic error."""
    path = data_path(error["loc"], data)
    kind, value = error["type"], error.get("input")
    msg = _URL.sub("", error["msg"]).strip()
    match kind:
        case "missing":
            return path, _missing(path)
        case "extra_forbidden":
            return path, _unknown_key(path)
        case "string_pattern_mismatch":
            pattern = str((error.get("ctx") or {}).get("pattern", ""))
            expected = _PATTERN_WORDS.get(pattern, f"text matching {pattern}")
            if pattern == SECRET_HASH_PATTERN:  # it may be a PIN typed in clear: never echo it
                return path, f"expected {expected}"
            return path, f"expected {expected}, got {toml_repr(value)}"
        case "value_error" | "assertion_error":
            return path, re.sub(r"^(Value|Assertion) error, ", "", msg)
        case "model_type" | "model_attributes_type" | "dict_type":
            return path, f"expected a table, got {toml_repr(value)}"
        case "list_type":
            return path, f"expected an array, got {toml_repr(value)}"
        case "less_than_equal" | "less_than" | "greater_than_equal" | "greater_than":
            ctx = error.get("ctx") or {}
            words, bound = _BOUNDS[kind], next(iter(ctx.values()), "?")
            return path, f"must be {words} {_number(bound)}; got {toml_repr(value)}"
        case "finite_number":
            return path, f"expected a finite number, got {toml_repr(value)}"
    if isinstance(value, (dict, list)):
        return path, msg
    return path, f"{msg}; got {toml_repr(value)}"


def _number(n: object) -> str:
    return str(int(n)) if isinstance(n, float) and n.is_integer() else str(n)


def data_path(loc: tuple[int | str, ...], data: Any) -> KeyPath:
    """Keep the parts of a pydantic `loc` that walk the data; drop validator tags."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            path.append(part)
            node = node[part] if 0 <= part < len(node) else None
        elif isinstance(part, str) and isinstance(node, dict):
            path.append(part)
            node = node.get(part)
    return tuple(path)


def toml_repr(value: Any) -> str:
    """A value as it would be written in TOML, shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 60 else text[:56] + '…"'
    return repr(value)


def _unwrap(tp: Any) -> Any:
    """X | None → X."""
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _annotation_at(path: KeyPath) -> Any:
    """The schema type at `path` (list indexes step into list items); None if off the schema."""
    tp: Any = KioskConfig
    for part in path:
        tp = _unwrap(tp)
        if isinstance(part, int):
            if get_origin(tp) is not list:
                return None
            tp = get_args(tp)[0]
        elif _is_model(tp) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        else:
            return None
    return _unwrap(tp)


def _table_name(path: KeyPath) -> str:
    return ".".join(p for p in path if isinstance(p, str))


def _missing(path: KeyPath) -> str:
    tp = _annotation_at(path)
    if _is_model(tp):
        return f"missing table [{_table_name(path)}]"
    if get_origin(tp) is list and _is_model(_unwrap(get_args(tp)[0])):
        return f"missing [[{_table_name(path)}]]: at least one entry is needed"
    return f"missing required key {path[-1]!r}" if path else "missing required key"


def _unknown_key(path: KeyPath) -> str:
    name = str(path[-1]) if path else ""
    parent = _annotation_at(path[:-1])
    if not _is_model(parent):
        return f"unknown key {name!r}"
    allowed = list(parent.model_fields)
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {name!r}{hint}; expected one of: {', '.join(allowed)}"
