"""Registry functions of the RabbitMQ transport: announcements go to the
`{ns}.registry` fanout exchange; each consumer reads them from a queue of its
own (exclusive, gone with its connection), so every gateway sees every one."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Awaitable, Callable

import aio_pika

from .. import wire
from ..protocol import Topology, is_valid
from .amqp_consumer import DurableConsumer, broadcast_consumer
from .types import Subscription


def registry_functions(topo: Topology, publishing_channel: Callable[[], Awaitable[Any]],
                       durable_consumer: DurableConsumer) -> dict[str, Callable[..., Any]]:
    async def announce(message: dict[str, Any]) -> None:
        channel = await publishing_channel()
        exchange = await channel.get_exchange(topo.registry_exchange, ensure=False)
        ttl_ms = message.get("ttlMs") if message.get("kind") == "announce" else None
        await exchange.publish(
            aio_pika.Message(
                wire.encode_json(message),
                content_type="application/json",
                type=str(message.get("kind", "")),
                # A heartbeat is stale once the next one is due; never let one linger in a slow queue.
                expiration=None if ttl_ms is None else timedelta(milliseconds=ttl_ms),
            ),
            routing_key="",
            mandatory=False,  # no gateway listening is normal; aio-pika's default (True) would raise on this channel
        )

    def parse(body: bytes) -> dict[str, Any] | None:
        try:
            message = json.loads(body)
        except ValueError:
            return None
        return message if is_valid("announcement", message) else None

    async def consume_announcements(listener: Callable[[dict[str, Any]], None]) -> Subscription:
        return await broadcast_consumer(durable_consumer, topo, topo.registry_exchange, topo.registry_exchange, [""], parse,
                                        "registry message", listener)

    return {"announce": announce, "consume_announcements": consume_announcements}
