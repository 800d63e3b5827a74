"""The response stream (warren.response_stream): pipelined chunks within a window, batch messages,
the final only after every chunk is confirmed; and through a worker, the ack only after the last confirm."""
from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest

from warren import register_handlers
from warren.response_stream import MAX_BATCH, MAX_BATCH_BYTES, ResponseStream
from warren.wire import chunk, encode_json, result

from test_delivery import settled

pytestmark = pytest.mark.asyncio


class HeldConfirms:
    """A fake broker side: every publish waits until the test confirms (or fails) it by hand."""

    def __init__(self) -> None:
        #: (what was published, its confirm), in publish order; what = one envelope or a list (a batch).
        self.calls: list[tuple[object, asyncio.Future[None]]] = []
        self.bodies: list[bytes] = []

    async def one(self, envelope: dict, body: bytes) -> None:
        await self._held(envelope, body)

    async def many(self, envelopes: list[dict], body: bytes) -> None:
        await self._held(list(envelopes), body)

    async def _held(self, what: object, body: bytes) -> None:
        confirm: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.calls.append((what, confirm))
        self.bodies.append(body)
        await confirm

    def confirm(self, index: int, error: BaseException | None = None) -> None:
        future = self.calls[index][1]
        future.set_exception(error) if error is not None else future.set_result(None)


def item(seq: int, data: object = None) -> tuple[dict, bytes]:
    envelope = chunk("r1", seq, 1, seq if data is None else data)
    return envelope, encode_json(envelope)


async def ticks(n: int = 10) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_chunks_are_published_without_waiting_until_the_window_is_full():
    fake = HeldConfirms()
    stream = ResponseStream(fake.one, None, window=4)
    assert [stream.queue(*item(i)) for i in range(4)] == [False, False, False, True]  # the 4th fills the window
    await ticks()
    assert [what["seq"] for what, _ in fake.calls] == [0, 1, 2, 3]  # all out, none confirmed, in order

    waiting = asyncio.ensure_future(stream.wait_for_room())
    await ticks()
    assert not waiting.done()  # blocked: 4 unconfirmed > window // 2
    fake.confirm(0)
    await ticks()
    assert not waiting.done()  # 3 unconfirmed is still more than 2
    fake.confirm(1)
    await ticks()
    assert waiting.done() and waiting.exception() is None


async def test_the_final_leaves_after_every_chunk_is_confirmed_and_returns_after_its_own_confirm():
    fake = HeldConfirms()
    stream = ResponseStream(fake.one, None, window=256)
    for i in range(3):
        stream.queue(*item(i))
    final = result("r1", 3, 1, "done")
    finishing = asyncio.ensure_future(stream.final(final, encode_json(final)))
    await ticks()
    assert len(fake.calls) == 3  # the final waits: a chunk could still fail
    for i in (2, 0, 1):  # confirms in any order
        fake.confirm(i)
    await ticks()
    assert [what["seq"] for what, _ in fake.calls] == [0, 1, 2, 3] and not finishing.done()
    fake.confirm(3)
    await ticks()
    assert finishing.done() and finishing.exception() is None


async def test_a_failed_confirm_breaks_the_stream_and_no_final_is_sent():
    fake = HeldConfirms()
    broken: list[BaseException] = []
    stream = ResponseStream(fake.one, None, window=256, on_broken=broken.append)
    for i in range(3):
        stream.queue(*item(i))
    await ticks()
    failure = ConnectionError("nacked")
    fake.confirm(1, failure)
    await ticks()
    assert broken == [failure]
    with pytest.raises(ConnectionError):
        stream.queue(*item(3))  # a later chunk is refused
    fake.confirm(0)
    fake.confirm(2)
    final = result("r1", 3, 1, "done")
    with pytest.raises(ConnectionError):
        await stream.final(final, encode_json(final))
    assert len(fake.calls) == 3  # no final after the gap


