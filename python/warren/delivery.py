"""Responses nobody can receive: what happens when the broker returns one.

Every response is published `mandatory`, so a reply address with no queue
behind it (the session's reply queue expired, was lost with its node, or is
not declared yet) comes back as a `basic.return` instead of being confirmed
and silently dropped. The same message is then retried on a fixed schedule,
because a gateway re-declaring the queue a moment later is the common case;
if it is still returned when the window closes, the answer has no recipient
and the caller of `publish_until_routed` gets `Undeliverable`.

The numbers are protocol facts (`replyRetry` in topology.json), shared with the TypeScript SDK.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

from .errors import BrokerUnavailable, ResponseReturned, Undeliverable
from .protocol import topology_facts

_RETRY = topology_facts()["replyRetry"]  # shared with TypeScript: protocol topology.json
#: Delays before the first retries of a returned response, in order.
RETURN_RETRY_FIRST_DELAYS_MS: tuple[float, ...] = tuple(_RETRY["delaysMs"][:-1])
#: Delay between the later retries.
RETURN_RETRY_INTERVAL_MS: float = _RETRY["delaysMs"][-1]
#: No retry is made later than this after the first return.
RETURN_RETRY_WINDOW_MS: float = _RETRY["windowMs"]


def return_retry_delay_ms(retries: int, elapsed_ms: float, remaining_ms: float | None) -> float | None:
    """How long to wait before retry number `retries + 1`, or None to give up.

    `retries`: retries already made; `elapsed_ms`: time since the first return;
    `remaining_ms`: time left until the request's deadline (None = no deadline).
    A retry is only made if it happens within the window and before the deadline.
    """
    first = RETURN_RETRY_FIRST_DELAYS_MS
    delay = first[retries] if retries < len(first) else RETURN_RETRY_INTERVAL_MS
    if elapsed_ms + delay > RETURN_RETRY_WINDOW_MS:
        return None
    if remaining_ms is not None and delay >= remaining_ms:
        return None
    return delay


async def publish_until_routed(
    publish: Callable[[str, dict[str, Any]], Awaitable[None]],
    reply_to: str,
    envelope: dict[str, Any],
    *,
    remaining_ms: Callable[[], float | None] = lambda: None,
    give_up: Callable[[], bool] = lambda: False,
    on_return: Callable[[int], None] | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    monotonic_ms: Callable[[], float] = lambda: time.monotonic() * 1000,
) -> int:
    """Publish `envelope` to `reply_to`; retry it while the broker returns or nacks it. Returns the retries made.

    Raises `Undeliverable` when it is still returned at the end of the window
    (or at the deadline). A nack (`BrokerUnavailable`: a quorum queue nacks
    for seconds after its leader's node died) is retried on the same
    schedule without spending a delivery; still nacked at the end, it
    propagates and the request is handed back. `give_up()` true (e.g. the
    delivery was lost, so the request is redelivered anyway) stops retrying
    with the last error, which callers treat like any failed publish.
    """
    retries = 0
    first_return: float | None = None
    while True:
        try:
            await publish(reply_to, envelope)
            return retries
        except (ResponseReturned, BrokerUnavailable) as failure:
            now = monotonic_ms()
            if first_return is None:
                first_return = now
            if on_return is not None and isinstance(failure, ResponseReturned):
                on_return(retries)
            if give_up():
                raise
            delay = return_retry_delay_ms(retries, now - first_return, remaining_ms())
            if delay is None:
                if isinstance(failure, ResponseReturned):
                    raise Undeliverable(reply_to, retries, now - first_return) from failure
                raise
        await sleep(delay / 1000)
        if give_up():
            raise ResponseReturned(reply_to)
        retries += 1
