"""A cancel that cannot be lost (packages/protocol/spec/v1/protocol.md, "Cancel message"), as
packages/worker/test/durable-cancel.test.ts and packages/transport/test/cancel-stream.test.ts
check it for Node: the memory broker keeps cancels for later consumers, the
start-up gate waits for the worker's own marker (bounded), and the cancel
memory covers the stream's retention."""
from __future__ import annotations

import asyncio
import json
import logging
import time

from warren import memory_transport, register_handlers
from warren.cancellations import cancel_memory
from warren.protocol import cancel_stream_reading
from warren.transport.amqp_cancels import CancelStreamReader, cancel_record



async def test_a_cancel_sent_while_no_worker_runs_is_honoured_by_the_worker_that_starts_later(gateway, broker):
    runs = []

    async def job(payload, ctx):
        runs.append(ctx.request_id)
        return "ran"

    # A worker declared the queue once, then went away.
    first = await register_handlers({"job": job}, service="test", transport=memory_transport(broker))
    await first.close()
    cancelled = await gateway.request("job", None)
    other = await gateway.request("job", None)
    await gateway.cancel("job", cancelled)
    assert broker.depth("job") == 2

    handle = await register_handlers({"job": job}, service="test", transport=memory_transport(broker))
    _, final = await gateway.until_final(cancelled)
    assert final["kind"] == "error" and final["error"]["code"] == "CANCELLED"
    _, final = await gateway.until_final(other)  # the memory holds (session, id), not the type
    assert final["kind"] == "result" and final["data"] == "ran"
    assert runs == [other]
    assert broker.depth("job") == 0
    await handle.close()


async def test_a_kept_cancel_of_another_session_cancels_nothing(gateway, broker):
    async def job(payload, ctx):
        return "ran"

    await (await register_handlers({"job": job}, service="test", transport=memory_transport(broker))).close()
    rid = await gateway.request("job", None)
    await gateway.transport.publish_cancel("job", {"id": rid, "session": "someone-else"})
    handle = await register_handlers({"job": job}, service="test", transport=memory_transport(broker))
    _, final = await gateway.until_final(rid)
    assert final["kind"] == "result"
    await handle.close()


async def test_memory_consume_cancels_hands_over_kept_ones_of_served_types_before_returning(broker):
    gateway = memory_transport(broker)
    await gateway.publish_cancel("a", {"id": "r-1", "session": "s"})
    await gateway.publish_cancel("b", {"id": "r-2", "session": "s"})
    heard = []
    subscription = await memory_transport(broker).consume_cancels(["a"], heard.append, instance="w")
    assert [(c["id"], isinstance(c["at"], int)) for c in heard] == [("r-1", True)]
    await gateway.publish_cancel("a", {"id": "r-3", "session": "s"})
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert [c["id"] for c in heard] == ["r-1", "r-3"]
    await subscription.close()


# --- the cancel memory -------------------------------------------------------------------------


def test_memory_defaults_cover_the_cancel_stream_a_day_and_100k():
    reading = cancel_stream_reading()
    assert reading["memoryTtlMs"] == 24 * 60 * 60 * 1000 and reading["memoryMaxEntries"] == 100_000
    now = [0.0]
    remember, was_cancelled = cancel_memory(now_ms=lambda: now[0])
    remember("s", "r")
    now[0] = reading["memoryTtlMs"] - 1
    assert was_cancelled("s", "r")
    now[0] = reading["memoryTtlMs"]
    assert not was_cancelled("s", "r")


def test_memory_counts_age_from_when_sent_and_hearing_it_again_never_extends_it():
    now = [10_000.0]
    remember, was_cancelled = cancel_memory(ttl_ms=1000, now_ms=lambda: now[0])
    remember("s", "old", 9_500)  # sent 500 ms ago
    now[0] = 10_499
    assert was_cancelled("s", "old")
    remember("s", "old")  # the live path, or the stream re-read after a reconnect
    now[0] = 10_500
    assert not was_cancelled("s", "old")
    remember("s", "future", 99_999)  # a sender's clock ahead of ours counts as now
    now[0] = 11_499
    assert was_cancelled("s", "future")
    now[0] = 11_500
    assert not was_cancelled("s", "future")


def test_memory_forgets_the_oldest_beyond_its_count():
    remember, was_cancelled = cancel_memory(max_entries=3)
    for rid in "abcd":
        remember("s", rid)
    assert [was_cancelled("s", rid) for rid in "abcd"] == [False, True, True, True]


def test_memory_uses_the_wall_clock_by_default():
    remember, was_cancelled = cancel_memory(ttl_ms=60_000)
    remember("s", "recent", time.time() * 1000 - 30_000)
    remember("s", "stale", time.time() * 1000 - 90_000)
    assert was_cancelled("s", "recent") and not was_cancelled("s", "stale")


# --- the start-up gate on the stream ------------------------------------------------------------


MARKER = cancel_stream_reading()["markerType"]


def make_reader(wait_ms: float = 1000):
    heard: list[dict] = []
    appended: list[tuple[dict, str, str | None]] = []
    reader = CancelStreamReader(["a.job"], "worker-1", heard.append, wait_ms)

    async def append(body: bytes, message_type: str, message_id: str | None) -> None:
        appended.append((json.loads(body), message_type, message_id))

    return reader, heard, appended, append


async def test_gate_returns_once_its_own_marker_is_read_back_with_every_served_cancel_before_it(caplog):
    reader, heard, appended, append = make_reader()
    reader.on_message("a.job", None, cancel_record("a.job", {"id": "r-1", "session": "s"}, 1234))
    gate = asyncio.ensure_future(reader.caught_up(append))
    await asyncio.sleep(0.01)
    assert len(appended) == 1
    body, message_type, message_id = appended[0]
    assert body == {"kind": "marker", "instance": "worker-1", "nonce": message_id} and message_type == MARKER
    reader.on_message(MARKER, "someone-else", b"{}")  # another worker's marker does not open the gate
    await asyncio.sleep(0.01)
    assert not gate.done()
    reader.on_message(MARKER, message_id, json.dumps(body).encode())
    await asyncio.wait_for(gate, 1)
    assert heard == [{"id": "r-1", "session": "s", "at": 1234}]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_gate_skips_other_types_unread_and_drops_malformed_records(caplog):
    reader, heard, _, _ = make_reader()
    reader.on_message("b.other", None, b"not JSON, never parsed")
    reader.on_message("a.job", None, b"not JSON")
    reader.on_message(None, None, cancel_record("b.other", {"id": "r-2", "session": "s"}, 1))  # no AMQP type: the body says
    reader.on_message(None, None, cancel_record("a.job", {"id": "r-3", "session": "s"}, 2))
    assert heard == [{"id": "r-3", "session": "s", "at": 2}]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == ["dropping a malformed cancel record"]


async def test_gate_starts_anyway_with_a_warning_when_the_marker_does_not_come_back(caplog):
    reader, _, _, append = make_reader(50)
    started = time.monotonic()
    await reader.caught_up(append)
    assert time.monotonic() - started >= 0.045
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "marker did not come back" in warnings[0]


async def test_gate_starts_at_once_with_a_warning_when_the_marker_cannot_be_appended(caplog):
    reader, _, _, _ = make_reader()

    async def refused(body: bytes, message_type: str, message_id: str | None) -> None:
        raise RuntimeError("ACCESS_REFUSED")

    await asyncio.wait_for(reader.caught_up(refused), 0.5)
    assert any("could not append a marker" in r.getMessage() for r in caplog.records)
