"""The memory transport keeps the observable semantics of packages/transport/src/memory.ts."""
from __future__ import annotations

import asyncio
import time

import pytest

from warren import BrokerUnavailable, MemoryBroker, NoHandler, RequestMessage, memory_transport

pytestmark = pytest.mark.asyncio


def request(i, **fields):
    return RequestMessage(id=f"r-{i}", type="t", payload=i, session="s", **fields)


async def test_unroutable_type_raises_no_handler_and_closed_transport_refuses(broker):
    transport = memory_transport(broker)
    with pytest.raises(NoHandler) as caught:
        await transport.publish_request(request(1))
    assert caught.value.code == "NO_HANDLER"
    await transport.close()
    assert transport.status() == "closed"
    with pytest.raises(BrokerUnavailable):
        await transport.publish_request(request(1))


async def test_queue_outlives_consumers_prefetch_is_honoured_and_close_requeues_in_order(broker):
    transport = memory_transport(broker)
    got = []
    subscription = await transport.consume_requests("t", got.append, prefetch=2)
    for i in range(4):
        await transport.publish_request(request(i))
    await asyncio.sleep(0.01)
    assert [d.request.payload for d in got] == [0, 1] and broker.depth("t") == 2
    await got[0].ack()
    await asyncio.sleep(0.01)
    assert [d.request.payload for d in got] == [0, 1, 2]
    await subscription.close()  # 1 and 2 unsettled: back to the front, in order, and lost to us
    assert got[1].lost.is_set() and broker.depth("t") == 3
    again = []
    await transport.consume_requests("t", again.append, prefetch=10)
    await asyncio.sleep(0.01)
    assert [(d.request.payload, d.attempt) for d in again] == [(1, 2), (2, 2), (3, 1)]
    await got[1].ack()  # settling after close is a no-op
    assert broker.depth("t") == 0
    await transport.close()


async def test_pause_stops_new_deliveries_but_keeps_in_flight_settleable(broker):
    transport = memory_transport(broker)
    got = []
    subscription = await transport.consume_requests("t", got.append, prefetch=1)
    await transport.publish_request(request(1))
    await transport.publish_request(request(2))
    await asyncio.sleep(0.01)
    await subscription.pause()
    await got[0].ack()
    await asyncio.sleep(0.01)
    assert len(got) == 1 and broker.depth("t") == 1 and not got[0].lost.is_set()
    await transport.close()


async def test_expired_requests_are_dropped_at_delivery():
    broker = MemoryBroker()
    transport = memory_transport(broker)
    got = []
    await transport.consume_requests("t", got.append, prefetch=1)
    await transport.publish_request(request(1, deadline=int(time.time() * 1000) - 1))
    await transport.publish_request(request(2))
    await asyncio.sleep(0.01)
    assert [d.request.payload for d in got] == [2]
    await transport.close()
