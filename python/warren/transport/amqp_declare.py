"""What the RabbitMQ transport declares: the four exchanges and the cancel stream.

Apart because the publisher's setup, the consumers and the registry all declare
them again where they use them (declaring is idempotent), as
packages/transport/src/amqp/declare-topology.ts does.
"""
from __future__ import annotations

from typing import Any

import aio_pika

from ..protocol import Topology


async def declare_exchanges(channel: Any, topo: Topology) -> None:
    direct, fanout = aio_pika.ExchangeType.DIRECT, aio_pika.ExchangeType.FANOUT
    await channel.declare_exchange(topo.requests_exchange, direct, durable=True)
    await channel.declare_exchange(topo.control_exchange, direct, durable=True)
    await channel.declare_exchange(topo.dead_letter_exchange, fanout, durable=True)
    await channel.declare_exchange(topo.registry_exchange, fanout, durable=True)


async def declare_cancel_stream(channel: Any, topo: Topology) -> Any:
    return await channel.declare_queue(topo.cancel_stream, durable=True, arguments=topo.cancel_stream_arguments())
