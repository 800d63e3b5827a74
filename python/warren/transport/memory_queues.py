"""The memory broker's queues, as packages/transport/src/memory/queues.ts: competing consumers
that honour prefetch, delivery on a later loop turn (as over a socket), unsettled messages given
back to the front in order, expired requests dropped at delivery.

Every queue of the memory transport (requests, replies) is one of these; what each message
means is the transport's part (warren.transport.memory).
"""
from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import wire
from ..protocol import headers as header_names
from .types import Subscription

#: The broker's clock (epoch ms), read at each delivery to drop expired requests.
Clock = Callable[[], int]


@dataclass(eq=False)
class Envelope:
    """A message in a queue: a request's (body, properties) as encoded, or a response as JSON."""

    body: Any
    deliveries: int = 0
    lost: asyncio.Event | None = None


@dataclass(eq=False)
class Consumer:
    """A consumer of one queue; at most `prefetch` of its deliveries unsettled."""

    prefetch: int
    deliver: Callable[[Envelope, Callable[[bool], None]], None]
    unsettled: list[Envelope] = field(default_factory=list)


@dataclass(eq=False)
class Queue:
    """Messages waiting, oldest first, and the consumers competing for them (taken in turn)."""

    messages: deque[Envelope] = field(default_factory=deque)
    consumers: list[Consumer] = field(default_factory=list)
    next: int = 0


def copy_json(value: Any) -> Any:
    """What crosses the wire: a JSON copy, so neither side keeps a reference to the other's objects."""
    return None if value is None else json.loads(wire.encode_json(value))


def _expired(now_ms: Clock, envelope: Envelope) -> bool:
    body = envelope.body
    if not isinstance(body, tuple):
        return False
    deadline = body[1].headers.get(header_names()["deadline"])
    return isinstance(deadline, (int, float)) and deadline <= now_ms()


def pump(now_ms: Clock, queue: Queue) -> None:
    # Deliver on a later loop turn, as a socket would, so callers never re-enter.
    def run() -> None:
        while queue.messages:
            free = [c for c in queue.consumers if len(c.unsettled) < c.prefetch]
            if not free:
                return
            consumer = free[queue.next % len(free)]
            queue.next += 1
            envelope = queue.messages.popleft()
            if _expired(now_ms, envelope):
                continue
            envelope.deliveries += 1
            envelope.lost = asyncio.Event()
            consumer.unsettled.append(envelope)
            consumer.deliver(envelope, _settler(now_ms, queue, consumer, envelope))

    asyncio.get_running_loop().call_soon(run)


def _settler(now_ms: Clock, queue: Queue, consumer: Consumer, envelope: Envelope) -> Callable[[bool], None]:
    def settle(requeue: bool) -> None:
        if envelope not in consumer.unsettled:
            return
        consumer.unsettled.remove(envelope)
        if requeue:
            queue.messages.appendleft(envelope)
        pump(now_ms, queue)

    return settle


def subscribe(now_ms: Clock, queue: Queue, consumer: Consumer) -> Subscription:
    queue.consumers.append(consumer)
    pump(now_ms, queue)

    async def pause() -> None:
        if consumer in queue.consumers:
            queue.consumers.remove(consumer)

    async def close() -> None:
        await pause()
        # Like a closed AMQP channel: everything unsettled goes back, in order, and is lost to us.
        for envelope in reversed(consumer.unsettled):
            queue.messages.appendleft(envelope)
            if envelope.lost is not None:
                envelope.lost.set()
        consumer.unsettled.clear()
        pump(now_ms, queue)

    return Subscription(pause=pause, close=close)
