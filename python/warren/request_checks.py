"""What is checked before a handler runs (packages/protocol/spec/v1/protocol.md, worker behaviour 4):
the deadline, a cancel that came first, the payload against the declared schema, and its
conversion to the handler's payload type.
"""
from __future__ import annotations

from typing import Any

from . import wire
from .context import abort_error
from .handler import HandlerSpec
from .request_run import RequestRun, logger
from .validation import invalid_payload


def check_request(run: RequestRun, spec: HandlerSpec) -> tuple[Any, dict[str, Any] | None]:
    """(payload, None) when the handler may run, with the payload converted to its type if it declares one;
    else (None, the error envelope that answers the request instead)."""
    runtime, request, attempt = run.runtime, run.delivery.request, run.delivery.attempt
    # Deadline first, then cancel, as the Node SDK does: a request both expired and cancelled is answered TIMEOUT by either.
    if request.deadline is not None and request.deadline <= runtime.now_ms():
        logger(run).info("deadline passed before delivery; not running it")
        return None, wire.error(request.id, 0, attempt, abort_error("TIMEOUT").to_wire())
    if runtime.was_cancelled(request.session, request.id):
        logger(run).info("cancelled before delivery; not running it")
        return None, wire.error(request.id, 0, attempt, abort_error("CANCELLED").to_wire())
    payload = request.payload
    if spec.check is not None:
        issues = spec.check(payload)
        if issues:
            logger(run).info("payload does not match the declared schema: %s", "; ".join(f"{i['path']}: {i['message']}" for i in issues))
            return None, wire.error(request.id, 0, attempt, invalid_payload(request.type, issues))
    if spec.convert is not None:
        try:
            payload = spec.convert(payload)
        except (TypeError, ValueError) as error:
            logger(run).info("payload does not fit the handler's type: %s", error)
            return None, wire.error(request.id, 0, attempt, invalid_payload(request.type, [{"path": "", "message": str(error)}]))
    return payload, None
