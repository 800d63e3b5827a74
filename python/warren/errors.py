"""Every exception Warren raises, in one tree.

`WarrenError` carries a stable `code` from packages/protocol/json/errors.json;
callers (and the browser) match on the code, never on the message.
"""
from __future__ import annotations

from typing import Any


class WarrenError(Exception):
    """Raised when work fails with a Warren error code the caller should see (a handler may raise it too)."""

    code: str
    message: str
    details: dict[str, Any] | None

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        from .protocol import error_codes  # lazy: protocol.py imports this module

        known = error_codes()
        if code not in known:
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


def to_wire_error(error: BaseException, fallback: str = "WORKER_ERROR") -> dict[str, Any]:
    """Turn anything raised into a `WireError` safe to show a browser: never a traceback."""
    if isinstance(error, WarrenError):
        return error.to_wire()
    message = str(error) or type(error).__name__
    return {"code": fallback, "message": message}
