"""The threads plain `def` handlers run on: a bounded pool, one per request type.

`concurrency` threads at most, started on demand and reused. A slot is held
until the function really returns: a thread cannot be killed, so a cancelled
handler that keeps computing keeps its slot, and the next request of that
type waits for it rather than starting an extra thread (the old behaviour:
8 cancels at concurrency 4 left 7 busy threads). Cancellation reaches the
thread as `ctx.cancelled` (poll it) and as Cancelled/DeadlineExceeded from
`ctx.send_chunk`. Threads are daemons, so a stuck handler never blocks the
process from exiting after the drain.
"""
from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable

_STOP = object()


@dataclass(eq=False)
class _Work:
    fn: Callable[[], Any]
    context: contextvars.Context
    loop: asyncio.AbstractEventLoop
    future: "asyncio.Future[Any]"
    #: Checked just before running: work whose request was aborted while queued never starts.
    skip: Callable[[], bool]


class ThreadPool:
    """At most `size` daemon threads; `run(fn)` resolves with fn's outcome once its thread is free again."""

    def __init__(self, size: int, name: str) -> None:
        self.size = size
        self.name = name
        self._queue: "queue.SimpleQueue[_Work | object]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._busy = 0
        self._pending = 0
        self._closed = False

    def busy(self) -> int:
        """Threads running a handler right now (cancelled ones included, until they return)."""
        return self._busy

    def run(self, fn: Callable[[], Any], *, skip: Callable[[], bool] = lambda: False) -> "asyncio.Future[Any]":
        """Queue `fn` (run in a copy of the caller's contextvars); the future settles when it has returned."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if self._closed:
            future.set_exception(RuntimeError("the thread pool is closed"))
            return future
        work = _Work(fn, contextvars.copy_context(), loop, future, skip)
        with self._lock:
            self._pending += 1
            self._queue.put(work)
            if self._pending > self._idle and len(self._threads) < self.size:
                thread = threading.Thread(target=self._serve, name=f"{self.name}-{len(self._threads) + 1}", daemon=True)
                self._threads.append(thread)
                self._idle += 1
                thread.start()
        return future

    def close(self) -> None:
        """Let every thread exit once the work already queued is done (never waits)."""
        self._closed = True
        for _ in self._threads:
            self._queue.put(_STOP)

    def _serve(self) -> None:
        while True:
            work = self._queue.get()
            if work is _STOP:
                return
            assert isinstance(work, _Work)
            with self._lock:
                self._pending -= 1
                self._idle -= 1
                self._busy += 1
            try:
                if work.skip():
                    outcome: tuple[bool, Any] = (True, None)
                else:
                    outcome = (True, work.context.run(work.fn))
            except BaseException as error:  # noqa: BLE001 - handed to the loop as the future's exception
                outcome = (False, error)
            with self._lock:
                self._busy -= 1
                self._idle += 1
            try:
                work.loop.call_soon_threadsafe(_settle, work.future, outcome)
            except RuntimeError:  # the loop is gone: nobody waits any more
                pass


def _settle(future: "asyncio.Future[Any]", outcome: tuple[bool, Any]) -> None:
    if future.done():
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
