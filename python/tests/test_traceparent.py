"""W3C traceparent reaches the handler unchanged (ctx.traceparent) and is on every log line of the request."""
from __future__ import annotations

import logging

import pytest

from warren import register_handlers

pytestmark = pytest.mark.asyncio

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_traceparent_arrives_unchanged_and_is_logged(gateway, worker_transport, caplog):
    async def traced(payload, ctx):
        ctx.log.info("working on it")
        return {"traceparent": ctx.traceparent, "principal": ctx.principal}

    handle = await register_handlers({"traced": traced}, service="t", transport=worker_transport)
    with caplog.at_level("INFO", logger="warren.handler"):
        rid = await gateway.request("traced", None, traceparent=TRACEPARENT, principal={"sub": "ada"})
        _, final = await gateway.until_final(rid)
    assert final["data"] == {"traceparent": TRACEPARENT, "principal": {"sub": "ada"}}
    lines = [r for r in caplog.records if getattr(r, "request_id", None) == rid]
    assert lines, "the handler logged nothing for the request"
    for record in lines:
        assert record.traceparent == TRACEPARENT
        assert TRACEPARENT in record.getMessage()
        assert record.principal == "ada"
    await handle.close()


async def test_a_request_without_traceparent_logs_without_one(gateway, worker_transport, caplog):
    def plain(payload, ctx):
        ctx.log.info("no trace here")
        return ctx.traceparent

    handle = await register_handlers({"plain": plain}, service="t", transport=worker_transport)
    with caplog.at_level(logging.INFO, logger="warren.handler"):
        rid = await gateway.request("plain", None)
        _, final = await gateway.until_final(rid)
    assert final["data"] is None
    record = next(r for r in caplog.records if "no trace here" in r.getMessage())
    assert record.traceparent is None and record.getMessage().startswith(f"[plain {rid}#1] ")
    await handle.close()
