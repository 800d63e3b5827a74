"""Handlers are checked when registered; whatever they do when called is the caller's answer (issue 14)."""
from __future__ import annotations

import asyncio
import inspect

import pytest

from warren import ConfigError, Worker, register_handlers

pytestmark = pytest.mark.asyncio


async def test_a_wrong_signature_is_refused_at_registration(worker_transport):
    async def one_arg(payload):  # the typo of issue 14: ctx forgotten
        return payload

    worker = Worker(service="t")
    with pytest.raises(ConfigError, match=r"handler\(payload, ctx\)"):
        worker.handler("h")(one_arg)
    with pytest.raises(ConfigError, match="one_arg"):
        await register_handlers({"h": one_arg}, service="t", transport=worker_transport)

    def three_args(payload, ctx, extra):
        return None

    with pytest.raises(ConfigError, match="extra"):
        await register_handlers({"h": three_args}, service="t", transport=worker_transport)


async def test_optional_extra_parameters_and_callable_objects_are_accepted(gateway, worker_transport):
    async def with_default(payload, ctx, scale=2):
        return payload * scale

    class Doubler:
        async def __call__(self, payload, ctx):
            return payload * 2

    handle = await register_handlers({"a": with_default, "b": Doubler()}, service="t", transport=worker_transport)
    _, a = await gateway.until_final(await gateway.request("a", 3))
    _, b = await gateway.until_final(await gateway.request("b", 4))
    assert (a["data"], b["data"]) == (6, 8)
    await handle.close()


async def test_a_call_time_failure_is_answered_once_never_redelivered(gateway, worker_transport, broker):
    async def one_arg(payload):
        return payload

    # What a careless decorator leaves behind: a signature that passes the check, a call that fails.
    one_arg.__signature__ = inspect.signature(lambda payload, ctx: None)

    handle = await register_handlers({"h": one_arg}, service="t", transport=worker_transport)
    rid = await gateway.request("h", 1)
    chunks, final = await gateway.until_final(rid, timeout=2)
    assert final["kind"] == "error" and final["error"]["code"] == "WORKER_ERROR" and final["attempt"] == 1
    await asyncio.sleep(0.1)
    assert broker.depth("h") == 0 and handle.in_flight() == 0
    with pytest.raises(asyncio.TimeoutError):  # no second answer: it was not redelivered
        await gateway.next(rid, timeout=0.2)
    await handle.close()


async def test_an_async_generator_streams_each_yielded_value(gateway, worker_transport):
    async def tokens(payload, ctx):
        for word in payload["words"]:
            yield {"token": word}

    handle = await register_handlers({"tokens": tokens}, service="t", transport=worker_transport)
    chunks, final = await gateway.until_final(await gateway.request("tokens", {"words": ["a", "b", "c"]}))
    assert [c["data"] for c in chunks] == [{"token": "a"}, {"token": "b"}, {"token": "c"}]
    assert [c["seq"] for c in chunks] == [0, 1, 2]
    assert final["kind"] == "result" and final["seq"] == 3 and final["data"] is None
    await handle.close()


async def test_an_async_generator_is_cancelled_between_yields(gateway, worker_transport):
    stopped = asyncio.Event()

    async def forever(payload, ctx):
        try:
            i = 0
            while True:
                yield i
                i += 1
                await asyncio.sleep(0.01)
        finally:
            stopped.set()

    handle = await register_handlers({"forever": forever}, service="t", transport=worker_transport)
    rid = await gateway.request("forever", None)
    await gateway.next(rid)
    await gateway.cancel("forever", rid)
    while (response := await gateway.next(rid))["kind"] == "chunk":
        pass
    assert response["error"]["code"] == "CANCELLED"
    await asyncio.wait_for(stopped.wait(), 1)
    await handle.close()


async def test_a_plain_generator_streams_from_its_thread(gateway, worker_transport):
    def squares(payload, ctx):
        for i in range(payload):
            yield i * i

    handle = await register_handlers({"squares": squares}, service="t", transport=worker_transport)
    chunks, final = await gateway.until_final(await gateway.request("squares", 4))
    assert [c["data"] for c in chunks] == [0, 1, 4, 9] and final["kind"] == "result"
    await handle.close()


async def test_an_exception_inside_a_def_handler_is_the_callers_error(gateway, worker_transport):
    def broken(payload, ctx):
        return {}["missing"]

    handle = await register_handlers({"broken": broken}, service="t", transport=worker_transport)
    _, final = await gateway.until_final(await gateway.request("broken", None))
    assert final["error"]["code"] == "WORKER_ERROR" and "missing" not in final["error"]["message"]
    await handle.close()
