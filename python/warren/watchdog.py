"""Loop-lag watchdog: says which handler blocked the event loop, and for how long.

An `async def` handler that blocks (time.sleep, a CPU loop, a synchronous
database driver) stops everything on the loop, AMQP heartbeats included: the
broker drops the connection and redelivers the request, again and again,
with nothing in the log. A thread beside the loop notices when the loop has
not ticked for `threshold_ms`, takes the task that is running (a handler's
task is named `warren:<type>:<id>`), and logs a warning with the fix; once
the loop runs again it logs how long the block lasted.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("warren.watchdog")
FIX = "make the handler a plain `def` (it then runs on a thread) or move the blocking call into `await asyncio.to_thread(...)`"


@dataclass
class Watchdog:
    stop: threading.Event


def _culprit(loop: asyncio.AbstractEventLoop) -> str:
    task = asyncio.current_task(loop)  # read from another thread: a snapshot, good enough for a log line
    if task is None:
        return "code outside any task"
    name = task.get_name()
    if name.startswith("warren:"):
        _, request_type, request_id = name.split(":", 2)
        return f"the handler of {request_type!r} (request {request_id})"
    return f"task {name!r}"


def start_watchdog(loop: asyncio.AbstractEventLoop, threshold_ms: float, interval_ms: float | None = None) -> Watchdog:
    """Start watching `loop`; `stop.set()` ends it. threshold_ms <= 0 disables it."""
    stop = threading.Event()
    if threshold_ms <= 0:
        stop.set()
        return Watchdog(stop)
    interval = (interval_ms if interval_ms is not None else min(100.0, threshold_ms / 4)) / 1000
    beat = [time.monotonic()]

    def tick() -> None:
        beat[0] = time.monotonic()
        if not stop.is_set():
            loop.call_later(interval, tick)

    loop.call_soon(tick)

    def unblocked(culprit: str, since: float) -> None:  # runs on the loop as soon as it is free again
        lag_ms = (time.monotonic() - since) * 1000
        log.warning("the event loop was blocked for %.0f ms by %s; %s", lag_ms, culprit, FIX, extra={"lag_ms": lag_ms})

    def watch() -> None:
        while not stop.wait(interval):
            if loop.is_closed():
                return
            since = beat[0]
            lag_ms = (time.monotonic() - since) * 1000
            if lag_ms < threshold_ms:
                continue
            culprit = _culprit(loop)
            log.warning("the event loop is blocked: %s has not yielded for %.0f ms; heartbeats and other requests "
                        "wait meanwhile; %s", culprit, lag_ms, FIX, extra={"lag_ms": lag_ms})
            try:
                loop.call_soon_threadsafe(unblocked, culprit, since)
            except RuntimeError:  # the loop closed
                return
            while not stop.is_set() and beat[0] == since:  # one warning per block
                time.sleep(interval)

    threading.Thread(target=watch, name="warren-watchdog", daemon=True).start()
    return Watchdog(stop)
