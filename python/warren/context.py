"""What a handler receives beside its payload: `ctx`.

Named as in the TypeScript SDK's `HandlerContext` (`ctx.id`, `ctx.type`,
`ctx.remaining_ms()`); `ctx.request_id` and `ctx.request_type` remain as
aliases because existing handlers use them.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import time
from typing import Any, Awaitable, Callable, Literal, MutableMapping

from .errors import Cancelled, DeadlineExceeded, WarrenError

#: Why a request was aborted, as the wire error code the caller would see:
#: cancelled by the caller, past its deadline, handed back at shutdown, or
#: nobody left to answer (lost connection, or no reply queue).
AbortReason = Literal["CANCELLED", "TIMEOUT", "SHUTTING_DOWN", "DISCONNECTED"]

ABORT_MESSAGES: dict[AbortReason, str] = {
    "CANCELLED": "The caller cancelled the request.",
    "TIMEOUT": "The request's deadline passed before the handler finished.",
    "SHUTTING_DOWN": "The worker is shutting down; the request goes back to the queue.",
    "DISCONNECTED": "Nobody can receive the answer any more: the connection or the caller's reply queue is gone.",
}


def abort_error(reason: AbortReason) -> WarrenError:
    """The exception a handler sees for an abort (Cancelled and DeadlineExceeded are WarrenErrors)."""
    if reason == "TIMEOUT":
        return DeadlineExceeded()
    if reason == "CANCELLED":
        return Cancelled()
    return WarrenError(reason, ABORT_MESSAGES[reason])


class RequestLogAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]  # generic only in typeshed, not at run time on 3.10
    """Prefixes messages with `[type id#attempt traceparent]` and puts the same fields on the record."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        extra = self.extra or {}
        kwargs["extra"] = {**extra, **kwargs.get("extra", {})}
        # The trace context goes on every line, so one request can be followed across gateway and workers.
        trace = f" {extra['traceparent']}" if extra.get("traceparent") else ""
        return f"[{extra.get('request_type')} {extra.get('request_id')}#{extra.get('attempt')}{trace}] {msg}", kwargs


_handler_log = logging.getLogger("warren.handler")


def request_log(id: str, type: str, attempt: int, traceparent: str | None, principal: dict[str, Any] | None) -> RequestLogAdapter:
    """The `warren.handler` logger of one request attempt: `ctx.log`, and the worker's own lines before a ctx exists."""
    return RequestLogAdapter(_handler_log, {
        "request_id": id, "request_type": type, "attempt": attempt,
        "traceparent": traceparent, "principal": (principal or {}).get("sub"),
    })


class Context:
    """Per-request context for an `async def` handler."""

    __slots__ = ("id", "type", "session", "attempt", "principal", "deadline", "traceparent", "_publish_chunk",
                 "_now_ms", "_abort_reason", "_log")

    def __init__(self, *, id: str, type: str, session: str, attempt: int, principal: dict[str, Any] | None,
                 deadline: int | None, traceparent: str | None, publish_chunk: Callable[[Any], Awaitable[None]],
                 now_ms: Callable[[], float] = lambda: time.time() * 1000) -> None:
        #: The request id the client chose.
        self.id = id
        #: The request type.
        self.type = type
        #: The caller's session id.
        self.session = session
        #: 1 on first delivery, +1 per redelivery.
        self.attempt = attempt
        #: The verified caller (JSON of header x-warren-principal), or None.
        self.principal = principal
        #: Absolute deadline, epoch milliseconds, or None.
        self.deadline = deadline
        #: W3C trace context the caller sent, or None.
        self.traceparent = traceparent
        self._publish_chunk = publish_chunk
        self._now_ms = now_ms
        self._abort_reason: AbortReason | None = None
        self._log: RequestLogAdapter | None = None

    @property
    def request_id(self) -> str:
        """Alias of `ctx.id` (the TypeScript SDK's name); kept for existing handlers."""
        return self.id

    @property
    def request_type(self) -> str:
        """Alias of `ctx.type`; kept for existing handlers."""
        return self.type

    @property
    def log(self) -> RequestLogAdapter:
        """A logger (`warren.handler`) that prefixes `[type id#attempt]` and sets request fields on the record."""
        if self._log is None:  # made on first use: most requests never log
            self._log = request_log(self.id, self.type, self.attempt, self.traceparent, self.principal)
        return self._log

    @property
    def abort_reason(self) -> AbortReason | None:
        """Why the request was aborted (the error code the caller gets), or None while it is not."""
        return self._abort_reason

    @property
    def cancelled(self) -> bool:
        """True once the request was cancelled, timed out or is being abandoned; poll it in long loops."""
        return self._abort_reason is not None

    def remaining_ms(self) -> float:
        """Milliseconds left until the deadline (never negative); `math.inf` without a deadline, as in TypeScript."""
        if self.deadline is None:
            return math.inf
        return max(0.0, self.deadline - self._now_ms())

    def raise_if_cancelled(self) -> None:
        """Raise Cancelled / DeadlineExceeded (or SHUTTING_DOWN / DISCONNECTED) when the request was aborted."""
        if self._abort_reason is not None:
            raise abort_error(self._abort_reason)

    async def send_chunk(self, data: Any) -> None:
        """Publish one `chunk` (JSON-encodable `data`); resolves once the broker confirmed it."""
        if self._abort_reason is not None:
            raise abort_error(self._abort_reason)
        await self._publish_chunk(data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, type={self.type!r}, attempt={self.attempt})"


class SyncContext(Context):
    """Context for a plain `def` handler, which runs on the type's thread pool."""

    __slots__ = ("_loop",)

    def __init__(self, *, loop: asyncio.AbstractEventLoop, **fields: Any) -> None:
        super().__init__(**fields)
        self._loop = loop

    def send_chunk(self, data: Any) -> None:  # type: ignore[override]  # blocking on purpose: called from a thread
        """Publish one `chunk` from the handler's thread; blocks until the broker confirmed it.

        Raises Cancelled / DeadlineExceeded once the request was aborted, which
        also stops a CPU-bound loop that reports progress.
        """
        self.raise_if_cancelled()
        future = asyncio.run_coroutine_threadsafe(self._publish_chunk(data), self._loop)
        while True:
            try:
                return future.result(timeout=0.25)
            except concurrent.futures.TimeoutError:
                if self._abort_reason is not None or self._loop.is_closed():
                    future.cancel()
                    self.raise_if_cancelled()
                    raise WarrenError("SHUTTING_DOWN", "The worker's event loop stopped.") from None
