"""Which request the running code serves, for every log record emitted meanwhile.

A contextvar holds the request's id, type and traceparent while its handler
runs (in a `def` handler's thread too: the pool runs it in a copy of the
context). A log record factory, installed once when a worker starts, copies
them onto every record as `warren_request_id`, `warren_request_type` and
`warren_traceparent` (None outside a request), whichever logger emitted it,
so the application's own loggers can be correlated without passing `ctx`:

    logging.basicConfig(format="%(levelname)s %(warren_request_id)s %(message)s")

The names are prefixed (as OpenTelemetry's `otelTraceID` is) because a
record factory's attributes cannot be overridden by `extra=`: a plain
`request_id` would break application code that already passes one.
"""
from __future__ import annotations

import contextvars
import logging
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestInfo:
    id: str
    type: str
    traceparent: str | None


current_request: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("warren_request", default=None)

_installed_lock = threading.Lock()
_installed = False


def install_log_record_factory() -> None:
    """Wrap the current record factory once per process (idempotent)."""
    global _installed
    with _installed_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            info = current_request.get()
            record.warren_request_id = None if info is None else info.id
            record.warren_request_type = None if info is None else info.type
            record.warren_traceparent = None if info is None else info.traceparent
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
