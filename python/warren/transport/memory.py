"""In-process transport with the observable semantics of the RabbitMQ transport, over a
`MemoryBroker` (its queues and consumers: warren.transport.memory_queues).

Mirrors packages/transport/src/memory.ts: unroutable types raise NoHandler,
queues outlive their consumers, competing consumers honour prefetch,
unsettled messages go back to the front of their queue (attempt + 1 for
requests), a response to a reply queue nobody declared is returned
(`ResponseReturned`, as a mandatory publish), expired requests are dropped at delivery, and every message
crosses a wire: requests are encoded to body + properties and parsed again
(so malformed ones can be injected with `MemoryBroker.publish_raw`).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence, cast

from .. import wire
from ..errors import BrokerUnavailable, InvalidRequest, NoHandler, ResponseReturned
from ..protocol import cancel_stream_reading, headers as header_names, is_valid, topology as make_topology
from .malformed import answer_malformed
from .memory_queues import Consumer, Envelope, Queue, copy_json, pump, subscribe
from .types import (
    AnnouncementListener,
    CancelListener,
    ConnectionStatus,
    RequestDelivery,
    RequestListener,
    RequestMessage,
    ResponseListener,
    StatusListener,
    Subscription,
    Transport,
)

log = logging.getLogger("warren.transport.memory")


@dataclass(eq=False)
class MemoryBroker:
    """Shared state of every memory transport made from it (like one RabbitMQ)."""

    now_ms: Callable[[], int] = field(default=lambda: int(time.time() * 1000))
    requests: dict[str, Queue] = field(default_factory=dict)
    replies: dict[str, Queue] = field(default_factory=dict)
    cancels: dict[str, set[CancelListener]] = field(default_factory=dict)
    #: The cancel stream: every cancel `(type, {id, session}, at)`, kept for consumers that come
    #: later; bounded like `{ns}.cancels` (by age and count, from topology.json).
    cancel_log: deque[tuple[str, dict[str, str], int]] = field(default_factory=deque)
    #: Registry listeners: a fanout, each gets a copy; nothing is kept for late ones.
    announcements: set[AnnouncementListener] = field(default_factory=set)
    published_count: int = 0

    def depth(self, request_type: str) -> int:
        """Requests waiting in a type's queue (not yet delivered)."""
        queue = self.requests.get(request_type)
        return len(queue.messages) if queue else 0

    def published(self) -> int:
        """How many requests were published, all types."""
        return self.published_count

    def publish_raw(self, request_type: str, body: bytes, props: wire.WireProps) -> None:
        """Put an arbitrary message on a type's queue, as any AMQP client could."""
        queue = self.requests.get(request_type)
        if queue is None:
            raise NoHandler(request_type)
        self.published_count += 1
        queue.messages.append(Envelope(body=(bytes(body), props)))
        pump(self.now_ms, queue)


