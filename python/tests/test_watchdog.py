"""The loop-lag watchdog names the handler that blocked the event loop (issue 14)."""
from __future__ import annotations

import logging
import time

import pytest

from warren import register_handlers
from warren.options import DEFAULTS

pytestmark = pytest.mark.asyncio


async def test_a_blocking_async_handler_is_named_with_the_fix(gateway, worker_transport, caplog, monkeypatch):
    monkeypatch.setitem(DEFAULTS, "loop_lag_warn_ms", 150)  # not the option: the test must run on an SDK without it

    async def blocks(payload, ctx):
        time.sleep(0.5)  # the mistake: a blocking call in an async def
        return "late"

    handle = await register_handlers({"blocks": blocks}, service="t", transport=worker_transport)
    with caplog.at_level(logging.WARNING, logger="warren.watchdog"):
        rid = await gateway.request("blocks", None)
        _, final = await gateway.until_final(rid)
    assert final["data"] == "late"
    messages = [r.getMessage() for r in caplog.records if r.name == "warren.watchdog"]
    assert any("'blocks'" in m and rid in m and "asyncio.to_thread" in m for m in messages), messages
    lasted = [r.lag_ms for r in caplog.records if "was blocked for" in r.getMessage()]
    assert lasted and 400 <= lasted[0] < 2000
    await handle.close()


async def test_a_well_behaved_handler_causes_no_warning(gateway, worker_transport, caplog):
    async def fine(payload, ctx):
        return payload

    handle = await register_handlers({"fine": fine}, service="t", transport=worker_transport, loop_lag_warn_ms=150)
    with caplog.at_level(logging.WARNING, logger="warren.watchdog"):
        for i in range(20):
            await gateway.until_final(await gateway.request("fine", i))
    assert not [r for r in caplog.records if r.name == "warren.watchdog"]
    await handle.close()
