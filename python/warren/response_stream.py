"""The response stream behind a handler's `send_chunk` and its final message, as the TypeScript
worker's (packages/worker/src/response-stream.ts).

Chunks are published without waiting for each one's confirm: up to `window` responses may be
queued or unconfirmed before `send_chunk` waits (then down to half of it). When the request
allows batch replies (`x-warren-batch: 1`), the chunks queued within one event-loop iteration
leave as one message (packages/protocol/spec/v1/protocol.md "Response message"), the final
response with them. `final()` returns once every response is confirmed, so the request is acked
only then; the first publish that fails breaks the stream (`on_broken`) and is raised by `final()`.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Awaitable, Callable

#: A batch holds at most this many responses and about this many bytes of chunks (a bigger one
#: travels alone): the gateway's prefetch counts messages, so the byte cap keeps its buffer small.
MAX_BATCH = 128
MAX_BATCH_BYTES = 16 * 1024

Item = tuple[dict[str, Any], bytes]
#: Publishes one encoded response (retries included); resolves once confirmed.
PublishOne = Callable[[dict[str, Any], bytes], Awaitable[None]]
#: Publishes several responses as one batch message: (envelopes, JSON array body).
PublishMany = Callable[[list[dict[str, Any]], bytes], Awaitable[None]]


class ResponseStream:
    __slots__ = ("_one", "_many", "_window", "_on_broken", "_pending", "_unconfirmed", "_queued", "_queued_bytes",
                 "_scheduled", "failure")

    def __init__(self, publish_one: PublishOne, publish_many: PublishMany | None, window: int,
                 on_broken: Callable[[BaseException], None] = lambda _: None) -> None:
        self._one = publish_one
        self._many = publish_many
        self._window = window
        self._on_broken = on_broken
        #: Published, not yet settled, oldest first, with the responses each carries.
        self._pending: deque[tuple[asyncio.Future[None], int]] = deque()
        self._unconfirmed = 0
        self._queued: list[Item] = []
        self._queued_bytes = 0
        self._scheduled = False
        #: The first publish that failed: the caller's stream has a gap.
        self.failure: BaseException | None = None

    def _publish(self, items: list[Item]) -> None:
        if len(items) == 1 or self._many is None:
            envelope, body = items[0]
            confirmed = asyncio.ensure_future(self._one(envelope, body))
        else:
            body = b"[" + b",".join(b for _, b in items) + b"]"
            confirmed = asyncio.ensure_future(self._many([e for e, _ in items], body))
        count = len(items)
        self._unconfirmed += count

        def settled(future: asyncio.Future[None]) -> None:
            error = asyncio.CancelledError() if future.cancelled() else future.exception()
            if error is None:
                self._unconfirmed -= count
            elif self.failure is None and not future.cancelled():
                self.failure = error
                self._on_broken(error)

        confirmed.add_done_callback(settled)
        while self._pending and self._pending[0][0].done():  # a slow stream never waits on them: keep the list short
            self._pending.popleft()
        self._pending.append((confirmed, count))

    def _flush(self) -> None:
        self._scheduled = False
        self._queued_bytes = 0
        if self._queued:
            items, self._queued = self._queued, []
            self._publish(items)

    def _send(self, item: Item) -> None:
        if self._many is None:
            return self._publish([item])
        size = len(item[1])
        if self._queued and self._queued_bytes + size > MAX_BATCH_BYTES:
            self._flush()
        self._queued.append(item)
        self._queued_bytes += size
        if len(self._queued) >= MAX_BATCH or self._queued_bytes >= MAX_BATCH_BYTES:
            self._flush()
        elif not self._scheduled:
            # What else the handler sends in this loop iteration joins this message.
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def queue(self, envelope: dict[str, Any], body: bytes) -> bool:
        """Queue a chunk; True when the window is full and the caller should `wait_for_room()`."""
        if self.failure is not None:
            raise self.failure
        self._send((envelope, body))
        return self._unconfirmed + len(self._queued) >= self._window

    async def wait_for_room(self) -> None:
        """Send what is queued and wait for the oldest publishes until at most half the window is unconfirmed."""
        self._flush()
        limit = self._window // 2
        while self._unconfirmed > limit and self._pending:
            confirmed, _ = self._pending.popleft()
            await asyncio.wait({confirmed})  # not cancelled with the handler: the publish goes on
            if self.failure is not None:
                raise self.failure

    def abandon(self) -> None:
        """The request is handed back or given up: stop what is still being published (a new attempt sends it all again)."""
        self._queued, self._queued_bytes = [], 0
        while self._pending:
            self._pending.popleft()[0].cancel()

    async def _settle_all(self) -> None:
        while self._pending:
            confirmed = self._pending[0][0]
            if not confirmed.done():  # no suspension for what is settled: queued chunks stay to join the final
                await asyncio.wait({confirmed})
            self._pending.popleft()
        if self.failure is not None:
            raise self.failure

    async def final(self, envelope: dict[str, Any], body: bytes) -> None:
        """Send the final response after every chunk; returns once all are confirmed, else raises the first failure.

        The final leaves only once every earlier message is confirmed (or inside the same batch as the
        last chunks): a failed chunk then means no final at all, and the request is handed back for a
        clean new attempt instead of answering with a gap. It costs at most one confirm round trip per
        stream, and none when the whole answer fits one batch.
        """
        if self._many is not None:
            # The chunks still queued (< MAX_BATCH) wait with the final and leave in its message; it is not
            # counted in the bytes: a batch is ≤ 16 KiB of chunks plus it.
            tail, self._queued, self._queued_bytes = self._queued, [], 0
            await self._settle_all()
            self._queued = [*tail, (envelope, body)]
            self._flush()
        else:
            await self._settle_all()
            self._publish([(envelope, body)])
        await self._settle_all()
