"""Broker operations bounded in time: a settle that never answers must not hold a request for ever."""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, TypeVar

T = TypeVar("T")


class SettleTimeout(Exception):
    """A broker operation did not finish within settle_timeout_ms."""


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """`await awaitable`, or SettleTimeout after `seconds`, without a task of its own (cheaper than wait_for)."""
    current = asyncio.current_task()
    assert current is not None
    task: asyncio.Task[Any] = current
    fired = False

    def expire() -> None:
        nonlocal fired
        fired = True
        task.cancel()

    timer = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        return await awaitable
    except asyncio.CancelledError:
        if not fired:
            raise
        uncancel = getattr(task, "uncancel", None)  # 3.11+: keep the task's cancel count right
        if uncancel is not None:
            uncancel()
        raise SettleTimeout(f"no answer from the broker within {seconds * 1000:.0f} ms") from None
    finally:
        timer.cancel()
