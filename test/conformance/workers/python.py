"""The conformance service on the Python SDK: the SAME types, payloads and
answers as node.ts (the list is there); conformance.int.test.ts runs one list
of cases against each. Change one, change both."""
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "python"))

from warren import Worker, WarrenError  # noqa: E402

worker = Worker(
    service="conformance-python",
    url=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    namespace=os.environ.get("WARREN_NAMESPACE", "warren"),
    concurrency=2,
    # The fast lane for these (conf.typed stays durable-only: a fast call of it falls back).
    fast=["conf.echo", "conf.stream", "conf.sleep", "conf.attempt"],
)

# Worker-local memory of conf.sleep runs, so a test can ask whether a handler saw its abort.
started: set[str] = set()
running: set[str] = set()
observed: dict[str, str] = {}
busy = {"now": 0, "peak": 0}


def abort_code(ctx) -> str:
    """CANCELLED or TIMEOUT: why the handler task was cancelled."""
    try:
        ctx.raise_if_cancelled()
    except WarrenError as error:
        return error.code
    return "UNKNOWN"


@worker.handler("conf.echo")
async def echo(payload, ctx):
    return payload


@worker.handler("conf.stream")
async def stream(payload, ctx):
    for i in range(payload["n"]):
        await ctx.send_chunk({"i": i})
    return {"n": payload["n"]}


@worker.handler("conf.fail")
async def fail(payload, ctx):
    if payload.get("code"):
        raise WarrenError(payload["code"], payload["message"], payload.get("details"))
    raise RuntimeError(payload["message"])


@worker.handler("conf.sleep")
async def sleep(payload, ctx):
    started.add(ctx.request_id)
    running.add(ctx.request_id)
    try:
        await asyncio.sleep(payload["ms"] / 1000)
        return {"slept": payload["ms"]}
    except asyncio.CancelledError:
        observed[ctx.request_id] = abort_code(ctx)
        raise
    finally:
        running.discard(ctx.request_id)


@worker.handler("conf.busy")
async def busy_handler(payload, ctx):
    busy["now"] += 1
    busy["peak"] = max(busy["peak"], busy["now"])
    try:
        await asyncio.sleep(payload["ms"] / 1000)
    finally:
        busy["now"] -= 1
    return {"peak": busy["peak"]}


@worker.handler("conf.cancelled")
async def cancelled(payload, ctx):
    request_id = payload["id"]
    return {
        "started": request_id in started,
        "running": request_id in running,
        "observed": request_id in observed,
        "reason": observed.get(request_id),
    }


@worker.handler("conf.attempt")
async def attempt(payload, ctx):
    return {
        "attempt": ctx.attempt,
        "hasPrincipal": ctx.principal is not None,
        "hasTraceparent": ctx.traceparent is not None,
        "sub": (ctx.principal or {}).get("sub"),
        "traceparent": ctx.traceparent,
    }


@worker.handler(
    "conf.typed",
    payload={
        "type": "object",
        "properties": {"name": {"type": "string", "minLength": 1}, "times": {"type": "integer", "minimum": 1}},
        "required": ["name", "times"],
        "additionalProperties": False,
    },
    result={"type": "object", "properties": {"greeting": {"type": "string"}}, "required": ["greeting"]},
    description="Greets name, times times; the payload schema is declared.",
)
async def typed(payload, ctx):
    return {"greeting": " ".join(f"Hello, {payload['name']}" for _ in range(payload["times"]))}


worker.run()
