"""Settling a request (publish, ack, hand back) is bounded in time (issue 14: a stuck request after a failed publish)."""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import time

import pytest

from warren import RequestDelivery, register_handlers
from warren.options import DEFAULTS

pytestmark = pytest.mark.asyncio


def hanging_settles(transport):
    """The transport with acks and requeues that never finish (a broker that stopped answering)."""
    async def never() -> None:
        await asyncio.Event().wait()

    async def consume_requests(request_type, listener, *, prefetch):
        def wrapped(delivery: RequestDelivery) -> None:
            listener(dataclasses.replace(delivery, ack=never, requeue=never))

        return await transport.consume_requests(request_type, wrapped, prefetch=prefetch)

    return dataclasses.replace(transport, consume_requests=consume_requests)


async def test_a_failed_publish_then_a_stuck_requeue_frees_the_request(gateway, worker_transport, caplog, monkeypatch):
    # Through DEFAULTS rather than the option, so the same test runs (and fails) on an SDK without it.
    monkeypatch.setitem(DEFAULTS, "settle_timeout_ms", 200)

    async def refused(reply_to, envelope, **kw):
        raise ConnectionError("nacked")

    transport = dataclasses.replace(hanging_settles(worker_transport), publish_response=refused)

    async def echo(payload, ctx):
        return payload

    handle = await register_handlers({"echo": echo}, service="t", transport=transport)
    with caplog.at_level(logging.WARNING, logger="warren.handler"):
        await gateway.request("echo", 1)
        await asyncio.sleep(0.05)
        assert handle.in_flight() == 1
        for _ in range(100):
            if handle.in_flight() == 0:
                break
            await asyncio.sleep(0.01)
    assert handle.in_flight() == 0
    assert any("counting it as lost" in r.getMessage() for r in caplog.records)
    started = time.monotonic()
    await handle.close()
    assert time.monotonic() - started < 1  # nothing left for the drain to wait for


async def test_a_publish_that_never_confirms_is_bounded_too(gateway, worker_transport, monkeypatch):
    monkeypatch.setitem(DEFAULTS, "settle_timeout_ms", 150)

    async def silent(reply_to, envelope, **kw):
        await asyncio.Event().wait()

    transport = dataclasses.replace(hanging_settles(worker_transport), publish_response=silent)

    async def echo(payload, ctx):
        return payload

    handle = await register_handlers({"echo": echo}, service="t", transport=transport)
    await gateway.request("echo", 1)
    for _ in range(100):
        await asyncio.sleep(0.01)
        if handle.in_flight() == 0:
            break
    assert handle.in_flight() == 0
    await handle.close()
