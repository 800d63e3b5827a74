"""Nothing confirmed-and-dropped, against a real RabbitMQ: responses to a reply queue that does
not exist are returned and retried, then acked as undeliverable; a list of broker URLs; quorum
reply queues. Each test uses its own namespace `t<hex>` and deletes its queues and exchanges."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid

import aiormq
import pytest

from warren import RequestMessage, amqp_transport, register_handlers
from warren.transport import amqp_reconnect

from raw_amqp_gateway import AmqpGateway
from conftest import AMQP_URL

pytestmark = [pytest.mark.integration]


@pytest.fixture
async def env(rabbitmq):
    """Yields start(handlers, url=AMQP_URL, **options) -> (gateway, handle); cleans everything up afterwards."""
    namespace = "t" + uuid.uuid4().hex[:12]
    state = {"handles": [], "types": set(), "gateway": AmqpGateway(AMQP_URL, namespace)}

    async def start(handlers, url=AMQP_URL, **options):
        handle = await register_handlers(handlers, service="svc-" + uuid.uuid4().hex[:8], url=url, namespace=namespace,
                                         backoff_initial_ms=50, backoff_max_ms=500, announce=False, **options)
        state["handles"].append(handle)
        state["types"].update(handlers)
        if state["gateway"].connection is None:
            await state["gateway"].start()
        return state["gateway"], handle

    yield start
    for handle in state["handles"]:
        await handle.close(drain_timeout_ms=0)
    await state["gateway"].delete_everything(sorted(state["types"]))


async def waiting_requests(gateway: AmqpGateway, request_type: str) -> int:
    """Messages ready in the type's queue (call after the worker closed: unacked ones are back by then)."""
    channel = await gateway.connection.channel()
    try:
        queue = await channel.declare_queue(gateway.topo.request_queue(request_type), passive=True)
        return queue.declaration_result.message_count
    finally:
        await channel.close()


def records(caplog, text: str, request_id: str | None = None) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage() and (request_id is None or request_id in r.getMessage())]


async def until(predicate, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def test_a_worker_given_a_dead_node_first_moves_on_to_the_live_one(env, monkeypatch, caplog):
    monkeypatch.setattr(amqp_reconnect, "start_index", lambda count, rand: 0)  # the dead node first, every time

    async def echo(payload, ctx):
        return payload

    with caplog.at_level(logging.INFO, logger="warren.transport.amqp"):
        gateway, handle = await env({"echo": echo}, url=f"amqp://guest:guest@127.0.0.1:1,{AMQP_URL}")
    _, final = await gateway.until_final(await gateway.request("echo", "through node 2"))
    assert final["data"] == "through node 2"
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("broker amqp://guest:***@127.0.0.1:1 unreachable") for m in messages)
    assert any(m.startswith("connected to ") and m.endswith("(node 2 of 2)") for m in messages)
    assert handle.status() == "connected"


async def test_an_answer_to_a_missing_reply_queue_is_retried_then_acked_as_undeliverable(env, caplog):
    runs, seen = [], {}

    async def stream(payload, ctx):
        runs.append(ctx.attempt)
        try:
            await ctx.send_chunk("nobody will see this")
            await ctx.send_chunk("nor this")
            await asyncio.sleep(30)  # the chunks are only queued: the failed publish aborts the handler here
        except BaseException as error:
            seen["error"], seen["reason"] = error, ctx._abort_reason
            raise
        return "done"

    gateway, handle = await env({"stream": stream})
    with caplog.at_level(logging.DEBUG, logger="warren.handler"):
        rid = await gateway.request("stream", None, reply_to=gateway.topo.reply_queue("gone" + uuid.uuid4().hex[:8]))
        await until(lambda: records(caplog, "the broker returned a response", rid), 5)
        first_return = time.monotonic()
        await until(lambda: records(caplog, "outcome=undeliverable", rid), 8)
        waited = time.monotonic() - first_return
    # Retried at 0.25, 0.75, 1.75 … 4.75 s after the first return; given up before 5 s (plus round trips).
    assert 4.5 < waited < 6.5, waited
    [warning] = records(caplog, "outcome=undeliverable", rid)
    assert warning.levelno == logging.WARNING and warning.outcome == "undeliverable" and warning.request_id == rid
    assert not [r for r in caplog.records if getattr(r, "outcome", None) == "ok"]
    assert seen["reason"] == "DISCONNECTED"  # the handler was aborted
    await asyncio.sleep(0.5)  # a requeued request would be running again by now
    assert runs == [1]
    await handle.close(drain_timeout_ms=0)
    await asyncio.sleep(0.3)
    assert await waiting_requests(gateway, "stream") == 0  # acked: closing the worker handed nothing back


async def test_a_reply_queue_declared_a_second_after_the_first_return_gets_the_answer(env, caplog):
    async def echo(payload, ctx):
        return {"echo": payload}

    gateway, handle = await env({"echo": echo})
    late_queue = gateway.topo.reply_queue("late" + uuid.uuid4().hex[:8])
    with caplog.at_level(logging.DEBUG, logger="warren.handler"):
        rid = await gateway.request("echo", "hello", reply_to=late_queue)
        await until(lambda: records(caplog, "the broker returned a response", rid), 5)
        await asyncio.sleep(1.0)
        await gateway.consume_reply_queue(late_queue)
        chunks, final = await gateway.until_final(rid, timeout=5)
        await until(lambda: records(caplog, "outcome=ok", rid), 2)
    # seq 0 names the worker that picked the attempt up (docs/protocol.md, "Hops").
    assert final.pop("worker")["language"] == "python"
    assert chunks == [] and final == {"kind": "result", "id": rid, "seq": 0, "attempt": 1, "data": {"echo": "hello"}}
    assert not records(caplog, "outcome=undeliverable")
    await handle.close(drain_timeout_ms=0)
    await asyncio.sleep(0.3)
    assert await waiting_requests(gateway, "echo") == 0


async def test_reply_queues_are_quorum_queues_and_serve_through_warrens_own_gateway_functions(env):
    async def echo(payload, ctx):
        return payload

    gateway, _ = await env({"echo": echo})
    channel = await gateway.connection.channel()
    with pytest.raises(aiormq.exceptions.ChannelPreconditionFailed, match="x-queue-type"):
        await channel.declare_queue(gateway.reply_queue, durable=True, arguments={"x-queue-type": "classic", "x-expires": 300000})

    # warren.transport.amqp_gateway declares the session queue from topology.json too.
    transport = await amqp_transport(AMQP_URL, gateway.topo.namespace)
    session = "py" + uuid.uuid4().hex[:8]
    gateway.extra_reply_queues.append(gateway.topo.reply_queue(session))
    got: asyncio.Queue = asyncio.Queue()
    try:
        await transport.consume_replies(session, lambda response, settle: (got.put_nowait(response), settle()), prefetch=10)
        await transport.publish_request(RequestMessage(id="q-1", type="echo", payload="via quorum", session=session))
        response = await asyncio.wait_for(got.get(), 5)
    finally:
        await transport.close()
    assert response["id"] == "q-1" and response["data"] == "via quorum"
