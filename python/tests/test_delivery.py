"""Returned responses (warren.delivery): the retry schedule, and what the worker does with a
response nobody can receive, through the memory transport (which returns a response to a reply
queue nobody declared, as RabbitMQ does with a mandatory publish)."""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import time

import pytest

from warren import ResponseReturned, Undeliverable, delivery, register_handlers
from warren.errors import BrokerUnavailable
from warren.wire import WireProps


# --- the schedule -------------------------------------------------------------------------------

def schedule(remaining_ms=None) -> list[float]:
    """Times (ms after the first return) of the retries made when every publish is returned at once."""
    times, elapsed, retries = [], 0.0, 0
    while (delay := delivery.return_retry_delay_ms(retries, elapsed, None if remaining_ms is None else remaining_ms - elapsed)) is not None:
        elapsed += delay
        times.append(elapsed)
        retries += 1
    return times


def test_retries_after_250_then_500_then_every_second_within_five_seconds():
    assert schedule() == [250, 750, 1750, 2750, 3750, 4750]


def test_no_retry_at_or_past_the_deadline():
    assert schedule(remaining_ms=2000) == [250, 750, 1750]
    assert schedule(remaining_ms=250) == []  # the first retry would land exactly on the deadline
    assert schedule(remaining_ms=0) == []


async def fake_clock():
    """A sleep that advances a fake monotonic clock instead of waiting."""
    now = {"ms": 0.0}

    async def sleep(seconds: float) -> None:
        now["ms"] += seconds * 1000

    return now, sleep


async def test_publish_until_routed_gives_up_with_undeliverable_after_the_window():
    now, sleep = await fake_clock()
    attempts = []

    async def returned(reply_to, envelope):
        attempts.append(now["ms"])
        raise ResponseReturned(reply_to)

    with pytest.raises(Undeliverable) as raised:
        await delivery.publish_until_routed(returned, "q", {"kind": "result"}, sleep=sleep, monotonic_ms=lambda: now["ms"])
    assert attempts == [0, 250, 750, 1750, 2750, 3750, 4750]
    assert raised.value.retries == 6 and raised.value.reply_to == "q"


async def test_publish_until_routed_carries_on_once_a_retry_is_routed():
    now, sleep = await fake_clock()
    published = []

    async def routed_from_the_third_attempt(reply_to, envelope):
        if len(published) < 2:
            published.append(None)
            raise ResponseReturned(reply_to)
        published.append(envelope)

    retries = await delivery.publish_until_routed(routed_from_the_third_attempt, "q", {"kind": "chunk"}, sleep=sleep,
                                                  monotonic_ms=lambda: now["ms"])
    assert retries == 2 and published[-1] == {"kind": "chunk"} and now["ms"] == 750


async def test_an_unexpected_publish_failure_is_not_retried():
    calls = []

    async def broken(reply_to, envelope):
        calls.append(1)
        raise ConnectionError("channel closed")

    with pytest.raises(ConnectionError):
        await delivery.publish_until_routed(broken, "q", {})
    assert calls == [1]


async def test_a_nack_is_retried_on_the_same_schedule_without_spending_a_delivery():
    # A quorum queue nacks for seconds after its leader's node is killed (decision 0010, part d).
    now, sleep = await fake_clock()
    calls = []

    async def nacked_twice(reply_to, envelope):
        calls.append(now["ms"])
        if len(calls) <= 2:
            raise BrokerUnavailable("not confirmed")

    retries = await delivery.publish_until_routed(nacked_twice, "q", {}, sleep=sleep, monotonic_ms=lambda: now["ms"])
    assert retries == 2 and calls == [0, 250, 750]


async def test_a_nack_for_the_whole_window_propagates_as_itself_not_undeliverable():
    now, sleep = await fake_clock()

    async def always_nacked(reply_to, envelope):
        raise BrokerUnavailable("not confirmed")

    with pytest.raises(BrokerUnavailable) as raised:
        await delivery.publish_until_routed(always_nacked, "q", {}, sleep=sleep, monotonic_ms=lambda: now["ms"])
    assert not isinstance(raised.value, Undeliverable) and now["ms"] <= 5_000


