"""The one seam between Warren's worker core and a broker.

Mirrors packages/transport/src/types.ts: a `Transport` is a record of plain
async functions, built by `memory_transport(...)` (unit tests) or
`amqp_transport(...)` (RabbitMQ). Both keep the same observable semantics.
Differences from the TypeScript seam, both from packages/protocol/spec/v1/protocol.md: a request
carries its `reply_to`, and `publish_response` takes that queue name (the
protocol says "routing key = reply_to"); subscriptions also have `pause()`
(stop new deliveries, keep the ones in flight settle-able) for draining.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Literal

ConnectionStatus = Literal["connecting", "connected", "reconnecting", "closed"]
#: Called on every status change (its return value is ignored).
StatusListener = Callable[[ConnectionStatus], object]


@dataclass(frozen=True)
class RequestMessage:
    """A request as it travels from gateway to worker, parsed once at the edge."""

    id: str
    type: str
    payload: Any
    #: Session that asked; a cancel must name the same one.
    session: str
    #: Queue the responses go to; "" when publishing means `{ns}.reply.{session}`.
    reply_to: str = ""
    #: Absolute deadline, epoch milliseconds; None = none.
    deadline: int | None = None
    #: Verified caller identity, set only by the gateway.
    principal: dict[str, Any] | None = None
    traceparent: str | None = None
    #: Came through the fast lane (docs/decisions/0016-fast-lane.md): its responses go out
    #: non-persistent and unconfirmed to `reply_to` (the gateway's own queue), naming the session.
    fast: bool = False
    #: The request carries `x-warren-batch: 1`: its reply consumer reads batch messages (several responses in one).
    batch_replies: bool = False


@dataclass
class RequestDelivery:
    request: RequestMessage
    #: 1 on first delivery; +1 for each redelivery.
    attempt: int
    #: Done with it: remove from the queue. Never raises; a no-op once settled or lost.
    ack: Callable[[], Awaitable[None]]
    #: Hand it back for another worker (shutdown). Never raises.
    requeue: Callable[[], Awaitable[None]]
    #: Set when the delivery can no longer be settled (channel or connection gone);
    #: the broker redelivers it, so its work should stop.
    lost: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class Subscription:
    #: Stop new deliveries; the ones in flight can still be settled.
    pause: Callable[[], Awaitable[None]]
    #: Stop and hand back everything unsettled (like closing an AMQP channel).
    close: Callable[[], Awaitable[None]]


RequestListener = Callable[[RequestDelivery], None]
#: (response envelope, settle) — call settle() once the response was handled.
ResponseListener = Callable[[dict[str, Any], Callable[[], None]], None]
#: A parsed cancel `{id, session}`, with `at` (epoch ms it was sent) when it came from the cancel stream.
#: The same cancel can arrive more than once (ns.control and the stream): listeners are idempotent.
CancelListener = Callable[[dict[str, Any]], None]
#: A registry message `{kind: "announce" | "withdraw", ...}`.
AnnouncementListener = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Transport:
    kind: Literal["amqp", "memory"]
    status: Callable[[], ConnectionStatus]
    #: Called on every status change; returns an unsubscribe function.
    on_status: Callable[[StatusListener], Callable[[], None]]

    # Gateway side (the Python SDK uses these in tests; a gateway is TypeScript).
    #: Resolves once the broker took the request; raises NoHandler / BrokerUnavailable.
    publish_request: Callable[[RequestMessage], Awaitable[None]]
    #: consume_replies(session, listener, prefetch=) -> Subscription
    consume_replies: Callable[..., Awaitable[Subscription]]
    #: publish_cancel(type, {id, session}): to the live workers (`{ns}.control`) and appended to the
    #: cancel stream (`{ns}.cancels`) for workers that start later; returns once the broker confirmed both.
    publish_cancel: Callable[[str, dict[str, str]], Awaitable[None]]

    # Worker side
    #: consume_requests(type, listener, prefetch=) declares the type's queue and
    #: competes for its requests with other workers.
    consume_requests: Callable[..., Awaitable[Subscription]]
    #: publish_response(reply_to, envelope, body=None, fast_session=None): resolves once the broker confirmed it.
    #: `body`: the envelope already encoded (by the worker's encoder; encoded once), else the transport encodes
    #: it. `fast_session`: a fast-lane response of that session: non-persistent, unconfirmed, never returned.
    publish_response: Callable[..., Awaitable[None]]
    #: consume_cancels(types, listener, instance=None): the live cancels and, first, every one kept in the
    #: cancel stream (read from its start, again after a reconnect). Returns once the stream was read up to
    #: this call (the worker's own marker came back), or after `markerWaitMs` without it (logged).
    consume_cancels: Callable[..., Awaitable[Subscription]]

    # Registry (packages/protocol/spec/v1/protocol.md "Service registry")
    #: announce(message): publish an announcement or withdrawal on `{ns}.registry` (fanout); resolves once confirmed.
    announce: Callable[[dict[str, Any]], Awaitable[None]]
    #: consume_announcements(listener): every registry message from now on, checked against schemas.json; malformed ones are dropped.
    consume_announcements: Callable[[AnnouncementListener], Awaitable[Subscription]]

    close: Callable[[], Awaitable[None]]
    #: consume_fast_requests(type, listener, prefetch=): the type's fast-lane queue (`{ns}.fast.{type}`, classic),
    #: prefetch bounding the handlers running; each delivery acked when its run ends, a redelivered one dropped
    #: unrun (at most once). None: this transport has no fast lane.
    consume_fast_requests: Callable[..., Awaitable[Subscription]] | None = None
    #: publish_responses(reply_to, envelopes, body=, fast_session=None): consecutive responses of one request as
    #: one batch message (type `batch`, body the JSON array `body`), for a request with `batch_replies`; resolves
    #: once confirmed. None: this transport publishes one response per message.
    publish_responses: Callable[..., Awaitable[None]] | None = None
