"""The cancel stream `{ns}.cancels` (packages/protocol/spec/v1/protocol.md, "Cancel message"), as
packages/transport/src/amqp/cancel-stream.ts reads it.

Every cancel is appended to it; a worker reads it from the first offset, so a
cancel sent while no worker ran is still honoured. A worker appends a marker
and waits (at most `markerWaitMs`) until it reads it back: then it has read
every cancel sent before it started, and only then consumes requests.

`cancel_consumer` is the worker's side of both routes: the control exchange (live
workers) and this stream (workers that start later).
"""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Collection, Sequence

from .. import wire
from ..protocol import Topology, cancel_stream_reading
from .amqp_acks import AckBatcher
from .amqp_consumer import DurableConsumer, broadcast_consumer
from .amqp_declare import declare_cancel_stream
from .types import CancelListener, Subscription

log = logging.getLogger("warren.transport.amqp")

#: append(body, message_type, message_id): one persistent, confirmed record on the stream.
Append = Callable[[bytes, str, "str | None"], Awaitable[None]]


def cancel_record(request_type: str, cancel: dict[str, str], at_ms: int) -> bytes:
    """The stream record of a cancel: `{id, session, type, at}` (type and at are informational)."""
    return wire.encode_json({"id": cancel["id"], "session": cancel["session"], "type": request_type, "at": at_ms})


class CancelStreamReader:
    """One pass over the stream on one channel.

    `on_message(type, message_id, body)` for every record in order (the caller acks each);
    records whose AMQP `type` is not a served type are skipped unread, so a worker pays for
    the types it serves only. `caught_up(append)` appends this reader's marker and returns
    once it was read back, or after the wait (logged as a warning).
    """

    def __init__(self, types: Collection[str], instance: str, listener: CancelListener, marker_wait_ms: float | None = None) -> None:
        reading = cancel_stream_reading()
        self._types = frozenset(types)
        self._instance = instance
        self._listener = listener
        self._marker_type: str = reading["markerType"]
        self._wait_s = float(reading["markerWaitMs"] if marker_wait_ms is None else marker_wait_ms) / 1000
        self._nonce = uuid.uuid4().hex
        self._marker_read = asyncio.Event()

    def on_message(self, message_type: str | None, message_id: str | None, body: bytes) -> None:
        if message_type == self._marker_type:
            if message_id == self._nonce:
                self._marker_read.set()
            return
        if message_type is not None and message_type not in self._types:
            return
        cancel = wire.decode_cancel(body)
        if cancel is None:
            log.warning("dropping a malformed cancel record")
            return
        record: Any = json.loads(body)  # decode_cancel parsed it: valid JSON object
        if message_type is None and record.get("type") not in self._types:  # another writer: the body says its type
            return
        at = record.get("at")
        if isinstance(at, (int, float)) and not isinstance(at, bool):
            cancel["at"] = at  # type: ignore[assignment]
        try:
            self._listener(cancel)
        except Exception:  # noqa: BLE001
            log.exception("cancel listener failed")

    async def caught_up(self, append: Append) -> None:
        body = wire.encode_json({"kind": "marker", "instance": self._instance, "nonce": self._nonce})
        try:
            await append(body, self._marker_type, self._nonce)
        except Exception as error:  # noqa: BLE001 - a worker never stalls on the marker
            log.warning("could not append a marker to the cancel stream (%s); consuming requests without waiting for it", error)
            return
        try:
            await asyncio.wait_for(self._marker_read.wait(), self._wait_s)
        except asyncio.TimeoutError:
            log.warning("the cancel stream marker did not come back within %.0f ms; consuming requests anyway "
                        "(a cancel sent while no worker ran may be missed)", self._wait_s * 1000)


ConsumeCancels = Callable[..., Awaitable[Subscription]]


def cancel_consumer(topo: Topology, durable_consumer: DurableConsumer, append: Append, connection_name: str,
                    marker_wait_ms: float | None) -> ConsumeCancels:
    """consume_cancels(types, listener, instance=None): the control exchange and the stream, as one subscription."""

    async def consume_cancels(types: Sequence[str], listener: CancelListener, instance: str | None = None) -> Subscription:
        live = await consume_live_cancels(types, listener)
        reading = cancel_stream_reading()

        async def start(conn: Any, channel: Any, lost: asyncio.Event) -> Any:
            # Read from the first offset on every (re)start: cheap (bounded by the stream's retention)
            # and the only way to learn what was sent meanwhile. The manager runs setups in order, so
            # after a reconnect the request consumers (registered later) wait for this marker too.
            reader = CancelStreamReader(types, instance or connection_name, listener, marker_wait_ms)
            try:
                await channel.set_qos(prefetch_count=int(reading["prefetch"]))
                queue = await declare_cancel_stream(channel, topo)
                acks = AckBatcher(channel.channel)

                async def on_message(message: Any) -> None:
                    acks.delivered(message.delivery_tag)
                    try:
                        reader.on_message(message.type, message.message_id, message.body)
                    finally:
                        # A stream consumer gets more only as it acks (its qos is its credit).
                        acks.ack(message.delivery_tag)

                tag = await queue.consume(on_message, no_ack=False, arguments={"x-stream-offset": "first"})
            except Exception as error:  # noqa: BLE001 - the live path still works; the channel's loss retries this
                log.warning("could not read the cancel stream %s: %s", topo.cancel_stream, error)
                return None, None
            await reader.caught_up(append)
            return queue, tag

        stream = await durable_consumer(f"{topo.cancel_stream}:{','.join(types)}", start)

        async def pause() -> None:
            await live.pause()
            await stream.pause()

        async def close() -> None:
            await live.close()
            await stream.close()

        return Subscription(pause=pause, close=close)

    async def consume_live_cancels(types: Sequence[str], listener: CancelListener) -> Subscription:
        return await broadcast_consumer(durable_consumer, topo, f"{topo.control_exchange}:{','.join(types)}", topo.control_exchange,
                                        types, wire.decode_cancel, "cancel", listener)

    return consume_cancels
