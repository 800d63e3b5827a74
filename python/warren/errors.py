"""Every exception Warren raises, in one tree.

`WarrenError` carries a stable `code` from packages/protocol/json/errors.json;
callers (and the browser) match on the code, never on the message.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any, Literal, get_args

#: Every code of packages/protocol/json/errors.json (tests/test_protocol_files.py keeps the two equal),
#: so a type checker refuses `WarrenError("NOT_A_CODE", ...)`.
ErrorCode = Literal[
    "INVALID_REQUEST", "INVALID_PAYLOAD", "NO_HANDLER", "TIMEOUT", "CANCELLED", "WORKER_ERROR", "DELIVERY_LIMIT",
    "BROKER_UNAVAILABLE", "DISCONNECTED", "UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED", "PAYLOAD_TOO_LARGE", "DUPLICATE_ID", "EXPIRED",
    "SHUTTING_DOWN", "INTERNAL",
]
ERROR_CODES: tuple[str, ...] = get_args(ErrorCode)


class WarrenError(Exception):
    """An error the caller should see: a stable `code` from the shared table and a message meant for callers.

    The message and details go to the browser as they are, so they must not
    carry secrets. An application's own machine-readable code goes in
    `details["code"]` (see `AppError`), never in `code`.
    """

    code: ErrorCode
    message: str
    details: dict[str, Any] | None

    def __init__(self, code: ErrorCode, message: str, details: dict[str, Any] | None = None) -> None:
        from .protocol import error_codes  # lazy: protocol.py imports this module

        known = error_codes()
        if code not in known:  # mypy refuses it already; this is for untyped callers
            raise ValueError(f"unknown Warren error code {code!r}; expected one of {', '.join(known)}")
        if details is not None and not isinstance(details, dict):
            raise TypeError(f"details must be a dict or None, not {type(details).__name__}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    @property
    def retryable(self) -> bool:
        from .protocol import error_codes

        return bool(error_codes()[self.code]["retryable"])

    def to_wire(self) -> dict[str, Any]:
        """The `WireError` form: `{code, message, details?}`."""
        wire: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            wire["details"] = self.details
        return wire

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class AppError(WarrenError):
    """An application's own error: the caller gets `WORKER_ERROR` with `details.code` = your code.

        raise AppError("OUT_OF_STOCK", "That item is sold out.", {"sku": "A-1"})
        # → {"code": "WORKER_ERROR", "message": "That item is sold out.", "details": {"code": "OUT_OF_STOCK", "sku": "A-1"}}

    The shared table stays closed (gateways and clients know every `code`);
    `details.code` is yours to define. Like any WarrenError, the message is shown to callers.
    """

    def __init__(self, app_code: str, message: str, details: dict[str, Any] | None = None) -> None:
        if not isinstance(app_code, str) or not app_code:
            raise ValueError("an application error code must be a non-empty string")
        super().__init__("WORKER_ERROR", message, {**(details or {}), "code": app_code})
        self.app_code = app_code


class Cancelled(WarrenError):
    """Raised inside a handler (by `ctx.send_chunk` or `ctx.raise_if_cancelled`) once the caller cancelled the request."""

    def __init__(self, message: str = "The caller cancelled the request.") -> None:
        super().__init__("CANCELLED", message)


class DeadlineExceeded(WarrenError):
    """Raised inside a handler (by `ctx.send_chunk` or `ctx.raise_if_cancelled`) once the request's deadline passed."""

    def __init__(self, message: str = "The request's deadline passed before the handler finished.") -> None:
        super().__init__("TIMEOUT", message)


class InvalidRequest(WarrenError):
    """Raised when a delivered message is not a well-formed Warren request (it never reaches a handler)."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__("INVALID_REQUEST", message, details)


class NoHandler(WarrenError):
    """Raised when a request is published for a type that no queue serves."""

    def __init__(self, request_type: str) -> None:
        super().__init__("NO_HANDLER", f'No worker serves request type "{request_type}".')


class BrokerUnavailable(WarrenError):
    """Raised when the broker cannot be reached, or the transport is closed or reconnecting."""

    def __init__(self, message: str = "The message broker is unreachable; try again shortly.") -> None:
        super().__init__("BROKER_UNAVAILABLE", message)


class BrokerRefused(BrokerUnavailable):
    """Raised at start-up when the broker refuses the connection for good (login, vhost): retrying cannot help."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class ResponseReturned(RuntimeError):
    """Raised by a transport's `publish_response` when the broker returned the message:
    no queue exists under that reply address (basic.return of a mandatory publish)."""

    def __init__(self, reply_to: str) -> None:
        super().__init__(f"no queue {reply_to!r}: the broker returned the response")
        self.reply_to = reply_to


class Undeliverable(ResponseReturned):
    """Raised when a response was still returned after every retry (warren.delivery): nobody can receive it."""

    def __init__(self, reply_to: str, retries: int, elapsed_ms: float) -> None:
        RuntimeError.__init__(
            self, f"no queue {reply_to!r}: the response was returned {retries + 1} time(s) over {elapsed_ms:.0f} ms"
        )
        self.reply_to = reply_to
        self.retries = retries


class ConfigError(ValueError):
    """Raised when an option is missing, malformed or out of range (at construction, never mid-request)."""


class ProtocolFilesNotFound(RuntimeError):
    """Raised when the protocol JSON files are found neither in the monorepo nor in the installed package."""


def new_reference() -> str:
    """A short id that ties a caller's generic error to the operator's log line."""
    return uuid.uuid4().hex[:12]


def unexpected_error(reference: str) -> dict[str, Any]:
    """The `WireError` for an exception that is not a WarrenError: generic, with the log reference.

    `str(exception)` is never sent: it can carry anything (a connection string
    with a password, a file path, a row of data). The operator finds the
    exception, with its traceback, in the log under the same reference.
    """
    return WarrenError("WORKER_ERROR", f"The worker failed to handle this request (reference {reference}).",
                       {"reference": reference}).to_wire()


def to_wire_error(error: BaseException, log: logging.Logger | logging.LoggerAdapter[Any] | None = None) -> dict[str, Any]:
    """Turn anything raised into a `WireError` safe to show a browser.

    A WarrenError keeps its code, message and details (they are meant for the
    caller). Anything else becomes a generic `WORKER_ERROR` with a reference,
    logged (with its traceback) to `log` under that reference.
    """
    if isinstance(error, WarrenError):
        return error.to_wire()
    reference = new_reference()
    (log or logging.getLogger("warren.worker")).error("handler failed (reference %s)", reference, exc_info=error,
                                                       extra={"reference": reference})
    return unexpected_error(reference)
