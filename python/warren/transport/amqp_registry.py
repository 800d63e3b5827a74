"""Registry functions of the RabbitMQ transport: announcements go to the
`{ns}.registry` fanout exchange; each consumer reads them from a queue of its
own (exclusive, gone with its connection), so every gateway sees every one."""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any, Awaitable, Callable

import aio_pika

from .. import wire
from ..protocol import Topology, is_valid
from .types import Subscription

log = logging.getLogger("warren.transport.amqp")


def registry_functions(topo: Topology, publishing_channel: Callable[[], Awaitable[Any]],
                       durable_consumer: Callable[..., Awaitable[Subscription]],
                       declare_exchanges: Callable[[Any, Topology], Awaitable[None]]) -> dict[str, Callable[..., Any]]:
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

    async def consume_announcements(listener: Callable[[dict[str, Any]], None]) -> Subscription:
        async def start(conn: Any, channel: Any, lost: asyncio.Event) -> Any:
            await declare_exchanges(channel, topo)
            queue = await channel.declare_queue("", exclusive=True)  # ours alone: every consumer sees every message
            await queue.bind(topo.registry_exchange, routing_key="")

            async def on_message(message: Any) -> None:
                try:
                    body = json.loads(message.body)
                except ValueError:
                    body = None
                if not is_valid("announcement", body):
                    log.warning("dropping a malformed registry message")
                    return
                try:
                    listener(body)
                except Exception:  # noqa: BLE001
                    log.exception("registry listener failed")

            return queue, await queue.consume(on_message, no_ack=True)

        return await durable_consumer(topo.registry_exchange, start)

    return {"announce": announce, "consume_announcements": consume_announcements}
