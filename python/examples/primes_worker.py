"""Primes demo: a CPU-bound plain `def` handler (runs in a worker thread).

Request type `primes`, payload `{ "limit": N }`: counts primes up to N with a
segmented sieve, sending progress chunks `{ "progress": 0..1, "found": k }`,
and returns `{ "count": k, "last": p }` (p = largest prime <= N, or null).

    /usr/bin/python3 python/examples/primes_worker.py    # or, from python/: python -m examples.primes_worker
"""
from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, Optional, TypedDict

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examples._env import worker_from_env  # noqa: E402
from warren import Handler, SyncContext, WarrenError, contract  # noqa: E402

MAX_LIMIT = 200_000_000
PROGRESS_STEPS = 40


class Progress(TypedDict):
    progress: float
    found: int


class PrimeCount(TypedDict):
    count: int
    last: Optional[int]


def base_primes(n: int) -> list[int]:
    sieve = bytearray([1]) * (n + 1)
    sieve[0:2] = b"\x00\x00"[: n + 1]
    for p in range(2, math.isqrt(n) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytes(len(range(p * p, n + 1, p)))
    return [i for i, flag in enumerate(sieve) if flag]


@contract(
    payload={"type": "object", "properties": {"limit": {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT}}, "required": ["limit"]},
    chunk=Progress, result=PrimeCount,
    description="Counts primes up to `limit` on a CPU-bound worker, with progress.",
)
def primes(payload: Any, ctx: SyncContext) -> PrimeCount:
    limit = payload.get("limit") if isinstance(payload, dict) else None
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_LIMIT:
        raise WarrenError("INVALID_PAYLOAD", f"limit: expected an integer from 0 to {MAX_LIMIT}",
                          {"issues": [{"path": "limit", "message": f"expected an integer from 0 to {MAX_LIMIT}"}]})
    if limit < 2:
        ctx.send_chunk({"progress": 1.0, "found": 0})
        return {"count": 0, "last": None}
    small = base_primes(math.isqrt(limit))
    segment = max(1 << 15, limit // PROGRESS_STEPS + 1)
    found: int = 0
    last: Optional[int] = None
    for low in range(0, limit + 1, segment):
        high = min(low + segment, limit + 1)  # sieve [low, high)
        flags = bytearray([1]) * (high - low)
        for i in range(low, min(2, high)):
            flags[i - low] = 0
        for p in small:
            if p * p >= high:
                break
            start = max(p * p, (low + p - 1) // p * p)
            flags[start - low :: p] = bytes(len(range(start - low, high - low, p)))
        count = flags.count(1)
        if count:
            found += count
            last = low + flags.rindex(1)
        ctx.send_chunk({"progress": round(high / (limit + 1), 4), "found": found})  # raises once cancelled
    return {"count": found, "last": last}


HANDLERS: dict[str, Handler] = {"primes": primes}


def main() -> None:
    worker = worker_from_env("primes-demo")
    worker.handler("primes")(primes)
    worker.run()


if __name__ == "__main__":
    main()
