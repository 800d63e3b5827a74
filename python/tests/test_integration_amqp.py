"""The worker against a real RabbitMQ, with the test playing the gateway (packages/protocol/spec/v1/protocol.md, Hop 2).

Each test uses its own namespace `t<hex>` and deletes its queues and exchanges.
"""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from warren import register_handlers

from raw_amqp_gateway import AmqpGateway, close_connections_named
from conftest import AMQP_URL

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


@pytest.fixture
async def env(rabbitmq):
    """Yields start(handlers, **options) -> (gateway, handle); cleans everything up afterwards."""
    namespace = "t" + uuid.uuid4().hex[:12]
    state = {"handles": [], "types": set(), "gateway": None}

    async def start(handlers, **options):
        service = options.pop("service", "svc-" + uuid.uuid4().hex[:8])
        handle = await register_handlers(handlers, service=service, url=AMQP_URL, namespace=namespace,
                                         backoff_initial_ms=50, backoff_max_ms=500, **options)
        state["handles"].append(handle)
        state["types"].update(handlers)
        if state["gateway"] is None:
            state["gateway"] = await AmqpGateway(AMQP_URL, namespace).start()
        return state["gateway"], handle

    yield start
    for handle in state["handles"]:
        await handle.close(drain_timeout_ms=0)
    gateway = state["gateway"] or AmqpGateway(AMQP_URL, namespace)
    await gateway.delete_everything(sorted(state["types"]))


async def test_result(env):
    async def echo(payload, ctx):
        return {"echo": payload, "attempt": ctx.attempt, "principal": ctx.principal}

    gateway, _ = await env({"echo": echo})
    rid = await gateway.request("echo", {"hello": "world"}, principal={"sub": "u1"})
    chunks, final = await gateway.until_final(rid)
    assert chunks == []
    # seq 0 names the worker that picked the attempt up (docs/protocol.md, "Hops").
    assert final.pop("worker")["language"] == "python"
    assert final == {"kind": "result", "id": rid, "seq": 0, "attempt": 1,
                     "data": {"echo": {"hello": "world"}, "attempt": 1, "principal": {"sub": "u1"}}}


async def test_a_batch_reading_gateway_gets_the_chunks_of_one_iteration_in_one_message(env):
    async def stream(payload, ctx):
        for i in range(payload["n"]):
            await ctx.send_chunk(i)  # queued: nothing here waits for the broker
        return "done"

    gateway, _ = await env({"stream": stream})
    rid = await gateway.request("stream", {"n": 200}, batch=True)
    chunks, final = await gateway.until_final(rid)
    assert [c["data"] for c in chunks] == list(range(200)) and final["data"] == "done" and final["seq"] == 200
    assert gateway.message_sizes == [128, 73]  # at most 128 a message, the final with the last chunks

    gateway.message_sizes.clear()
    rid = await gateway.request("stream", {"n": 3})  # no x-warren-batch: one response per message
    chunks, final = await gateway.until_final(rid)
    assert [c["data"] for c in chunks] == [0, 1, 2] and gateway.message_sizes == [1, 1, 1, 1]


async def test_request_queue_has_the_topology_arguments(env):
    async def noop(payload, ctx):
        return None

    gateway, _ = await env({"noop": noop})
    # Redeclaring with the arguments from topology.json succeeds only if the worker used exactly those.
    channel = await gateway.connection.channel()
    await channel.declare_queue(gateway.topo.request_queue("noop"), durable=True, arguments=gateway.topo.request_queue_arguments())
    await channel.close()


async def test_hundred_chunk_stream_arrives_in_order(env):
    async def stream(payload, ctx):
        for i in range(100):
            await ctx.send_chunk({"i": i})
        return {"count": 100}

    gateway, _ = await env({"stream": stream})
    rid = await gateway.request("stream", None)
    chunks, final = await gateway.until_final(rid)
    assert [c["seq"] for c in chunks] == list(range(100)) == [c["data"]["i"] for c in chunks]
    assert final["kind"] == "result" and final["seq"] == 100 and final["data"] == {"count": 100}


async def test_thrown_error_is_worker_error_without_traceback(env):
    async def boom(payload, ctx):
        raise ValueError("bad input: 42")

    gateway, _ = await env({"boom": boom})
    _, final = await gateway.until_final(await gateway.request("boom", None))
    # The handler's text never reaches the caller (the random reference may contain "42", so look for the text).
    assert final["error"]["code"] == "WORKER_ERROR" and "bad input" not in str(final["error"])
    assert final["error"]["details"]["reference"] in final["error"]["message"]


