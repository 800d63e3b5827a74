"""The JSON encoder for results and chunks: pluggable, with defaults for common Python values.

A handler may return (or stream) datetimes, Decimals, sets, UUIDs, enums and
dataclasses; they become JSON here, once per response, with the rules below.
`Worker(..., encoder=my_encoder)` replaces the whole encoder (any callable
`value -> bytes` that raises TypeError or ValueError for what it cannot encode);
`json_encoder(default=my_default)` keeps these rules and adds yours first.

Uses orjson when it is installed (several times faster), else the standard
library; both give the same JSON for the same value, and both refuse NaN and
Infinity (strict JSON: the browser's JSON.parse refuses them).
"""
from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import importlib
import json
import math
import uuid
from typing import Any, Callable

Encoder = Callable[[Any], bytes]
Default = Callable[[Any], Any]

_orjson: Any
try:  # optional speed-up; never required (and untyped: imported as Any)
    _orjson = importlib.import_module("orjson")
except ImportError:  # pragma: no cover - depends on the machine
    _orjson = None


def default_json(value: Any) -> Any:
    """What Warren does with a value JSON has no type for; raises TypeError for anything else.

    datetime/date/time → ISO 8601 string; Decimal → string (exact; a float would round);
    set/frozenset → list; dataclass → dict; UUID → string; Enum → its value;
    bytes are refused (say how you want them: base64, hex, text).
    """
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError(f"Decimal {value} is not a finite number; JSON cannot carry it")
        return str(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _chain(first: Default | None) -> Default:
    if first is None:
        return default_json
    mine: Default = first

    def both(value: Any) -> Any:
        try:
            return mine(value)
        except TypeError:
            return default_json(value)

    return both


def _finite(value: Any) -> None:
    """orjson writes NaN/Infinity as null; the standard library refuses them. Refuse them in both."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError("Out of range float values are not JSON compliant")
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def json_encoder(default: Default | None = None, *, use_orjson: bool | None = None) -> Encoder:
    """An encoder `value -> bytes` (compact UTF-8 JSON) that tries `default`, then `default_json`.

    `use_orjson`: None = when installed. With orjson, dataclasses, datetimes,
    UUIDs and enums are encoded natively (same output as `default_json`).
    """
    fallback = _chain(default)
    if _orjson is not None and use_orjson is not False:
        dumps, options = _orjson.dumps, _orjson.OPT_NON_STR_KEYS

        def encode_fast(value: Any) -> bytes:
            out: bytes = dumps(value, default=fallback, option=options)
            if b"null" in out:  # orjson's NaN/Infinity: refuse, as the standard library does
                _finite(value)
            return out

        return encode_fast
    if use_orjson:
        raise ValueError("use_orjson=True, but orjson is not installed")
    encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=fallback)

    def encode(value: Any) -> bytes:
        return encoder.encode(value).encode("utf-8")

    return encode


#: The encoder used when none is given.
DEFAULT_ENCODER: Encoder = json_encoder()
