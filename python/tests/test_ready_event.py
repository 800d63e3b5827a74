"""The `ready` event: one record on `warren.worker` once every type is consumed, whose text ends in the
JSON event the Node worker logs (same keys), so supervisors and tests wait for a field, not for words."""
from __future__ import annotations

import json
import logging

from warren import MemoryBroker, memory_transport
from warren.register_handlers import register_handlers


async def echo(payload, ctx):
    return payload


async def test_logs_one_ready_event_with_the_node_workers_fields(caplog):
    caplog.set_level(logging.INFO, logger="warren.worker")
    handle = await register_handlers({"echo": echo, "add": echo}, service="svc", namespace="h4ready",
                                     concurrency=3, transport=memory_transport(MemoryBroker(), "h4ready"), announce=False)
    try:
        ready = [r.getMessage() for r in caplog.records if '{"event":"ready"' in r.getMessage()]
        assert len(ready) == 1
        text, _, tail = ready[0].partition(" {")
        event = json.loads("{" + tail)
        assert event == {"event": "ready", "service": "svc", "types": ["echo", "add"], "concurrency": 3,
                         "namespace": "h4ready", "transport": "memory"}  # not announced: no instanceId, as in Node
        assert text.startswith("svc serving echo, add on namespace h4ready")  # the words stay, for people
    finally:
        await handle.close()