async def test_give_up_stops_retrying_with_a_plain_return():
    now, sleep = await fake_clock()

    async def returned(reply_to, envelope):
        raise ResponseReturned(reply_to)

    with pytest.raises(ResponseReturned) as raised:
        await delivery.publish_until_routed(returned, "q", {}, give_up=lambda: now["ms"] >= 750, sleep=sleep,
                                            monotonic_ms=lambda: now["ms"])
    assert not isinstance(raised.value, Undeliverable) and now["ms"] == 750


# --- the worker, on the memory transport -----------------------------------------------------------

@pytest.fixture
def short_window(monkeypatch):
    """The same schedule shape, ten times faster, so the memory tests take well under a second."""
    monkeypatch.setattr(delivery, "RETURN_RETRY_FIRST_DELAYS_MS", (25, 50))
    monkeypatch.setattr(delivery, "RETURN_RETRY_INTERVAL_MS", 100)
    monkeypatch.setattr(delivery, "RETURN_RETRY_WINDOW_MS", 500)


def settled(broker, request_type: str) -> bool:
    """Acked: nothing waiting in the type's queue and nothing delivered but unsettled."""
    queue = broker.requests[request_type]
    return not queue.messages and all(not consumer.unsettled for consumer in queue.consumers)


def outcomes(caplog, request_id: str) -> list[str]:
    return [r.outcome for r in caplog.records if getattr(r, "outcome", None) and request_id in r.getMessage()]


async def test_a_result_nobody_can_receive_is_acked_and_logged_undeliverable(gateway, worker_transport, broker, short_window, caplog):
    runs = []

    async def echo(payload, ctx):
        runs.append(ctx.attempt)
        return payload

    handle = await register_handlers({"echo": echo}, service="t", transport=worker_transport)
    with caplog.at_level(logging.DEBUG, logger="warren.handler"):
        rid = await gateway.request("echo", 1, reply_to="warren.reply.nobody")
        for _ in range(100):
            if outcomes(caplog, rid):
                break
            await asyncio.sleep(0.02)
    assert outcomes(caplog, rid) == ["undeliverable"]
    assert settled(broker, "echo") and runs == [1]  # acked, not handed back for a pointless redelivery
    record = next(r for r in caplog.records if getattr(r, "outcome", None) == "undeliverable")
    assert record.levelno == logging.WARNING and record.request_id == rid
    await handle.close()


async def test_a_reply_queue_declared_during_the_retries_gets_the_answer(gateway, worker_transport, broker, short_window, caplog):
    returns = asyncio.Event()
    real_publish = worker_transport.publish_response

    async def watched_publish(reply_to, envelope, **kw):
        try:
            await real_publish(reply_to, envelope, **kw)
        except ResponseReturned:
            returns.set()
            raise

    async def echo(payload, ctx):
        return payload

    handle = await register_handlers({"echo": echo}, service="t",
                                     transport=dataclasses.replace(worker_transport, publish_response=watched_publish))
    late: asyncio.Queue = asyncio.Queue()
    with caplog.at_level(logging.DEBUG, logger="warren.handler"):
        rid = await gateway.request("echo", "hi", reply_to="warren.reply.late")
        await asyncio.wait_for(returns.wait(), 2)
        await asyncio.sleep(0.1)  # a few retries are returned too
        await gateway.transport.consume_replies("late", lambda response, settle: (late.put_nowait(response), settle()),
                                                prefetch=10)
        final = await asyncio.wait_for(late.get(), 2)
        for _ in range(50):
            if settled(broker, "echo"):
                break
            await asyncio.sleep(0.01)
    assert final["id"] == rid and final["kind"] == "result" and final["data"] == "hi"
    assert settled(broker, "echo") and outcomes(caplog, rid) == ["ok"]
    await handle.close()


