"""Requests as a worker consumes them on RabbitMQ: the type's durable queue (bound to the requests
exchange) and its fast queue (packages/protocol/spec/v1/protocol.md, Hop 2; docs/decisions/0016-fast-lane.md).

Both are acked consumers with prefetch = concurrency; they differ in what they do with a message
they cannot run: a malformed request is answered INVALID_REQUEST on the durable queue and dropped
on the fast one, and a redelivered fast request is dropped unrun (at most once).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import aiormq

from .. import wire
from ..errors import ConfigError, InvalidRequest
from ..protocol import Topology
from .amqp_consumer import DurableConsumer, Settle, acked_consumer
from .amqp_declare import declare_exchanges
from .malformed import answer_malformed
from .types import RequestDelivery, RequestListener, RequestMessage, Subscription

log = logging.getLogger("warren.transport.amqp")

ConsumeRequests = Callable[..., Awaitable[Subscription]]


def wire_props(message: Any) -> wire.WireProps:
    return wire.WireProps(
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        type=message.type,
        headers=dict(message.headers or {}),
        message_id=message.message_id,
        redelivered=bool(message.redelivered),
    )


async def declare_work_queue(channel: Any, queue_name: str, arguments: dict[str, Any]) -> Any:
    """The queue, or ConfigError when it exists with other arguments (a precondition failure)."""
    try:
        return await channel.declare_queue(queue_name, durable=True, arguments=arguments)
    except aiormq.exceptions.ChannelPreconditionFailed as error:
        raise ConfigError(
            f"queue {queue_name} already exists with other arguments than {arguments} "
            f"({error}); delete it or use another namespace"
        ) from None


def hand_over(listener: RequestListener, request: RequestMessage, attempt: int, settle: Settle, lost: asyncio.Event,
              queue_name: str) -> None:
    async def ack() -> None:
        await settle(False)

    async def requeue() -> None:
        await settle(True)

    try:
        listener(RequestDelivery(request=request, attempt=attempt, ack=ack, requeue=requeue, lost=lost))
    except Exception:  # noqa: BLE001 - never let one message kill the consumer
        log.exception("request listener failed on %s", queue_name)


@dataclass(frozen=True)
class RequestConsumers:
    consume_requests: ConsumeRequests
    consume_fast_requests: ConsumeRequests


def request_consumers(topo: Topology, durable_consumer: DurableConsumer,
                      publish_response: Callable[[str, dict[str, Any]], Awaitable[None]]) -> RequestConsumers:
    async def consume_requests(request_type: str, listener: RequestListener, *, prefetch: int) -> Subscription:
        queue_name = topo.request_queue(request_type)

        async def declare(channel: Any) -> Any:
            await declare_exchanges(channel, topo)
            queue = await declare_work_queue(channel, queue_name, topo.request_queue_arguments())
            await queue.bind(topo.requests_exchange, routing_key=request_type)
            return queue

        async def handle(message: Any, settle: Settle, lost: asyncio.Event) -> None:
            props = wire_props(message)
            try:
                request = wire.decode_request(message.body, props, request_type=request_type, topo=topo)
            except InvalidRequest as error:
                await answer_malformed(error, props, queue=queue_name, publish=publish_response, log=log)
                return await settle(False)
            hand_over(listener, request, wire.attempt_from(props.headers, props.redelivered), settle, lost, queue_name)

        return await acked_consumer(durable_consumer, queue_name, prefetch, declare, handle)

    async def consume_fast_requests(request_type: str, listener: RequestListener, *, prefetch: int) -> Subscription:
        queue_name = topo.fast_queue(request_type)

        async def declare(channel: Any) -> Any:
            return await declare_work_queue(channel, queue_name, topo.fast_queue_arguments())

        async def handle(message: Any, settle: Settle, lost: asyncio.Event) -> None:
            props = wire_props(message)
            if props.redelivered:
                # At most once: a redelivered fast request may have run (its worker died or handed it back).
                log.info("dropping a redelivered fast request %s on %s (at most once)", props.correlation_id, queue_name)
                return await settle(False)
            try:
                request = wire.decode_request(message.body, props, request_type=request_type, topo=topo, fast=True)
            except InvalidRequest as error:
                log.warning("dropping a malformed fast request on %s: %s", queue_name, error)
                return await settle(False)
            hand_over(listener, request, 1, settle, lost, queue_name)

        # Manual acks with prefetch = concurrency, not auto-ack: RabbitMQ ignores prefetch for
        # auto-ack consumers, so a worker would take the whole queue.
        return await acked_consumer(durable_consumer, queue_name, prefetch, declare, handle)

    return RequestConsumers(consume_requests=consume_requests, consume_fast_requests=consume_fast_requests)
