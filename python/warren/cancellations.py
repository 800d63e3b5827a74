"""Cancelled (session, id) pairs, remembered for a while.

A cancel can arrive before its request is delivered (still queued, or queued
behind a redelivery); the worker then answers CANCELLED without running it.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable

Key = tuple[str, str]  # (session, request id)


def cancel_memory(ttl_ms: float = 10 * 60 * 1000, max_entries: int = 100_000, now_ms: Callable[[], float] | None = None
                  ) -> tuple[Callable[[str, str], None], Callable[[str, str], bool]]:
    """Returns (remember, was_cancelled) closures over one bounded, expiring set."""
    clock = now_ms or (lambda: time.monotonic() * 1000)
    expiries: OrderedDict[Key, float] = OrderedDict()

    def prune() -> None:
        now = clock()
        while expiries:
            key, expiry = next(iter(expiries.items()))
            if expiry > now and len(expiries) <= max_entries:
                return
            expiries.popitem(last=False)

    def remember(session: str, request_id: str) -> None:
        key = (session, request_id)
        expiries.pop(key, None)
        expiries[key] = clock() + ttl_ms
        prune()

    def was_cancelled(session: str, request_id: str) -> bool:
        prune()
        return (session, request_id) in expiries

    return remember, was_cancelled
