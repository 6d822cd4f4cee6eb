"""Structured logging: one JSON object per line on stdout (journald collects it), with a
redaction filter that no line can bypass.

Defence in depth: identity types mask themselves in repr; on top of that every string that
reaches a log line (message, arguments, extras, exception text and traceback) is scrubbed of
  * ID-number, phone-number and keyword-tagged pickup-code patterns, and
  * the exact personal values a running journey has registered (names, addresses, codes),
so that a careless `log.error("failed for %s", name)` or an exception message carrying an
address still reaches the journal masked. Logs are kept ≥ 6 months (网络安全法 Art. 21), so
they must carry no personal data at all.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from drivers.masking import mask_id_number, mask_name, mask_phone, mask_secret

# 18-digit resident ID (last may be X), 15-digit old-style, not inside a longer digit run.
# Letters around it do not protect it ("ID110105…"): over-masking a hex run is harmless.
_ID_RE = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?![\dXx])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
# A code announced by a keyword: 取件码 123456, pickup_code=123456, "code": "123456", pin 1234
_CODE_RE = re.compile(
    r"(?i)(取件码|提取码|验证码|密码|pickup[_ ]?code|code|pin|password|passwd)"
    r"([\"']?\s*[:=：]?\s*[\"']?)(\d{4,})"
)
# Extra fields whose value is personal whatever it looks like.
_SENSITIVE_KEYS = frozenset(
    {"name", "full_name", "id_number", "idno", "address", "phone", "mobile", "pickup_code", "code", "pin", "photo"}
)


class SensitiveValues:
    """Exact values to scrub, registered by a journey while it holds them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, int] = {}

    def add(self, *values: str) -> None:
        with self._lock:
            for v in values:
                if v and len(v) >= 2:
                    self._values[v] = self._values.get(v, 0) + 1

    def discard(self, *values: str) -> None:
        with self._lock:
            for v in values:
                n = self._values.get(v, 0) - 1
                if n <= 0:
                    self._values.pop(v, None)
                else:
                    self._values[v] = n

    def snapshot(self) -> list[str]:
        with self._lock:
            return sorted(self._values, key=len, reverse=True)  # longest first: 张三丰 before 张三

    @contextmanager
    def holding(self, *values: str) -> Iterator[None]:
        self.add(*values)
        try:
            yield
        finally:
            self.discard(*values)


SENSITIVE = SensitiveValues()


def redact(text: str, extra_values: Iterable[str] = ()) -> str:
    for value in [*SENSITIVE.snapshot(), *extra_values]:
        if value in text:
            masked = mask_name(value) if len(value) <= 4 and not value.isdigit() else mask_secret(value)
            text = text.replace(value, masked)
    text = _CODE_RE.sub(lambda m: m.group(1) + m.group(2) + mask_secret(m.group(3)), text)
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(1)), text)
    text = _PHONE_RE.sub(lambda m: mask_phone(m.group(1)), text)
    return text


def _scrub(key: str, value: Any) -> Any:
    if key.lower() in _SENSITIVE_KEYS and value not in (None, ""):
        return mask_secret(str(value))
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _scrub(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(key, v) for v in value]
    return redact(repr(value))


_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; every string passes through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = f"{record.msg!r} (unformattable arguments)"
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(message),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                out[key] = _scrub(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            out["exc"] = redact("".join(traceback.format_exception(*record.exc_info)))
        elif record.exc_text:
            out["exc"] = redact(record.exc_text)
        if record.stack_info:
            out["stack"] = redact(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _SafeStream(logging.StreamHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        # logging's default prints the record's raw arguments to stderr: never do that.
        # The error's type only (no message: it may quote the line). Under pytest this is a worker
        # thread logging after its test's captured stream was closed (ValueError).
        error = sys.exc_info()[0]
        sys.stderr.write('{"level":"ERROR","logger":"kiosk.logs","msg":"a log line could not be written",'
                         f'"error":"{error.__name__ if error else "unknown"}"}}\n')


def setup_logging(level: int | str = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """Route all logging (ours, Kivy's in PYTHON mode, uncaught exceptions) through the JSON formatter."""
    handler = _SafeStream(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for h in list(root.handlers):
        if isinstance(h, _SafeStream):
            root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level)

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        logging.getLogger("kiosk").critical("uncaught exception", exc_info=(exc_type, exc, tb))

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit and args.exc_value is not None:
            logging.getLogger("kiosk").critical(
                "uncaught exception in thread %s",
                args.thread.name if args.thread else "?",
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
            )

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
    return handler