async def test_a_chunk_nobody_can_receive_aborts_the_handler_with_disconnected(gateway, worker_transport, broker, short_window, caplog):
    seen: dict = {}
    aborted = asyncio.Event()

    async def stream(payload, ctx):
        await ctx.send_chunk("first")  # queued, not confirmed: the handler goes on
        seen["after"] = True
        try:
            await asyncio.sleep(10)
        except BaseException:
            seen["reason"], seen["cancelled"] = ctx._abort_reason, ctx.cancelled
            try:
                await ctx.send_chunk("more")
            except BaseException as error:
                seen["error"] = error
            aborted.set()
            raise
        return "done"

    handle = await register_handlers({"stream": stream}, service="t", transport=worker_transport)
    with caplog.at_level(logging.DEBUG, logger="warren.handler"):
        rid = await gateway.request("stream", None, reply_to="warren.reply.gone")
        await asyncio.wait_for(aborted.wait(), 3)
        for _ in range(50):
            if settled(broker, "stream") and outcomes(caplog, rid):
                break
            await asyncio.sleep(0.01)
    assert seen["after"] and seen["cancelled"] and seen["reason"] == "DISCONNECTED"
    assert getattr(seen["error"], "code", None) == "DISCONNECTED"
    assert settled(broker, "stream") and outcomes(caplog, rid) == ["undeliverable"]
    await handle.close()


async def test_the_deadline_cuts_the_retries_short(gateway, worker_transport, broker, monkeypatch, caplog):
    # The real (5 s) window; the request's deadline is 400 ms away, so the retries stop well before.
    async def echo(payload, ctx):
        return payload

    handle = await register_handlers({"echo": echo}, service="t", transport=worker_transport)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with caplog.at_level(logging.DEBUG, logger="warren.handler"):
        rid = await gateway.request("echo", 1, reply_to="warren.reply.nobody", deadline=int(time.time() * 1000) + 400)
        for _ in range(200):
            if outcomes(caplog, rid):
                break
            await asyncio.sleep(0.01)
    assert outcomes(caplog, rid) == ["undeliverable"] and settled(broker, "echo")
    assert loop.time() - started < 1.0
    await handle.close()


async def test_the_answer_to_a_malformed_request_nobody_can_receive_is_logged_undeliverable(worker_transport, broker, short_window, caplog):
    async def ok(payload, ctx):
        return "fine"

    handle = await register_handlers({"ok": ok}, service="t", transport=worker_transport)
    with caplog.at_level(logging.WARNING, logger="warren.transport.memory"):
        broker.publish_raw("ok", b"{not json", WireProps(correlation_id="bad-1", reply_to="warren.reply.nobody"))
        for _ in range(100):
            if any(getattr(r, "outcome", None) == "undeliverable" for r in caplog.records):
                break
            await asyncio.sleep(0.02)
    record = next(r for r in caplog.records if getattr(r, "outcome", None) == "undeliverable")
    assert "bad-1" in record.getMessage() and settled(broker, "ok")
    await handle.close()


async def test_a_drain_hands_back_a_request_whose_chunk_is_being_retried_without_waiting_out_the_window(gateway, broker):
    # The real (5 s) window: close() must not sit through it.
    from warren import memory_transport

    returned = asyncio.Event()

    async def stream(payload, ctx):
        await ctx.send_chunk("to nobody")
        return "done"

    transport = memory_transport(broker)
    real_publish = transport.publish_response

    async def watched_publish(reply_to, envelope, **kw):
        try:
            await real_publish(reply_to, envelope, **kw)
        except ResponseReturned:
            returned.set()
            raise

    handle = await register_handlers({"stream": stream}, service="t",
                                     transport=dataclasses.replace(transport, publish_response=watched_publish))
    await gateway.request("stream", None, reply_to="warren.reply.notyet")
    await asyncio.wait_for(returned.wait(), 2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await handle.close(drain_timeout_ms=0)
    assert loop.time() - started < 1.5
    assert broker.depth("stream") == 1  # handed back, not acked: the queue may exist for the next attempt


async def test_a_plain_def_handler_sees_disconnected_from_send_chunk(gateway, worker_transport, broker, short_window):
    from warren import WarrenError

    seen: dict = {}

    def stream(payload, ctx):
        try:
            for _ in range(250):  # each returns once queued; the one after the stream broke raises
                ctx.send_chunk("to nobody")
                time.sleep(0.02)
        except WarrenError as error:
            seen["code"] = error.code
            raise
        return "done"

    handle = await register_handlers({"stream": stream}, service="t", transport=worker_transport)
    await gateway.request("stream", None, reply_to="warren.reply.nobody")
    for _ in range(250):  # the first chunk is given up after the (shortened) 0.5 s window; slack for a loaded machine
        if "code" in seen and settled(broker, "stream"):
            break
        await asyncio.sleep(0.02)
    assert seen == {"code": "DISCONNECTED"} and settled(broker, "stream")
    await handle.close()
