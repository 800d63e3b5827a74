"""Registry announcements over a real RabbitMQ: every consumer gets each one, and withdrawals arrive."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from warren import amqp_transport, register_handlers
from warren.protocol import topology

from raw_amqp_gateway import AmqpGateway
from conftest import AMQP_URL

pytestmark = [pytest.mark.integration]


async def test_two_listeners_both_see_a_worker_announce_and_withdraw(rabbitmq):
    namespace = "t" + uuid.uuid4().hex[:12]
    listeners = [await amqp_transport(AMQP_URL, namespace), await amqp_transport(AMQP_URL, namespace)]
    seen: list[list[dict]] = [[], []]
    try:
        for transport, bucket in zip(listeners, seen):
            await transport.consume_announcements(bucket.append)

        async def echo(payload, ctx):
            return payload

        handle = await register_handlers({"echo": echo}, service="reg", url=AMQP_URL, namespace=namespace,
                                         contracts={"echo": {"payload": {"type": "object"}}}, instance_id="reg-1")
        for _ in range(100):
            if all(bucket for bucket in seen):
                break
            await asyncio.sleep(0.02)
        await handle.close()
        await asyncio.sleep(0.2)
        for bucket in seen:
            assert bucket[0]["kind"] == "announce" and bucket[0]["instanceId"] == "reg-1"
            assert bucket[0]["types"] == [{"type": "echo", "payload": {"type": "object"}}]
            assert bucket[-1]["kind"] == "withdraw"
    finally:
        for transport in listeners:
            await transport.close()
        await AmqpGateway(AMQP_URL, namespace).delete_everything(["echo"])
        assert topology(namespace).registry_exchange == f"{namespace}.registry"