async def test_deadline_already_past_answers_timeout_without_running(env):
    ran = []

    async def work(payload, ctx):
        ran.append(payload)
        return "ran"

    gateway, _ = await env({"work": work})
    # No expiration property, so RabbitMQ delivers it and the worker's own check is what's tested.
    rid = await gateway.request("work", 1, deadline_ms=int(time.time() * 1000) - 1_000, set_expiration=False)
    chunks, final = await gateway.until_final(rid)
    assert chunks == [] and final["error"]["code"] == "TIMEOUT" and final["seq"] == 0
    assert ran == []


async def test_cancel_mid_handler_is_observed_within_a_second(env):
    started, observed = asyncio.Event(), asyncio.Event()

    async def long(payload, ctx):
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            observed.set()
            raise

    gateway, _ = await env({"long": long})
    rid = await gateway.request("long", None)
    await asyncio.wait_for(started.wait(), 5)
    sent = time.monotonic()
    await gateway.cancel("long", rid)
    await asyncio.wait_for(observed.wait(), 1)
    assert time.monotonic() - sent < 1
    _, final = await gateway.until_final(rid)
    assert final["error"]["code"] == "CANCELLED"


async def test_concurrency_limit_is_respected(env):
    running, peak = 0, 0

    async def work(payload, ctx):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return payload

    gateway, _ = await env({"work": work}, concurrency=2)
    ids = [await gateway.request("work", i) for i in range(8)]
    assert [(await gateway.until_final(rid))[1]["data"] for rid in ids] == list(range(8))
    assert peak == 2


async def test_malformed_message_is_answered_and_the_worker_keeps_serving(env):
    async def ok(payload, ctx):
        return "fine"

    gateway, _ = await env({"ok": ok})
    await gateway.publish_raw("ok", b"{not json", correlation_id="bad-1", reply_to=gateway.reply_queue)
    assert (await gateway.next("bad-1"))["error"]["code"] == "INVALID_REQUEST"
    _, final = await gateway.until_final(await gateway.request("ok", None))
    assert final["data"] == "fine"


async def test_connection_closed_by_the_broker_then_requests_are_still_served(env):
    async def echo(payload, ctx):
        return payload

    started, observed = asyncio.Event(), asyncio.Event()

    async def long(payload, ctx):
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            observed.set()
            raise

    service = "svc-drop-" + uuid.uuid4().hex[:6]
    gateway, handle = await env({"echo": echo, "long": long}, service=service)
    _, before = await gateway.until_final(await gateway.request("echo", "before"))
    assert before["data"] == "before"

    states = []
    handle.transport.on_status(states.append)
    assert close_connections_named(f"warren-worker:{service}") == 1
    for _ in range(100):
        if "connected" in states:
            break
        await asyncio.sleep(0.1)
    assert states[0] == "reconnecting" and states[-1] == "connected"

    _, after = await gateway.until_final(await gateway.request("echo", "after"), timeout=10)
    assert after["data"] == "after" and after["attempt"] == 1
    # The cancel consumer (a fresh server-named queue) came back too.
    rid = await gateway.request("long", None)
    await asyncio.wait_for(started.wait(), 5)
    await gateway.cancel("long", rid)
    await asyncio.wait_for(observed.wait(), 1)
    assert (await gateway.until_final(rid))[1]["error"]["code"] == "CANCELLED"


async def test_in_flight_request_is_redelivered_with_attempt_2_after_a_drop(env):
    attempts, started = [], asyncio.Event()

    async def slow(payload, ctx):
        attempts.append(ctx.attempt)
        if ctx.attempt == 1:
            started.set()
            await asyncio.sleep(30)
        return ctx.attempt

    service = "svc-redeliver-" + uuid.uuid4().hex[:6]
    gateway, _ = await env({"slow": slow}, service=service)
    rid = await gateway.request("slow", None)
    await asyncio.wait_for(started.wait(), 5)
    assert close_connections_named(f"warren-worker:{service}") == 1
    _, final = await gateway.until_final(rid, timeout=15)
    assert final["kind"] == "result" and final["attempt"] == 2 and attempts == [1, 2]


async def test_close_drains_then_disconnects(env):
    async def slow(payload, ctx):
        await asyncio.sleep(0.2)
        return "done"

    gateway, handle = await env({"slow": slow})
    rid = await gateway.request("slow", None)
    await asyncio.sleep(0.05)
    await handle.close()
    assert (await gateway.until_final(rid))[1]["data"] == "done"
    assert handle.status() == "closed"
