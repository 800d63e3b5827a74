"""Cancelled (session, id) pairs, remembered for a while.

A cancel can arrive before its request is delivered (still queued, or queued
behind a redelivery, or sent while no worker ran: then it comes from the
cancel stream); the worker then answers CANCELLED without running it. The
memory covers the stream's retention (a request can wait a day), bounded by
count; both bounds come from topology.json (`cancelStreamReading`).
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable

from .protocol import cancel_stream_reading

Key = tuple[str, str]  # (session, request id)
Remember = Callable[..., None]  # (session, request_id, at_ms=None)


def cancel_memory(ttl_ms: float | None = None, max_entries: int | None = None, now_ms: Callable[[], float] | None = None
                  ) -> tuple[Remember, Callable[[str, str], bool]]:
    """Returns (remember, was_cancelled) closures over one bounded, expiring set.

    `remember(session, id, at_ms=None)`: `at_ms` is when the cancel was sent (epoch ms, stream
    records), else now; its age counts from then, and hearing it again (the other path, or the
    stream re-read after a reconnect) never extends it.
    """
    reading = cancel_stream_reading()
    ttl = float(reading["memoryTtlMs"] if ttl_ms is None else ttl_ms)
    limit = int(reading["memoryMaxEntries"] if max_entries is None else max_entries)
    clock = now_ms or (lambda: time.time() * 1000)  # wall clock: `at` comes from the sender's
    expiries: OrderedDict[Key, float] = OrderedDict()

    def prune() -> None:
        now = clock()
        while expiries:
            key, expiry = next(iter(expiries.items()))
            if expiry > now and len(expiries) <= limit:
                return
            expiries.popitem(last=False)

    def remember(session: str, request_id: str, at_ms: float | None = None) -> None:
        key = (session, request_id)
        if key in expiries:
            return
        now = clock()
        expiries[key] = min(now if at_ms is None else at_ms, now) + ttl
        prune()

    def was_cancelled(session: str, request_id: str) -> bool:
        prune()
        expiry = expiries.get((session, request_id))
        return expiry is not None and expiry > clock()

    return remember, was_cancelled
