"""warren.testing: users unit-test their handlers against an in-memory gateway (issue 13)."""
from __future__ import annotations

import asyncio
import dataclasses

import pytest

from warren import AppError, Worker
from warren.testing import serve


@dataclasses.dataclass
class Greet:
    name: str


def make_worker() -> Worker:
    worker = Worker(service="greeter", namespace="shop")

    @worker.handler("greet", payload=Greet)
    async def greet(payload: Greet, ctx):
        yield {"token": "Hello"}
        yield {"token": f", {payload.name}"}

    @worker.handler("buy")
    async def buy(payload, ctx):
        raise AppError("OUT_OF_STOCK", "Sold out.")

    @worker.handler("wait")
    async def wait(payload, ctx):
        await asyncio.sleep(10)

    return worker


async def test_call_returns_the_result_and_request_collects_the_chunks():
    async with serve(make_worker()) as gateway:
        reply = await gateway.request("greet", {"name": "Ada"})
        assert reply.chunks == [{"token": "Hello"}, {"token": ", Ada"}] and reply.error is None
        assert await gateway.call("greet", {"name": "Bo"}) is None


async def test_errors_are_raised_as_the_caller_sees_them():
    async with serve(make_worker()) as gateway:
        with pytest.raises(Exception) as raised:
            await gateway.call("buy", None)
        assert raised.value.code == "WORKER_ERROR" and raised.value.details == {"code": "OUT_OF_STOCK"}
        with pytest.raises(Exception) as invalid:
            await gateway.call("greet", {"nom": "x"})
        assert invalid.value.code == "INVALID_PAYLOAD"


async def test_cancel_and_deadline():
    async with serve(make_worker()) as gateway:
        call = await gateway.send("wait")
        await asyncio.sleep(0.02)
        await call.cancel()
        assert (await call.reply()).error["code"] == "CANCELLED"
        timed = await gateway.request("wait", timeout_ms=50)
        assert timed.error["code"] == "TIMEOUT"


async def test_a_dict_of_handlers_is_served_too():
    async def echo(payload, ctx):
        return payload

    async with serve({"echo": echo}) as gateway:
        assert await gateway.call("echo", [1, 2]) == [1, 2]
