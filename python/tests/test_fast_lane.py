"""The worker's side of the fast lane (docs/decisions/0016-fast-lane.md): the option, which types it consumes
and announces fast, fast requests at the edge. The same behaviour as packages/worker/test/fast-lane.test.ts."""
from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from warren import ConfigError, MemoryBroker, Worker, memory_transport, register_handlers
from warren.errors import InvalidRequest
from warren.options import normalize_options
from warren.protocol import headers, is_valid, topology
from warren.transport.types import Subscription
from warren.wire import WireProps, decode_request

TOPO = topology("warren")
H = headers()


def with_fast_lane(broker: MemoryBroker) -> tuple[Any, list[tuple[str, int]]]:
    consumed: list[tuple[str, int]] = []

    async def consume_fast_requests(request_type: str, listener: Any, *, prefetch: int) -> Subscription:
        consumed.append((request_type, prefetch))

        async def nothing() -> None:
            return None

        return Subscription(pause=nothing, close=nothing)

    return dataclasses.replace(memory_transport(broker), consume_fast_requests=consume_fast_requests), consumed


async def announced_types(broker: MemoryBroker) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    await memory_transport(broker).consume_announcements(seen.append)
    return seen


def test_the_option_takes_true_false_or_a_list_of_types():
    assert normalize_options(service="s").fast is False
    assert normalize_options(service="s", fast=True).fast is True
    assert normalize_options(service="s", fast=["a", "b"]).fast == ("a", "b")
    for bad in ("a", 1, [1]):
        with pytest.raises(ConfigError, match="fast must be"):
            normalize_options(service="s", fast=bad)


def test_fast_queue_names_and_arguments_come_from_topology_json():
    assert TOPO.fast_queue("lookup") == "warren.fast.lookup"
    assert TOPO.fast_queue_arguments() == {"x-queue-type": "classic"}


def test_a_fast_request_needs_the_session_header_and_a_server_named_reply_to():
    fast = WireProps(correlation_id="r-1", reply_to="amq.gen-xyz", headers={H["version"]: 1, H["session"]: "s1"})
    decoded = decode_request(b'{"a":1}', fast, request_type="lookup", topo=TOPO, fast=True)
    assert decoded.fast is True and decoded.session == "s1" and decoded.reply_to == "amq.gen-xyz"
    assert decode_request(b"1", dataclasses.replace(fast, reply_to="warren.reply.s1", headers={H["session"]: "s1"}),
                          request_type="lookup", topo=TOPO).fast is False
    with pytest.raises(InvalidRequest):
        decode_request(b"1", dataclasses.replace(fast, headers={}), request_type="lookup", topo=TOPO, fast=True)
    with pytest.raises(InvalidRequest):
        decode_request(b"1", dataclasses.replace(fast, reply_to="warren.reply.s1"), request_type="lookup", topo=TOPO, fast=True)


async def test_consumes_and_announces_fast_only_the_listed_types_with_prefetch_concurrency():
    broker = MemoryBroker()
    seen = await announced_types(broker)
    transport, consumed = with_fast_lane(broker)

    async def lookup(payload: Any, ctx: Any) -> Any:
        return payload

    async def write(payload: Any, ctx: Any) -> Any:
        return "ok"

    handle = await register_handlers({"lookup": lookup, "write": write}, service="svc", transport=transport, concurrency=3,
                                     fast=["lookup"])
    await asyncio.sleep(0.05)
    assert consumed == [("lookup", 3)]
    announce = next(m for m in seen if m["kind"] == "announce")
    assert is_valid("announcement", announce)
    assert announce["types"] == [{"type": "lookup", "fast": True}, {"type": "write"}]
    await handle.close()


async def test_the_decorator_form_and_fast_true_cover_their_types():
    broker = MemoryBroker()
    transport, consumed = with_fast_lane(broker)
    worker = Worker(service="svc", fast=["a"])

    @worker.handler("a")
    async def a(payload: Any, ctx: Any) -> Any:
        return 1

    @worker.handler("b", fast=True)
    async def b(payload: Any, ctx: Any) -> Any:
        return 2

    @worker.handler("c")
    async def c(payload: Any, ctx: Any) -> Any:
        return 3

    handle = await worker.start(transport=transport)
    assert sorted(consumed) == [("a", 8), ("b", 8)]
    await handle.close()
    everything, consumed_all = with_fast_lane(broker)
    handle = await register_handlers({"a": a, "b": b}, service="svc", transport=everything, fast=True)
    assert sorted(consumed_all) == [("a", 8), ("b", 8)]
    await handle.close()


async def test_announces_nothing_fast_on_a_transport_without_a_fast_lane():
    broker = MemoryBroker()
    seen = await announced_types(broker)

    async def a(payload: Any, ctx: Any) -> Any:
        return 1

    handle = await register_handlers({"a": a}, service="svc", transport=memory_transport(broker), fast=True)
    await asyncio.sleep(0.05)
    assert next(m for m in seen if m["kind"] == "announce")["types"] == [{"type": "a"}]
    await handle.close()


async def test_refuses_a_fast_type_it_has_no_handler_for():
    async def a(payload: Any, ctx: Any) -> Any:
        return 1

    with pytest.raises(ConfigError, match="fast names 'nope'"):
        await register_handlers({"a": a}, service="svc", transport=memory_transport(MemoryBroker()), fast=["nope"])