async def test_chunks_of_one_loop_iteration_leave_as_one_batch_with_the_final():
    fake = HeldConfirms()
    stream = ResponseStream(fake.one, fake.many, window=256)
    for i in range(5):
        stream.queue(*item(i))
    await ticks()
    assert len(fake.calls) == 1
    batch, _ = fake.calls[0]
    assert isinstance(batch, list) and [e["seq"] for e in batch] == [0, 1, 2, 3, 4]
    assert json.loads(fake.bodies[0]) == batch  # the body is the JSON array of the envelopes, in order
    fake.confirm(0)
    await ticks()
    final = result("r1", 7, 1, "done")

    async def last_chunks_then_return() -> None:  # as a handler's last chunks and its return, in one iteration
        stream.queue(*item(5))
        stream.queue(*item(6))
        await stream.final(final, encode_json(final))

    finishing = asyncio.ensure_future(last_chunks_then_return())
    await ticks()
    assert [e["seq"] for e in fake.calls[1][0]] == [5, 6, 7]  # the final with the chunks still queued
    assert json.loads(fake.bodies[1])[-1] == final
    fake.confirm(1)
    await ticks()
    assert finishing.done() and finishing.exception() is None


async def test_a_single_chunk_goes_as_a_plain_message():
    fake = HeldConfirms()
    stream = ResponseStream(fake.one, fake.many, window=256)
    stream.queue(*item(0))
    await ticks()
    assert isinstance(fake.calls[0][0], dict)  # not a batch of one


async def test_batches_are_bounded_by_count_and_bytes():
    fake = HeldConfirms()
    stream = ResponseStream(fake.one, fake.many, window=10_000)
    for i in range(MAX_BATCH * 2 + 10):
        stream.queue(*item(i))
    await ticks()
    assert [len(what) for what, _ in fake.calls] == [MAX_BATCH, MAX_BATCH, 10]  # type: ignore[arg-type]

    fake = HeldConfirms()
    stream = ResponseStream(fake.one, fake.many, window=10_000)
    big = "x" * (MAX_BATCH_BYTES // 3)
    for i in range(5):  # two fit under the cap (with their envelopes); a third would pass it
        stream.queue(*item(i, big))
    stream.queue(*item(5, "y" * MAX_BATCH_BYTES))  # bigger than a batch: alone
    stream.queue(*item(6))
    await ticks()
    shapes = [[e["seq"] for e in what] if isinstance(what, list) else what["seq"] for what, _ in fake.calls]  # type: ignore[index]
    assert shapes == [[0, 1], [2, 3], 4, 5, 6]
    assert all(len(body) <= MAX_BATCH_BYTES for body, (what, _) in zip(fake.bodies, fake.calls) if isinstance(what, list))


async def test_the_worker_acks_only_after_the_last_confirm_and_batches_a_batch_request(gateway, worker_transport, broker):
    held = HeldConfirms()
    real_publish = worker_transport.publish_response

    async def publish_response(reply_to, envelope, **kw):
        await held.one(envelope, kw.get("body") or b"")
        await real_publish(reply_to, envelope, **kw)

    async def publish_responses(reply_to, envelopes, *, body, fast_session=None):
        await held.many(envelopes, body)
        for envelope in envelopes:  # the memory broker carries one response per message
            await real_publish(reply_to, envelope)

    returned = asyncio.Event()

    async def three(payload, ctx):
        for i in range(3):
            await ctx.send_chunk(i)
        await asyncio.sleep(0.05)  # the next chunk in a later loop iteration: its own message
        await ctx.send_chunk(3)
        returned.set()
        return "done"

    transport = dataclasses.replace(worker_transport, publish_response=publish_response, publish_responses=publish_responses)
    handle = await register_handlers({"three": three}, service="t", transport=transport)
    rid = await gateway.request("three", None, batch_replies=True)
    await asyncio.wait_for(returned.wait(), 2)  # the handler ran to its end with nothing confirmed
    await ticks()
    # The first iteration's chunks went as one batch; the last chunk waits with the final for that confirm.
    assert [len(what) for what, _ in held.calls] == [3]  # type: ignore[arg-type]
    assert not settled(broker, "three")
    held.confirm(0)
    for _ in range(50):
        if len(held.calls) == 2:
            break
        await asyncio.sleep(0.01)
    assert [(e["kind"], e["seq"]) for e in held.calls[1][0]] == [("chunk", 3), ("result", 4)]  # type: ignore[union-attr]
    await asyncio.sleep(0.05)
    assert not settled(broker, "three")  # the final is out, not yet confirmed
    held.confirm(1)
    chunks, final = await gateway.until_final(rid)
    assert [c["data"] for c in chunks] == [0, 1, 2, 3] and final["data"] == "done"
    for _ in range(50):
        if settled(broker, "three"):
            break
        await asyncio.sleep(0.01)
    assert settled(broker, "three")
    await handle.close()
