"""Which broker node to try next, how long to wait first, and how to name a node in logs."""
from __future__ import annotations

import random
from typing import Callable, Sequence

from yarl import URL

from .urls import redact


def backoff_delay_ms(failures: int, initial_ms: float, max_ms: float, rand: Callable[[], float] = random.random) -> float:
    base = min(max_ms, initial_ms * 2 ** min(failures, 20))
    return float(base * (0.5 + rand() / 2))


def connection_url(url: str, heartbeat_s: int, name: str) -> str:
    """aiormq reads heartbeat and connection name from the URL; explicit ones there win."""
    parsed = URL(url)
    extra = {k: v for k, v in (("heartbeat", str(heartbeat_s)), ("name", name)) if k not in parsed.query}
    return str(parsed.update_query(extra)) if extra else url


def describe(urls: Sequence[str]) -> str:
    return ",".join(redact(url) for url in urls)


def start_index(count: int, rand: Callable[[], float] = random.random) -> int:
    """Where the first attempt starts: random, so the workers started together spread over the nodes."""
    return min(count - 1, int(rand() * count))


def after_failure(index: int, failures: int, count: int) -> tuple[int, int | None]:
    """After `failures` consecutive failed attempts, the last at `index`: the next index, and
    the number of full rounds failed when a backoff is due now (else None: try the next URL at once)."""
    return (index + 1) % count, (failures // count if failures % count == 0 else None)
