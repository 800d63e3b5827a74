"""`register_handlers`: serve request types until closed, then drain."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Callable, Mapping, Sequence

from .cancellations import cancel_memory
from .errors import ConfigError
from .handler import Handler, HandlerSpec
from .run_request import handle_delivery
from .runtime import Runtime
from .options import WorkerOptions, handler_specs, normalize_options
from .announcer import Announcer, default_instance_id, start_announcer
from .request_context import install_log_record_factory
from .thread_pool import ThreadPool
from .transport.types import ConnectionStatus, RequestDelivery, Subscription, Transport
from .watchdog import Watchdog, start_watchdog

log = logging.getLogger("warren.worker")


class WorkerHandle:
    """A running worker: `await handle.close()` stops taking work, drains in-flight requests, and disconnects."""

    def __init__(self, options: WorkerOptions, transport: Transport, runtime: Runtime, owns_transport: bool) -> None:
        self.options = options
        self.transport = transport
        self._runtime = runtime
        self._owns_transport = owns_transport
        self._tasks: set[asyncio.Task[None]] = set()
        self._watchdog: Watchdog | None = None
        self._subscriptions: list[Subscription] = []
        self._cancel_subscription: Subscription | None = None
        self._announcer: Announcer | None = None
        self._draining = False
        self._hurry = asyncio.Event()
        self._closed = asyncio.Event()
        self._closing: asyncio.Task[None] | None = None

    def status(self) -> ConnectionStatus:
        return self.transport.status()

    def in_flight(self) -> int:
        """Deliveries being handled right now (all types)."""
        return len(self._tasks)

    def _listener(self, spec: HandlerSpec) -> Callable[[RequestDelivery], None]:
        def on_delivery(delivery: RequestDelivery) -> None:
            loop = asyncio.get_running_loop()
            if self._draining:  # arrived while the consumer was being paused
                asyncio.ensure_future(delivery.requeue())
                return
            # Named so the loop-lag watchdog can say which handler blocked the loop.
            task = loop.create_task(self._guarded(spec, delivery), name=f"warren:{spec.request_type}:{delivery.request.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return on_delivery

    async def _guarded(self, spec: HandlerSpec, delivery: RequestDelivery) -> None:
        try:
            await handle_delivery(self._runtime, spec, delivery)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one bad delivery never stops the worker
            # A failure of Warren's own code, never the handler's (that is the caller's error). Handing the
            # request back could loop; the broker's delivery limit ends it if it does.
            log.exception("unexpected failure handling %s %s", spec.request_type, delivery.request.id)
            try:
                await asyncio.wait_for(delivery.requeue(), self.options.settle_timeout_ms / 1000)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001
                log.warning("could not hand %s back; the broker redelivers it when the channel closes", delivery.request.id)

    def _on_cancel(self, cancel: dict[str, Any]) -> None:
        session, request_id = cancel["session"], cancel["id"]
        self._runtime.remember_cancel(session, request_id, cancel.get("at"))
        job = self._runtime.jobs.get((session, request_id))
        if job is not None:
            job.abort("CANCELLED")

    def hurry(self) -> None:
        """Cut a running drain short: in-flight requests are handed back at once."""
        self._hurry.set()

    async def close(self, drain_timeout_ms: float | None = None) -> None:
        """Stop taking requests, wait up to drain_timeout_ms for in-flight ones, hand back the rest, disconnect."""
        if self._closing is None:
            timeout = self.options.drain_timeout_ms if drain_timeout_ms is None else drain_timeout_ms
            self._closing = asyncio.get_running_loop().create_task(self._drain_and_close(timeout))
        await asyncio.shield(self._closing)

    drain = close

    async def wait_closed(self) -> None:
        await self._closed.wait()

    @property
    def instance_id(self) -> str | None:
        """This worker in the registry (None when announce=False)."""
        return None if self._announcer is None else self._announcer.instance_id

    async def _drain_and_close(self, timeout_ms: float) -> None:
        self._draining = True
        if self._announcer is not None:  # takes no new work: gateways should stop listing it now
            await _quietly(self._announcer.withdraw(), "withdrawing from the registry")
        for subscription in self._subscriptions:
            await _quietly(subscription.pause(), "pausing a consumer")
        pending: set[asyncio.Future[Any]] = set(self._tasks)
        if pending:
            log.info("draining %d in-flight request(s), up to %.0f ms", len(pending), timeout_ms)
            hurry: asyncio.Future[Any] = asyncio.ensure_future(self._hurry.wait())
            deadline = time.monotonic() + timeout_ms / 1000
            while pending and not self._hurry.is_set() and time.monotonic() < deadline:
                _, pending = await asyncio.wait(pending | {hurry}, timeout=max(0, deadline - time.monotonic()), return_when=asyncio.FIRST_COMPLETED)
                pending.discard(hurry)
            hurry.cancel()
        if pending:
            log.warning("handing %d unfinished request(s) back to the queue", len(pending))
            for job in list(self._runtime.jobs.values()):
                job.abort("SHUTTING_DOWN")
            self._runtime.closing.set()  # answered requests stop waiting for their threads
            await asyncio.wait(pending, timeout=5)
        self._runtime.closing.set()
        for pool in self._runtime.pools.values():
            pool.close()
        if self._watchdog is not None:
            self._watchdog.stop.set()
        for subscription in self._subscriptions:
            await _quietly(subscription.close(), "closing a consumer")
        if self._cancel_subscription is not None:
            await _quietly(self._cancel_subscription.close(), "closing the cancel consumer")
        if self._owns_transport:
            await _quietly(self.transport.close(), "closing the transport")
        self._closed.set()

    async def __aenter__(self) -> "WorkerHandle":
        return self

    async def __aexit__(self, *_: Any) -> None:
        await self.close()


async def _quietly(awaitable: Any, what: str) -> None:
    try:
        await awaitable
    except Exception as error:  # noqa: BLE001
        log.warning("error while %s: %s", what, error)


async def register_handlers(
    handlers: Mapping[str, Handler],
    *,
    service: str,
    url: str | Sequence[str] | None = None,
    namespace: str | None = None,
    transport: Transport | None = None,
    now_ms: Callable[[], float] | None = None,
    contracts: Mapping[str, Any] | None = None,
    **options: Any,
) -> WorkerHandle:
    """Serve `handlers` ({request type: handler}) and return the running worker's handle.

    url (one AMQP URL, or a cluster's nodes as a comma-separated string or a
    list) defaults to env AMQP_URL, then amqp://guest:guest@127.0.0.1:5672/.
    Pass `transport=` (e.g. a memory transport) to use another broker; the
    handle then leaves closing it to you. `contracts` ({type: {payload, chunk,
    result, description}}, or `@warren.contract(...)` on a handler) declares
    JSON Schemas: announced on the registry, payloads checked before the
    handler runs. Other options: see `options.DEFAULTS`.
    """
    opts = normalize_options(service=service, url=url, namespace=namespace, **options)
    specs = handler_specs(handlers, contracts)
    types = [s.request_type for s in specs]
    wanted_fast = set(types) if opts.fast is True else set() if opts.fast is False else set(opts.fast)
    unserved = sorted(wanted_fast - set(types))
    if unserved:
        raise ConfigError(f"fast names {unserved[0]!r}, which has no handler")
    owns = transport is None
    if transport is None:
        from .transport.amqp import amqp_transport

        transport = await amqp_transport(
            opts.urls, opts.namespace, heartbeat_s=opts.heartbeat_s, connect_timeout_ms=opts.connect_timeout_ms,
            backoff_initial_ms=opts.backoff_initial_ms, backoff_max_ms=opts.backoff_max_ms,
            connection_name=f"warren-worker:{opts.service}",
        )
    clock = now_ms or (lambda: time.time() * 1000)
    # Wall clock, not now_ms: stream records say when they were sent in epoch ms.
    remember, was_cancelled = cancel_memory(ttl_ms=opts.cancel_memory_ms)
    runtime = Runtime(transport=transport, now_ms=clock, remember_cancel=remember, was_cancelled=was_cancelled,
                      encoder=opts.encoder, settle_timeout_s=opts.settle_timeout_ms / 1000,
                      chunk_window=opts.chunk_window)
    for spec in specs:
        if not spec.is_async:  # `concurrency` threads per type, as many as its deliveries in flight
            runtime.pools[spec.request_type] = ThreadPool(opts.concurrency, f"warren-{spec.request_type}")
    install_log_record_factory()
    handle = WorkerHandle(opts, transport, runtime, owns)
    handle._watchdog = start_watchdog(asyncio.get_running_loop(), opts.loop_lag_warn_ms)
    try:
        # Cancels first: this returns once the cancel stream was read up to now (or after the marker
        # wait), so a request cancelled while no worker ran is never started, and none is missed for a
        # request delivered right after.
        instance = opts.instance_id or default_instance_id(opts.service)
        handle._cancel_subscription = await transport.consume_cancels([s.request_type for s in specs], handle._on_cancel,
                                                                      instance=instance)
        # A transport without a fast lane (memory) serves fast types the durable way only, and does not announce them fast.
        fast_types = frozenset(wanted_fast) if transport.consume_fast_requests is not None else frozenset()
        for spec in specs:
            handle._subscriptions.append(
                await transport.consume_requests(spec.request_type, handle._listener(spec), prefetch=opts.concurrency)
            )
            if spec.request_type in fast_types and transport.consume_fast_requests is not None:
                handle._subscriptions.append(
                    await transport.consume_fast_requests(spec.request_type, handle._listener(spec), prefetch=opts.concurrency)
                )
        # Announced only once every queue is consumed: the registry lists what is really served.
        if opts.announce:
            handle._announcer = await start_announcer(transport, opts, specs, clock, fast_types)
        runtime.worker = {"instance": handle.instance_id or opts.instance_id or default_instance_id(opts.service),
                          "language": "python", "service": opts.service}
    except BaseException:
        await handle.close(0)
        raise
    # The text is for people; the JSON after it is the `ready` event the Node worker logs (same keys, none
    # when unset), what supervisors and tests wait for, kept in the message so any log format carries it.
    ready = {k: v for k, v in {"event": "ready", "service": opts.service, "types": [s.request_type for s in specs],
                               "fast": [t for t in types if t in fast_types] if wanted_fast else None,
                               "concurrency": opts.concurrency, "namespace": opts.namespace, "transport": transport.kind,
                               "instanceId": handle.instance_id}.items() if v is not None}
    log.info("%s serving %s on namespace %s (concurrency %d per type; registry instance %s) %s", opts.service,
             ", ".join(s.request_type for s in specs), opts.namespace, opts.concurrency, handle.instance_id or "not announced",
             json.dumps(ready, separators=(",", ":")))
    return handle
