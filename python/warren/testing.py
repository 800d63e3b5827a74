"""Unit-test your handlers without RabbitMQ: an in-memory gateway in front of your worker.

    import pytest
    from warren.testing import serve

    from greeter import worker

    async def test_greets():
        async with serve(worker) as gateway:
            assert await gateway.call("greet", {"name": "Ada"}) == {"greeting": "Hello, Ada"}
            reply = await gateway.request("greet", {"name": "Ada"})   # chunks and result, or the error
            assert reply.chunks == [] and reply.error is None

The worker runs exactly as in production (payload checks, contracts, thread
pool, cancellation, deadlines, the encoder), on `warren.MemoryBroker`; only
the broker is in memory. `call` returns the result or raises the caller's
`WarrenError` (its `code`, `message` and `details` as the browser would see them).
"""
from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from .worker import Worker
from .errors import WarrenError
from .handler import Handler
from .transport.memory import MemoryBroker, memory_transport
from .transport.types import RequestMessage, Subscription, Transport
from .register_handlers import WorkerHandle, register_handlers

#: How long `call`/`request` wait for the final answer by default.
DEFAULT_TIMEOUT_S = 10.0


@dataclass
class Reply:
    """Everything the caller received for one request."""

    id: str
    #: The chunks' data, in order.
    chunks: list[Any] = field(default_factory=list)
    #: The result's data (None when the request ended in an error).
    result: Any = None
    #: The WireError `{code, message, details?}`, or None on success.
    error: dict[str, Any] | None = None

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise _as_warren_error(self.error)


def _as_warren_error(wire_error: dict[str, Any]) -> WarrenError:
    return WarrenError(wire_error["code"], wire_error["message"], wire_error.get("details"))


class Call:
    """One request in flight: read its responses, or cancel it."""

    def __init__(self, gateway: "TestGateway", request_type: str, request_id: str) -> None:
        self.gateway = gateway
        self.type = request_type
        self.id = request_id
        self._queue = gateway._queue(request_id)

    async def next(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
        """The next response envelope (`kind` chunk, result or error)."""
        return await asyncio.wait_for(self._queue.get(), timeout_s)

    async def cancel(self) -> None:
        await self.gateway.transport.publish_cancel(self.type, {"id": self.id, "session": self.gateway.session})

    async def reply(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> Reply:
        """Wait for the final response; every chunk before it is collected."""
        reply = Reply(id=self.id)
        while True:
            response = await self.next(timeout_s)
            if response["kind"] == "chunk":
                reply.chunks.append(response["data"])
            elif response["kind"] == "result":
                reply.result = response["data"]
                return reply
            else:
                reply.error = response["error"]
                return reply


class TestGateway:
    """Plays the gateway on a memory broker: sends requests and cancels, collects the responses."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, broker: MemoryBroker, namespace: str | None = None) -> None:
        self.broker = broker
        self.transport: Transport = memory_transport(broker, namespace)
        self.session = "test-" + uuid.uuid4().hex[:8]
        self._responses: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._subscription: Subscription | None = None

    def _queue(self, request_id: str) -> asyncio.Queue[dict[str, Any]]:
        return self._responses.setdefault(request_id, asyncio.Queue())

    async def start(self) -> "TestGateway":
        def on_response(response: dict[str, Any], settle: Any) -> None:
            self._queue(response["id"]).put_nowait(response)
            settle()

        self._subscription = await self.transport.consume_replies(self.session, on_response, prefetch=1000)
        return self

    async def send(self, request_type: str, payload: Any = None, *, timeout_ms: float | None = None,
                   principal: dict[str, Any] | None = None, traceparent: str | None = None,
                   request_id: str | None = None) -> Call:
        """Publish a request and return it in flight (to read chunk by chunk, or to cancel)."""
        rid = request_id or "r-" + uuid.uuid4().hex[:10]
        call = Call(self, request_type, rid)
        deadline = None if timeout_ms is None else int(time.time() * 1000 + timeout_ms)
        await self.transport.publish_request(RequestMessage(
            id=rid, type=request_type, payload=payload, session=self.session, deadline=deadline,
            principal=principal, traceparent=traceparent,
        ))
        return call

    async def request(self, request_type: str, payload: Any = None, **options: Any) -> Reply:
        """Send a request and wait for its whole answer (chunks, then the result or the error)."""
        call = await self.send(request_type, payload, **options)
        return await call.reply()

    async def call(self, request_type: str, payload: Any = None, **options: Any) -> Any:
        """Send a request and return its result; raise its error as a WarrenError."""
        reply = await self.request(request_type, payload, **options)
        reply.raise_for_error()
        return reply.result

    async def close(self) -> None:
        await self.transport.close()


@contextlib.asynccontextmanager
async def serve(worker: Worker | Mapping[str, Handler], *, namespace: str | None = None,
                **options: Any) -> AsyncIterator[TestGateway]:
    """Run `worker` (a Worker, or a dict of handlers) on a fresh memory broker; yield its gateway.

    `options` are worker options (concurrency, encoder, ...) applied for this run;
    the registry announcement is off unless you pass announce=True.
    """
    if isinstance(worker, Worker) and namespace is None:
        namespace = worker._config.get("namespace")
    broker = MemoryBroker()
    gateway = await TestGateway(broker, namespace).start()
    worker_transport = memory_transport(broker, namespace)
    options.setdefault("announce", False)
    handle: WorkerHandle
    if isinstance(worker, Worker):
        config: dict[str, Any] = {**worker._config, **options, "url": None, "namespace": namespace}
        handle = await register_handlers(worker.handlers, service=worker.service, transport=worker_transport,
                                         contracts=worker.contracts, **config)
    else:
        handle = await register_handlers(worker, service="test", transport=worker_transport, namespace=namespace, **options)
    try:
        yield gateway
    finally:
        await handle.close(drain_timeout_ms=1000)
        await worker_transport.close()
        await gateway.close()


__all__ = ["Call", "Reply", "TestGateway", "serve"]
