"""The ack batcher: one basic.ack multiple=true for a turn's contiguous acks, single acks behind a gap."""
from __future__ import annotations

import asyncio

from warren.transport.amqp_acks import AckBatcher


class FakeChannel:
    def __init__(self) -> None:
        self.frames: list[tuple[int, bool]] = []

    async def basic_ack(self, tag: int, multiple: bool = False) -> None:
        self.frames.append((tag, multiple))


async def test_contiguous_acks_of_one_turn_leave_as_one_frame():
    channel = FakeChannel()
    acks = AckBatcher(channel)
    for tag in (1, 2, 3, 4):
        acks.delivered(tag)
    await asyncio.gather(acks.ack(2), acks.ack(1), acks.ack(3))
    assert channel.frames == [(3, True)]
    await acks.ack(4)
    assert channel.frames == [(3, True), (4, False)]


async def test_an_ack_behind_an_unsettled_delivery_goes_alone_at_once():
    channel = FakeChannel()
    acks = AckBatcher(channel)
    for tag in (1, 2, 3):
        acks.delivered(tag)
    await asyncio.gather(acks.ack(2), acks.ack(3))
    assert channel.frames == [(2, False), (3, False)]  # 1 still runs: nothing waits for it
    acks.forget(1)  # requeued instead
    await acks.ack(1)  # no longer outstanding: nothing to send
    assert channel.frames == [(2, False), (3, False)]
