"""Plain `def` handlers run on a bounded, reused thread pool (issue 14: concurrency overrun)."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from warren import register_handlers

pytestmark = pytest.mark.asyncio


async def test_cancelled_threads_keep_their_slots(gateway, worker_transport):
    busy, most, names = [0], [0], set()
    lock = threading.Lock()
    release = threading.Event()
    saw_cancel = []

    def slow(payload, ctx):
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
            names.add(threading.current_thread().name)
        try:
            while not release.is_set():  # ignores ctx.cancelled on purpose: a handler that does not poll
                time.sleep(0.005)
            saw_cancel.append(ctx.cancelled)
            return payload
        finally:
            with lock:
                busy[0] -= 1

    handle = await register_handlers({"slow": slow}, service="t", transport=worker_transport, concurrency=4)
    ids = [await gateway.request("slow", i) for i in range(8)]
    await asyncio.sleep(0.1)
    for rid in ids:  # cancel them all: the first 4 are running, the rest are waiting
        await gateway.cancel("slow", rid)
    finals = [(await gateway.until_final(rid))[1] for rid in ids[:4]]
    assert all(f["error"]["code"] == "CANCELLED" for f in finals)  # answered at once
    await asyncio.sleep(0.2)
    assert most[0] <= 4 and busy[0] == 4  # the cancelled ones still run, and nothing more was started
    release.set()
    for rid in ids[4:]:
        _, final = await gateway.until_final(rid)
        assert final["error"]["code"] == "CANCELLED"
    for _ in range(100):
        if handle.in_flight() == 0:
            break
        await asyncio.sleep(0.01)
    assert most[0] <= 4 and len(names) <= 4  # reused, never more than `concurrency`
    assert handle.in_flight() == 0
    assert saw_cancel and all(saw_cancel)  # ctx.cancelled reached the threads
    await handle.close()


async def test_threads_are_reused_across_requests(gateway, worker_transport):
    names = set()

    def where(payload, ctx):
        names.add(threading.current_thread().name)
        return payload

    handle = await register_handlers({"where": where}, service="t", transport=worker_transport, concurrency=2)
    for i in range(20):
        await gateway.until_final(await gateway.request("where", i))
    assert 1 <= len(names) <= 2 and all(name.startswith("warren-where") for name in names)
    await handle.close()


async def test_a_def_handler_polls_ctx_cancelled(gateway, worker_transport):
    stopped = threading.Event()

    def polite(payload, ctx):
        while not ctx.cancelled:
            time.sleep(0.005)
        stopped.set()
        return "stopped"

    handle = await register_handlers({"polite": polite}, service="t", transport=worker_transport)
    rid = await gateway.request("polite", None)
    await asyncio.sleep(0.05)
    await gateway.cancel("polite", rid)
    _, final = await gateway.until_final(rid)
    assert final["error"]["code"] == "CANCELLED"
    assert await asyncio.get_running_loop().run_in_executor(None, stopped.wait, 1)
    await handle.close()