def memory_transport(broker: MemoryBroker, namespace: str | None = None) -> Transport:
    topo = make_topology(namespace)
    state: dict[str, Any] = {"status": "connected"}
    listeners: set[StatusListener] = set()
    subscriptions: set[Subscription] = set()

    def ensure_open() -> None:
        if state["status"] == "closed":
            raise BrokerUnavailable("The transport is closed.")

    def track(subscription: Subscription) -> Subscription:
        subscriptions.add(subscription)

        async def close() -> None:
            subscriptions.discard(subscription)
            await subscription.close()

        return Subscription(pause=subscription.pause, close=close)

    def reply_queue(name: str) -> Queue:
        return broker.replies.setdefault(name, Queue())

    def on_status(listener: StatusListener) -> Callable[[], None]:
        listeners.add(listener)
        return lambda: listeners.discard(listener)

    async def publish_request(request: RequestMessage) -> None:
        ensure_open()
        body, props = wire.encode_request(topo, request, broker.now_ms())
        broker.publish_raw(request.type, body, props)

    async def consume_replies(session: str, listener: ResponseListener, *, prefetch: int) -> Subscription:
        ensure_open()

        def deliver(envelope: Envelope, settle: Callable[[bool], None]) -> None:
            listener(copy_json(envelope.body), lambda: settle(False))

        return track(subscribe(broker.now_ms, reply_queue(topo.reply_queue(session)), Consumer(prefetch, deliver)))

    async def publish_cancel(request_type: str, cancel: dict[str, str]) -> None:
        ensure_open()
        at = broker.now_ms()
        kept = {"id": cancel["id"], "session": cancel["session"]}
        broker.cancel_log.append((request_type, kept, at))
        reading = cancel_stream_reading()
        cutoff = at - reading["memoryTtlMs"]
        while broker.cancel_log and (broker.cancel_log[0][2] <= cutoff or len(broker.cancel_log) > reading["memoryMaxEntries"]):
            broker.cancel_log.popleft()
        loop = asyncio.get_running_loop()
        for listener in list(broker.cancels.get(request_type, ())):
            loop.call_soon(listener, {**kept, "at": at})

    async def publish_response(reply_to: str, response: dict[str, Any], *, body: bytes | None = None) -> None:
        ensure_open()
        queue = broker.replies.get(reply_to)
        if queue is None:  # like a mandatory publish RabbitMQ returns: no queue under that name
            raise ResponseReturned(reply_to)
        # What crosses the wire: the encoded body when the worker gave one.
        queue.messages.append(Envelope(body=copy_json(response) if body is None else json.loads(body)))
        pump(broker.now_ms, queue)

    async def consume_requests(request_type: str, listener: RequestListener, *, prefetch: int) -> Subscription:
        ensure_open()
        queue = broker.requests.setdefault(request_type, Queue())
        names = header_names()

        async def reject(error: InvalidRequest, props: wire.WireProps, settle: Callable[[bool], None]) -> None:
            await answer_malformed(error, props, queue=topo.request_queue(request_type), publish=publish_response, log=log)
            settle(False)

        def deliver(envelope: Envelope, settle: Callable[[bool], None]) -> None:
            body, props = envelope.body
            if envelope.deliveries > 1:  # quorum queues count redeliveries in a header
                props = replace(props, headers={**props.headers, names["deliveryCount"]: envelope.deliveries - 1}, redelivered=True)
            try:
                request = wire.decode_request(body, props, request_type=request_type, topo=topo)
            except InvalidRequest as error:
                asyncio.get_running_loop().create_task(reject(error, props, settle))
                return

            async def ack() -> None:
                settle(False)

            async def requeue() -> None:
                settle(True)

            attempt = wire.attempt_from(props.headers, props.redelivered)
            assert envelope.lost is not None  # set by pump (memory_queues) on every delivery
            listener(RequestDelivery(request=request, attempt=attempt, ack=ack, requeue=requeue, lost=envelope.lost))

        return track(subscribe(broker.now_ms, queue, Consumer(prefetch, deliver)))

    async def consume_cancels(types: Sequence[str], listener: CancelListener, instance: str | None = None) -> Subscription:
        ensure_open()
        # Like reading `{ns}.cancels` from its first offset up to one's own marker: every
        # cancel kept so far arrives before this returns.
        served = set(types)
        for request_type, cancel, at in list(broker.cancel_log):
            if request_type in served:
                listener({**cancel, "at": at})
        for request_type in types:
            broker.cancels.setdefault(request_type, set()).add(listener)

        async def close() -> None:
            for request_type in types:
                broker.cancels.get(request_type, set()).discard(listener)

        return track(Subscription(pause=close, close=close))

    async def announce(message: dict[str, Any]) -> None:
        ensure_open()
        copy = copy_json(message)
        if not is_valid("announcement", copy):  # as the RabbitMQ consumer would drop it
            log.warning("dropping a malformed registry message")
            return
        loop = asyncio.get_running_loop()
        for listener in list(broker.announcements):
            loop.call_soon(listener, copy_json(copy))

    async def consume_announcements(listener: AnnouncementListener) -> Subscription:
        ensure_open()
        broker.announcements.add(listener)

        async def close() -> None:
            broker.announcements.discard(listener)

        return track(Subscription(pause=close, close=close))

    async def close() -> None:
        if state["status"] == "closed":
            return
        for subscription in list(subscriptions):
            await subscription.close()
        subscriptions.clear()
        state["status"] = "closed"
        for listener in list(listeners):
            listener("closed")

    return Transport(
        kind="memory",
        status=lambda: cast(ConnectionStatus, state["status"]),
        on_status=on_status,
        publish_request=publish_request,
        consume_replies=consume_replies,
        publish_cancel=publish_cancel,
        consume_requests=consume_requests,
        publish_response=publish_response,
        consume_cancels=consume_cancels,
        announce=announce,
        consume_announcements=consume_announcements,
        close=close,
    )
