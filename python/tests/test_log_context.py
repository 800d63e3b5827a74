"""Every log record emitted during a handler carries the request's id, type and traceparent (issue 14)."""
from __future__ import annotations

import logging

import pytest

from warren import register_handlers

pytestmark = pytest.mark.asyncio

app_log = logging.getLogger("myapp.orders")


async def test_the_applications_own_logger_gets_the_request(gateway, worker_transport, caplog):
    async def in_loop(payload, ctx):
        app_log.info("async handler says hi")
        return None

    def in_thread(payload, ctx):
        app_log.info("def handler says hi")
        return None

    handle = await register_handlers({"a": in_loop, "b": in_thread}, service="t", transport=worker_transport)
    with caplog.at_level(logging.INFO, logger="myapp"):
        ra = await gateway.request("a", None, traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        await gateway.until_final(ra)
        rb = await gateway.request("b", None)
        await gateway.until_final(rb)
        app_log.info("outside any request")
    by_message = {r.getMessage(): r for r in caplog.records if r.name == "myapp.orders"}
    a, b, outside = by_message["async handler says hi"], by_message["def handler says hi"], by_message["outside any request"]
    assert (a.warren_request_id, a.warren_request_type) == (ra, "a")
    assert a.warren_traceparent == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert (b.warren_request_id, b.warren_request_type, b.warren_traceparent) == (rb, "b", None)
    assert outside.warren_request_id is None
    # An application that passes its own `request_id` in extra is not broken by it.
    app_log.info("mine", extra={"request_id": "app-1"})
    await handle.close()
