"""A dataclass `payload=` (or the handler's annotation) gives the handler a typed value (issue 14)."""
from __future__ import annotations

import dataclasses
from typing import Optional, TypedDict

import pytest

from warren import Worker, register_handlers

pytestmark = pytest.mark.asyncio


@dataclasses.dataclass
class Item:
    sku: str
    quantity: int = 1


@dataclasses.dataclass
class Order:
    customer: str
    items: list[Item]
    note: Optional[str] = None


class Greeting(TypedDict):
    name: str


async def test_payload_dataclass_given_at_registration(gateway, worker_transport):
    worker = Worker(service="t")
    seen = []

    @worker.handler("order", payload=Order)
    async def order(payload, ctx):
        seen.append(payload)
        return sum(i.quantity for i in payload.items)

    handle = await worker.start(transport=worker_transport)
    _, final = await gateway.until_final(await gateway.request("order", {"customer": "c1", "items": [{"sku": "a"}, {"sku": "b", "quantity": 3}]}))
    assert final["data"] == 4
    assert seen == [Order("c1", [Item("a"), Item("b", 3)])]
    await handle.close()


async def test_the_annotation_is_enough_and_is_checked(gateway, worker_transport):
    async def order(payload: Order, ctx) -> int:
        return len(payload.items)

    handle = await register_handlers({"order": order}, service="t", transport=worker_transport)
    _, ok = await gateway.until_final(await gateway.request("order", {"customer": "c", "items": [{"sku": "a"}]}))
    assert ok["data"] == 1
    _, bad = await gateway.until_final(await gateway.request("order", {"customer": "c", "items": [{"quantity": 2}]}))
    assert bad["error"]["code"] == "INVALID_PAYLOAD" and "sku" in bad["error"]["message"]
    await handle.close()


async def test_a_typeddict_payload_is_the_checked_dict(gateway, worker_transport):
    async def greet(payload: Greeting, ctx) -> str:
        return f"Hello, {payload['name']}"

    handle = await register_handlers({"greet": greet}, service="t", transport=worker_transport, contracts={"greet": {"payload": Greeting}})
    _, final = await gateway.until_final(await gateway.request("greet", {"name": "Ada"}))
    assert final["data"] == "Hello, Ada"
    await handle.close()


async def test_a_def_handler_gets_the_dataclass_too(gateway, worker_transport):
    def count(payload: Order, ctx) -> str:
        return type(payload).__name__

    handle = await register_handlers({"count": count}, service="t", transport=worker_transport)
    _, final = await gateway.until_final(await gateway.request("count", {"customer": "c", "items": []}))
    assert final["data"] == "Order"
    await handle.close()
