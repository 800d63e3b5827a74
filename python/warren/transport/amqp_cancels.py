"""The cancel stream `{ns}.cancels` (packages/protocol/spec/v1/protocol.md, "Cancel message"), as
packages/transport/src/amqp/cancel-stream.ts reads it.

Every cancel is appended to it; a worker reads it from the first offset, so a
cancel sent while no worker ran is still honoured. A worker appends a marker
and waits (at most `markerWaitMs`) until it reads it back: then it has read
every cancel sent before it started, and only then consumes requests.
"""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Collection

from .. import wire
from ..protocol import cancel_stream_reading
from .types import CancelListener

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
