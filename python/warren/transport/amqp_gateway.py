"""Gateway-side functions of the RabbitMQ transport (the real gateway is TypeScript;
these keep the Python seam complete and serve tests and tools)."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

import aio_pika
import aiormq

from .. import wire
from ..errors import BrokerUnavailable, NoHandler
from ..protocol import Topology
from .amqp_cancels import cancel_record
from .types import RequestMessage, Subscription

log = logging.getLogger("warren.transport.amqp")


def request_message(topo: Topology, request: RequestMessage, now_ms: int) -> aio_pika.Message:
    body, props = wire.encode_request(topo, request, now_ms)
    return aio_pika.Message(
        body,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        correlation_id=props.correlation_id,
        message_id=props.message_id,
        reply_to=props.reply_to,
        type=props.type,
        headers=props.headers,
        expiration=None if props.expiration_ms is None else timedelta(milliseconds=props.expiration_ms),
        timestamp=datetime.fromtimestamp(props.timestamp_s or 0, tz=timezone.utc),
    )


def gateway_functions(topo: Topology, manager: Any, publishing_channel: Callable[[], Awaitable[Any]],
                      durable_consumer: Callable[..., Awaitable[Subscription]],
                      settler: Callable[[Any, asyncio.Event, str], Callable[[bool], Awaitable[None]]],
                      append_to_cancel_stream: Callable[[bytes, str], Awaitable[None]]) -> dict[str, Callable[..., Any]]:
    returning: dict[str, Any] = {"channel": None}
    lock = asyncio.Lock()

    async def returning_channel() -> Any:
        # Mandatory publishes need on_return_raises so a basic.return becomes NO_HANDLER.
        async with lock:
            channel = returning["channel"]
            if channel is None or channel.is_closed:
                conn = manager.current()
                if conn is None:
                    raise BrokerUnavailable()
                channel = returning["channel"] = await conn.channel(publisher_confirms=True, on_return_raises=True)
            return channel

    async def publish_request(request: RequestMessage) -> None:
        channel = await returning_channel()
        exchange = await channel.get_exchange(topo.requests_exchange, ensure=False)
        message = request_message(topo, request, int(time.time() * 1000))
        try:
            await exchange.publish(message, routing_key=request.type, mandatory=True)
        except aiormq.exceptions.PublishError:
            raise NoHandler(request.type) from None

    async def publish_cancel(request_type: str, cancel: dict[str, str]) -> None:
        channel = await publishing_channel()
        exchange = await channel.get_exchange(topo.control_exchange, ensure=False)
        live = {"id": cancel["id"], "session": cancel["session"]}
        # Live workers hear it on the control exchange; the stream keeps it for workers that start later.
        await asyncio.gather(
            exchange.publish(aio_pika.Message(wire.encode_json(live), content_type="application/json"), routing_key=request_type,
                             mandatory=False),  # no worker holding the id is normal
            append_to_cancel_stream(cancel_record(request_type, live, int(time.time() * 1000)), request_type),
        )

    async def consume_replies(session: str, listener: Callable[[dict[str, Any], Callable[[], None]], None], *, prefetch: int) -> Subscription:
        queue_name = topo.reply_queue(session)

        async def start(conn: Any, channel: Any, lost: asyncio.Event) -> Any:
            await channel.set_qos(prefetch_count=prefetch)
            queue = await channel.declare_queue(queue_name, durable=True, arguments=topo.reply_queue_arguments())

            async def on_message(message: Any) -> None:
                settle = settler(message, lost, queue_name)
                try:
                    envelope = json.loads(message.body)
                except ValueError:
                    log.warning("dropping a malformed response on %s", queue_name)
                    await settle(False)
                    return
                loop = asyncio.get_running_loop()

                def done() -> None:
                    asyncio.ensure_future(settle(False))

                listener(envelope, done)

            return queue, await queue.consume(on_message, no_ack=False)

        return await durable_consumer(queue_name, start)

    return {"publish_request": publish_request, "publish_cancel": publish_cancel, "consume_replies": consume_replies}
