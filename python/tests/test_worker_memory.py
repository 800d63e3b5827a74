"""Worker behaviour (packages/protocol/spec/v1/protocol.md, Hop 2) through the in-memory transport."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from warren import MemoryBroker, WarrenError, memory_transport, register_handlers
from warren.wire import WireProps

from conftest import MemoryGateway

pytestmark = pytest.mark.asyncio


async def serve(transport, handlers, **options):
    return await register_handlers(handlers, service="test", transport=transport, **options)


async def test_returned_value_is_the_result(gateway, worker_transport):
    async def echo(payload, ctx):
        return {"echo": payload, "attempt": ctx.attempt}

    handle = await serve(worker_transport, {"echo": echo})
    rid = await gateway.request("echo", {"x": 1})
    chunks, final = await gateway.until_final(rid)
    assert chunks == []
    # seq 0 names the worker that picked the attempt up (docs/protocol.md, "Hops").
    assert final.pop("worker")["language"] == "python"
    assert final == {"kind": "result", "id": rid, "seq": 0, "attempt": 1, "data": {"echo": {"x": 1}, "attempt": 1}}
    await handle.close()


async def test_chunks_stream_in_order_then_result_takes_seq_n(gateway, worker_transport):
    async def count(payload, ctx):
        for i in range(payload["n"]):
            await ctx.send_chunk({"i": i})
        return {"count": payload["n"]}

    handle = await serve(worker_transport, {"count": count})
    rid = await gateway.request("count", {"n": 25})
    chunks, final = await gateway.until_final(rid)
    assert [c["seq"] for c in chunks] == list(range(25))
    assert [c["data"]["i"] for c in chunks] == list(range(25))
    assert final["kind"] == "result" and final["seq"] == 25 and final["data"] == {"count": 25}
    await handle.close()


async def test_raised_exception_becomes_worker_error_without_traceback(gateway, worker_transport):
    async def boom(payload, ctx):
        await ctx.send_chunk("before")
        raise RuntimeError("boom")

    handle = await serve(worker_transport, {"boom": boom})
    rid = await gateway.request("boom", None)
    chunks, final = await gateway.until_final(rid)
    assert len(chunks) == 1
    reference = final["error"]["details"]["reference"]
    assert final == {"kind": "error", "id": rid, "seq": 1, "attempt": 1, "error": {
        "code": "WORKER_ERROR", "message": f"The worker failed to handle this request (reference {reference}).",
        "details": {"reference": reference}}}
    assert "Traceback" not in str(final) and "boom" not in str(final)
    await handle.close()


async def test_warren_error_keeps_its_code_and_details(gateway, worker_transport):
    async def picky(payload, ctx):
        raise WarrenError("INVALID_PAYLOAD", "count: expected number", {"issues": [{"path": "count"}]})

    handle = await serve(worker_transport, {"picky": picky})
    rid = await gateway.request("picky", {"count": "x"})
    _, final = await gateway.until_final(rid)
    assert final["error"] == {"code": "INVALID_PAYLOAD", "message": "count: expected number", "details": {"issues": [{"path": "count"}]}}
    await handle.close()


async def test_unknown_error_code_is_refused():
    with pytest.raises(ValueError, match="unknown Warren error code"):
        WarrenError("NOPE", "x")


async def test_result_that_is_not_json_is_a_worker_error(gateway, worker_transport):
    async def odd(payload, ctx):
        return {"when": object()}

    handle = await serve(worker_transport, {"odd": odd})
    _, final = await gateway.until_final(await gateway.request("odd", None))
    assert final["error"]["code"] == "WORKER_ERROR" and "not JSON" in final["error"]["message"]
    await handle.close()


async def test_expired_deadline_answers_timeout_and_never_runs_the_handler():
    # The broker's clock lags (as RabbitMQ's expiration can), so it delivers; the worker must still refuse.
    broker = MemoryBroker(now_ms=lambda: 0)
    gateway = await MemoryGateway(broker).start()
    ran = []

    async def slow(payload, ctx):
        ran.append(payload)
        return "ran"

    handle = await serve(memory_transport(broker), {"slow": slow})
    rid = await gateway.request("slow", 1, deadline=int(time.time() * 1000) - 1000)
    chunks, final = await gateway.until_final(rid)
    assert (chunks, final["kind"], final["error"]["code"], final["seq"]) == ([], "error", "TIMEOUT", 0)
    assert ran == []
    await handle.close()
    await gateway.close()


async def test_deadline_passing_mid_handler_cancels_it_with_timeout(gateway, worker_transport):
    observed = asyncio.Event()

    async def sleepy(payload, ctx):
        assert 0 < ctx.remaining_ms() <= 300
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            observed.set()
            raise

    handle = await serve(worker_transport, {"sleepy": sleepy})
    rid = await gateway.request("sleepy", None, deadline=int(time.time() * 1000) + 300)
    _, final = await gateway.until_final(rid)
    assert final["error"]["code"] == "TIMEOUT" and observed.is_set()
    await handle.close()


async def test_cancel_mid_handler_answers_cancelled(gateway, worker_transport):
    started, observed = asyncio.Event(), asyncio.Event()

    async def long(payload, ctx):
        await ctx.send_chunk("working")
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            assert ctx.cancelled
            observed.set()
            raise

    handle = await serve(worker_transport, {"long": long})
    rid = await gateway.request("long", None)
    await asyncio.wait_for(started.wait(), 2)
    await gateway.transport.publish_cancel("long", {"id": rid, "session": "someone-else"})  # wrong session: ignored
    await asyncio.sleep(0.05)
    assert not observed.is_set()
    await gateway.cancel("long", rid)
    chunks, final = await gateway.until_final(rid)
    assert observed.is_set()
    assert len(chunks) == 1 and final["seq"] == 1 and final["error"]["code"] == "CANCELLED"
    await handle.close()


async def test_request_cancelled_while_queued_is_answered_without_running(gateway, worker_transport, broker):
    release = asyncio.Event()
    ran = []

    async def job(payload, ctx):
        ran.append(payload)
        await release.wait()
        return payload

    handle = await serve(worker_transport, {"job": job}, concurrency=1)
    first = await gateway.request("job", 1)
    second = await gateway.request("job", 2)
    await asyncio.sleep(0.05)
    assert ran == [1] and broker.depth("job") == 1
    await gateway.cancel("job", second)
    await asyncio.sleep(0.02)
    release.set()
    assert (await gateway.until_final(first))[1]["data"] == 1
    _, final = await gateway.until_final(second)
    assert final["error"]["code"] == "CANCELLED" and ran == [1]
    await handle.close()


async def test_sync_handler_runs_in_a_thread_and_streams(gateway, worker_transport):
    threads = []

    def crunch(payload, ctx):
        threads.append(threading.current_thread())
        for i in range(5):
            ctx.send_chunk({"progress": (i + 1) / 5})
        return {"done": True}

    handle = await serve(worker_transport, {"crunch": crunch})
    chunks, final = await gateway.until_final(await gateway.request("crunch", None))
    assert threads[0] is not threading.main_thread()
    assert [c["data"]["progress"] for c in chunks] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert final["data"] == {"done": True} and final["seq"] == 5
    await handle.close()


async def test_sync_handler_does_not_block_the_loop_and_sees_cancellation(gateway, worker_transport):
    saw = []

    def spin(payload, ctx):
        ctx.send_chunk("started")
        end = time.monotonic() + 5
        while time.monotonic() < end and not ctx.cancelled:
            sum(range(1000))
        saw.append(ctx.cancelled)
        ctx.send_chunk("never sent")  # raises Cancelled, ending the thread

    handle = await serve(worker_transport, {"spin": spin})
    rid = await gateway.request("spin", None)
    assert (await gateway.next(rid))["data"] == "started"
    ticks = 0
    for _ in range(5):  # the loop keeps turning while the thread spins
        await asyncio.sleep(0.01)
        ticks += 1
    await gateway.cancel("spin", rid)
    final = await gateway.next(rid)
    assert ticks == 5 and final["error"]["code"] == "CANCELLED" and final["seq"] == 1
    for _ in range(100):
        if saw:
            break
        await asyncio.sleep(0.01)
    assert saw == [True]
    await handle.close()


async def test_concurrency_limit_is_respected(gateway, worker_transport):
    running, peak = 0, 0

    async def work(payload, ctx):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.03)
        running -= 1
        return payload

    handle = await serve(worker_transport, {"work": work}, concurrency=2)
    ids = [await gateway.request("work", i) for i in range(7)]
    results = [(await gateway.until_final(rid))[1]["data"] for rid in ids]
    assert sorted(results) == list(range(7)) and peak == 2
    await handle.close()


async def test_malformed_messages_are_answered_or_dropped_and_the_worker_keeps_serving(gateway, worker_transport, broker):
    async def ok(payload, ctx):
        return "fine"

    handle = await serve(worker_transport, {"ok": ok})
    reply_to = "warren.reply." + gateway.session
    broker.publish_raw("ok", b"{not json", WireProps(correlation_id="bad-1", reply_to=reply_to))
    broker.publish_raw("ok", b"1", WireProps(reply_to=reply_to))  # no correlation_id: nobody to answer
    broker.publish_raw("ok", b"1", WireProps(correlation_id="bad-2"))  # no reply_to
    broker.publish_raw("ok", b"1", WireProps(correlation_id="bad-3", reply_to=reply_to, headers={"x-warren-principal": "[1]"}))
    first = await gateway.next("bad-1")
    assert first["kind"] == "error" and first["error"]["code"] == "INVALID_REQUEST"
    assert (await gateway.next("bad-3"))["error"]["code"] == "INVALID_REQUEST"
    _, final = await gateway.until_final(await gateway.request("ok", None))
    assert final["data"] == "fine" and broker.depth("ok") == 0
    await handle.close()


async def test_ctx_carries_request_facts(gateway, worker_transport, caplog):
    seen = {}

    async def look(payload, ctx):
        seen.update(id=ctx.request_id, type=ctx.request_type, principal=ctx.principal, trace=ctx.traceparent,
                    deadline=ctx.deadline, remaining=ctx.remaining_ms(), cancelled=ctx.cancelled, session=ctx.session)
        ctx.log.info("hello from the handler")
        return None

    handle = await serve(worker_transport, {"look": look})
    deadline = int(time.time() * 1000) + 60_000
    with caplog.at_level("INFO", logger="warren.handler"):
        rid = await gateway.request("look", None, principal={"sub": "u1"}, traceparent="00-abc-def-01", deadline=deadline)
        _, final = await gateway.until_final(rid)
    assert final["kind"] == "result" and final["data"] is None
    assert seen["id"] == rid and seen["type"] == "look" and seen["principal"] == {"sub": "u1"}
    assert seen["trace"] == "00-abc-def-01" and seen["deadline"] == deadline and 0 < seen["remaining"] <= 60_000
    assert seen["cancelled"] is False and seen["session"] == gateway.session
    record = next(r for r in caplog.records if "hello from the handler" in r.getMessage())
    assert rid in record.getMessage() and record.request_id == rid and record.request_type == "look"
    await handle.close()


async def test_close_drains_in_flight_work(gateway, worker_transport, broker):
    async def slow(payload, ctx):
        await asyncio.sleep(0.1)
        return "done"

    handle = await serve(worker_transport, {"slow": slow})
    rid = await gateway.request("slow", None)
    await asyncio.sleep(0.02)
    await handle.close()
    assert (await gateway.until_final(rid))[1]["data"] == "done"
    assert broker.depth("slow") == 0


async def test_unfinished_work_is_handed_back_and_redelivered_with_attempt_2(gateway, broker):
    attempts = []

    async def stubborn(payload, ctx):
        attempts.append(ctx.attempt)
        if ctx.attempt == 1:
            await asyncio.sleep(10)
        return ctx.attempt

    first = await serve(memory_transport(broker), {"stubborn": stubborn})
    rid = await gateway.request("stubborn", None)
    await asyncio.sleep(0.02)
    await first.close(drain_timeout_ms=20)
    assert broker.depth("stubborn") == 1
    second = await serve(memory_transport(broker), {"stubborn": stubborn})
    _, final = await gateway.until_final(rid)
    assert attempts == [1, 2] and final["attempt"] == 2 and final["data"] == 2
    await second.close()


async def test_a_chunk_that_cannot_be_published_hands_the_request_back(gateway, worker_transport):
    """A final message after a missing chunk would leave the caller waiting; a new attempt does not."""
    import dataclasses

    failures = {"left": 1}
    real_publish = worker_transport.publish_response

    async def flaky_publish(reply_to, envelope, **kw):
        if envelope["kind"] == "chunk" and envelope["seq"] == 1 and failures["left"] > 0:
            failures["left"] -= 1
            raise ConnectionError("broker blip")
        await real_publish(reply_to, envelope, **kw)

    async def three(payload, ctx):
        for i in range(3):
            await ctx.send_chunk(i)
        return ctx.attempt

    handle = await serve(dataclasses.replace(worker_transport, publish_response=flaky_publish), {"three": three})
    rid = await gateway.request("three", {})
    chunks, final = await asyncio.wait_for(gateway.until_final(rid), 5)
    assert final["kind"] == "result" and final["attempt"] == 2 and final["data"] == 2
    assert [c["seq"] for c in chunks if c["attempt"] == 2] == [0, 1, 2]
    await handle.close()
