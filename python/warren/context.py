"""What a handler receives beside its payload: `ctx`."""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, MutableMapping

from .errors import Cancelled, DeadlineExceeded, WarrenError


class RequestLogAdapter(logging.LoggerAdapter):
    """Prefixes messages with `[type id#attempt traceparent]` and puts the same fields on the record."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        extra = self.extra or {}
        kwargs["extra"] = {**extra, **kwargs.get("extra", {})}
        # The trace context goes on every line, so one request can be followed across gateway and workers.
        trace = f" {extra['traceparent']}" if extra.get("traceparent") else ""
        return f"[{extra.get('request_type')} {extra.get('request_id')}#{extra.get('attempt')}{trace}] {msg}", kwargs


@dataclass
class Context:
    """Per-request context for an `async def` handler."""

    request_id: str
    request_type: str
    session: str
    #: 1 on first delivery, +1 per redelivery.
    attempt: int
    #: The verified caller (JSON of header x-warren-principal), or None.
    principal: dict[str, Any] | None
    #: Absolute deadline, epoch milliseconds, or None.
    deadline: int | None
    #: W3C trace context the caller sent, or None.
    traceparent: str | None
    log: logging.LoggerAdapter
    _publish_chunk: Callable[[Any], Awaitable[None]] = field(repr=False)
    _now_ms: Callable[[], float] = field(default=lambda: time.time() * 1000, repr=False)
    #: Why the request was aborted: "CANCELLED", "TIMEOUT", "SHUTDOWN", "LOST", "DISCONNECTED" (no reply queue) or None.
    _abort_reason: str | None = field(default=None, repr=False)

    @property
    def cancelled(self) -> bool:
        """True once the request was cancelled, timed out or is being abandoned; poll it in long loops."""
        return self._abort_reason is not None

    def remaining_ms(self) -> float | None:
        """Milliseconds left until the deadline (never negative), or None without a deadline."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - self._now_ms())

    def raise_if_cancelled(self) -> None:
        """Raise Cancelled / DeadlineExceeded when the request was aborted."""
        reason = self._abort_reason
        if reason is None:
            return
        if reason == "TIMEOUT":
            raise DeadlineExceeded()
        if reason == "CANCELLED":
            raise Cancelled()
        if reason == "DISCONNECTED":
            raise WarrenError("DISCONNECTED", "Nobody can receive the answer any more: the caller's reply queue does not exist.")
        raise WarrenError("SHUTTING_DOWN", "The worker is shutting down or lost its broker connection.")

    async def send_chunk(self, data: Any) -> None:
        """Publish one `chunk` (JSON-serialisable `data`); resolves once the broker confirmed it."""
        self.raise_if_cancelled()
        await self._publish_chunk(data)


@dataclass
class SyncContext(Context):
    """Context for a plain `def` handler, which runs in a worker thread."""

    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    def send_chunk(self, data: Any) -> None:  # type: ignore[override]
        """Publish one `chunk` from the handler's thread; blocks until the broker confirmed it.

        Raises Cancelled / DeadlineExceeded once the request was aborted, which
        also stops a CPU-bound loop that reports progress.
        """
        self.raise_if_cancelled()
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._publish_chunk(data), self._loop)
        while True:
            try:
                return future.result(timeout=0.25)
            except concurrent.futures.TimeoutError:
                if self._abort_reason is not None or self._loop.is_closed():
                    future.cancel()
                    self.raise_if_cancelled()
                    raise WarrenError("SHUTTING_DOWN", "The worker's event loop stopped.") from None
