"""One delivery, start to finish: packages/protocol/spec/v1/protocol.md "Worker behaviour" steps 2–6.

Checks (cancelled before delivery, deadline passed, payload schema), runs
the handler (an `async def` in the delivery's own task, a `def` on the
type's thread pool), numbers the responses, publishes the final message and
acks the request only once that final message is confirmed. Aborts (cancel,
deadline, shutdown, lost connection, nobody left to receive the answer)
cancel the handler. A response the broker returns (no reply queue) is
retried (warren.delivery); one that stays undeliverable ends the request:
handler aborted, request acked (a redelivery could reach nobody either),
logged `outcome=undeliverable`.

Whatever the handler does when called — a wrong signature at call time, an
exception, a result the encoder refuses — becomes the caller's error, never a
redelivery. Every broker operation (publish, ack, requeue) is bounded by
`settle_timeout_ms`: one that does not finish counts as a lost delivery (the
broker redelivers it when the channel goes) and frees the request here.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from . import wire
from .context import AbortReason, Context, RequestLogAdapter, SyncContext, abort_error
from .delivery import publish_until_routed
from .encoder import Encoder
from .errors import Undeliverable, WarrenError, to_wire_error
from .bounded import SettleTimeout, within
from .handler import HandlerSpec, stream_generator, stream_generator_in_thread
from .request_context import RequestInfo, current_request
from .response_stream import PublishMany, ResponseStream
from .thread_pool import ThreadPool
from .transport.types import RequestDelivery, Transport
from .validation import invalid_payload

log = logging.getLogger("warren.worker")
_handler_log = logging.getLogger("warren.handler")


@dataclass(eq=False)
class Job:
    """A request whose handler is running; aborting it cancels the handler."""

    delivery: RequestDelivery
    ctx: Context
    #: The task to cancel on abort (the delivery's task while the handler runs).
    task: "asyncio.Task[Any] | None" = None
    seq: int = 0
    final: bool = False
    #: The handler is running (an abort cancels the task only then).
    running: bool = False
    #: A chunk could not be published: the caller's stream has a gap.
    broken: bool = False
    #: A chunk stayed returned by the broker through every retry: nobody receives this request's answers.
    undeliverable: Undeliverable | None = None

    def abort(self, reason: AbortReason) -> None:
        if self.ctx._abort_reason is not None:  # the first reason wins; one cancel is enough
            return
        self.ctx._abort_reason = reason
        if self.running and self.task is not None and not self.task.done():
            self.task.cancel()


@dataclass(eq=False)
class Runtime:
    """State shared by all deliveries of one worker."""

    transport: Transport
    now_ms: Callable[[], float]
    #: remember_cancel(session, request_id, at_ms=None)
    remember_cancel: Callable[..., None]
    was_cancelled: Callable[[str, str], bool]
    encoder: Encoder
    settle_timeout_s: float = 10.0
    #: Thread pools of the plain `def` handlers, by request type.
    pools: dict[str, ThreadPool] = field(default_factory=dict)
    jobs: dict[tuple[str, str], Job] = field(default_factory=dict)
    #: Set when the worker closes: answered requests stop waiting for their threads.
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    #: One watcher task per "lost" event (a channel), aborting every job it carries: not a task per request.
    lost_watchers: dict[asyncio.Event, tuple["asyncio.Task[None]", set[Job]]] = field(default_factory=dict)
    #: Who this worker is, stamped on the first response of each attempt (docs/protocol.md, "Hops").
    worker: dict[str, Any] | None = None
    #: Responses of one request queued or unconfirmed before `send_chunk` waits (options `chunk_window`).
    chunk_window: int = 256

    def watch_lost(self, job: Job) -> None:
        event = job.delivery.lost
        entry = self.lost_watchers.get(event)
        if entry is None:
            jobs: set[Job] = set()

            async def watch() -> None:
                await event.wait()
                self.lost_watchers.pop(event, None)
                for lost in list(jobs):
                    lost.abort("DISCONNECTED")

            entry = self.lost_watchers[event] = (asyncio.get_running_loop().create_task(watch(), name="warren:lost-watcher"), jobs)
        entry[1].add(job)

    def unwatch_lost(self, job: Job) -> None:
        entry = self.lost_watchers.get(job.delivery.lost)
        if entry is not None:
            entry[1].discard(job)
            if not entry[1]:
                entry[0].cancel()
                del self.lost_watchers[job.delivery.lost]


async def handle_delivery(runtime: Runtime, spec: HandlerSpec, delivery: RequestDelivery) -> None:
    request, attempt = delivery.request, delivery.attempt
    key = (request.session, request.id)
    current_request.set(RequestInfo(request.id, request.type, request.traceparent))  # this task's own context
    job: Job | None = None
    adapter: RequestLogAdapter | None = None
    picked_up_at = int(runtime.now_ms())

    def logger() -> RequestLogAdapter:
        nonlocal adapter
        if adapter is None:
            adapter = ctx.log if job is not None else Context(
                id=request.id, type=request.type, session=request.session, attempt=attempt, principal=request.principal,
                deadline=request.deadline, traceparent=request.traceparent, publish_chunk=_no_chunks).log
        return adapter

    def remaining_ms() -> float | None:
        return None if request.deadline is None else request.deadline - runtime.now_ms()

    def on_return(retries: int) -> None:
        if retries == 0:  # once per message: the retries themselves are routine
            logger().info("the broker returned a response (no queue %s); retrying", request.reply_to)

    def give_up() -> bool:
        # A lost delivery is redelivered anyway: retrying its answers could only duplicate them.
        # At shutdown the request is handed back: a drain must not wait out a retry window.
        return delivery.lost.is_set() or (job is not None and job.ctx._abort_reason == "SHUTTING_DOWN")

    def stamped(envelope: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
        if envelope.get("seq") == 0 and runtime.worker is not None:
            # The first response of an attempt says which worker picked it up, and when (the hop timeline).
            envelope = {**envelope, "worker": {**runtime.worker, "startedAt": picked_up_at}}
            body = runtime.encoder(envelope)
        return envelope, body

    fast_session = request.session if request.fast else None  # fast: unconfirmed and never returned (decision 0016)

    async def publish_one(envelope: dict[str, Any], body: bytes) -> None:
        async def once(reply_to: str, message: dict[str, Any]) -> None:
            if fast_session is not None:
                await within(runtime.transport.publish_response(reply_to, message, body=body, fast_session=fast_session),
                             runtime.settle_timeout_s)
            else:
                await within(runtime.transport.publish_response(reply_to, message, body=body), runtime.settle_timeout_s)

        await publish_until_routed(once, request.reply_to, envelope, remaining_ms=remaining_ms, give_up=give_up, on_return=on_return)

    # Batch messages only when the request's reply consumer reads them and the transport can send them.
    publish_many: PublishMany | None = None
    if request.batch_replies and runtime.transport.publish_responses is not None:
        many = runtime.transport.publish_responses

        async def publish_batch(envelopes: list[dict[str, Any]], body: bytes) -> None:
            async def once(reply_to: str, _: dict[str, Any]) -> None:
                await within(many(reply_to, envelopes, body=body, fast_session=fast_session), runtime.settle_timeout_s)

            await publish_until_routed(once, request.reply_to, envelopes[0], remaining_ms=remaining_ms, give_up=give_up,
                                       on_return=on_return)

        publish_many = publish_batch

    def on_broken(error: BaseException) -> None:
        # A response that could not be published makes the rest pointless: stop the handler.
        if job is None:
            return
        if isinstance(error, Undeliverable):
            job.undeliverable = error
        else:
            job.broken = True
        job.abort("DISCONNECTED")

    stream = ResponseStream(publish_one, publish_many, runtime.chunk_window, on_broken)

    async def settle(requeue: bool) -> None:
        try:
            await within(delivery.requeue() if requeue else delivery.ack(), runtime.settle_timeout_s)
        except SettleTimeout as error:
            logger().warning("could not %s the request (%s); counting it as lost: the broker redelivers it when its "
                             "channel closes", "hand back" if requeue else "ack", error, extra={"outcome": "lost"})

    async def undeliverable(error: Undeliverable) -> None:
        # Acked, not requeued: a redelivery would be answered to the same missing queue.
        await settle(False)
        logger().warning("request %s: nobody can receive its answer (%s); acked: outcome=undeliverable",
                         request.id, error, extra={"outcome": "undeliverable"})

    async def finish(envelope: dict[str, Any]) -> bool:
        """Publish the final message; True once confirmed (the caller acks), else it was settled here."""
        try:
            body = runtime.encoder(envelope)
        except (TypeError, ValueError) as bad:
            logger().error("the handler's result cannot be encoded as JSON: %s", bad)
            envelope = wire.error(request.id, envelope["seq"], attempt,
                                  WarrenError("WORKER_ERROR", f"The handler's result is not JSON: {bad}").to_wire())
            body = runtime.encoder(envelope)
        try:
            await stream.final(*stamped(envelope, body))
        except Undeliverable as error:
            stream.abandon()
            await undeliverable(error)
            return False
        except Exception as error:  # noqa: BLE001 - nacked, channel gone, or SettleTimeout: a new attempt
            stream.abandon()
            logger().warning("could not publish the final %s (%s); handing the request back", envelope["kind"], error)
            await settle(True)
            return False
        if _handler_log.isEnabledFor(logging.DEBUG):
            outcome = "ok" if envelope["kind"] == "result" else "error"
            code = envelope.get("error", {}).get("code", "")
            logger().debug("answered: outcome=%s%s", outcome, f" {code}" if code else "", extra={"outcome": outcome})
        return True

    async def answer(envelope: dict[str, Any]) -> None:
        if await finish(envelope):
            await settle(False)

    # Deadline first, then cancel (packages/protocol/spec/v1/protocol.md, worker behaviour 4), as the
    # Node SDK does: a request both expired and cancelled is answered TIMEOUT by either.
    if request.deadline is not None and request.deadline <= runtime.now_ms():
        logger().info("deadline passed before delivery; not running it")
        return await answer(wire.error(request.id, 0, attempt, abort_error("TIMEOUT").to_wire()))
    if runtime.was_cancelled(*key):
        logger().info("cancelled before delivery; not running it")
        return await answer(wire.error(request.id, 0, attempt, abort_error("CANCELLED").to_wire()))
    payload = request.payload
    if spec.check is not None:
        issues = spec.check(payload)
        if issues:
            logger().info("payload does not match the declared schema: %s", "; ".join(f"{i['path']}: {i['message']}" for i in issues))
            return await answer(wire.error(request.id, 0, attempt, invalid_payload(request.type, issues)))
    if spec.convert is not None:
        try:
            payload = spec.convert(payload)
        except (TypeError, ValueError) as error:
            logger().info("payload does not fit the handler's type: %s", error)
            return await answer(wire.error(request.id, 0, attempt, invalid_payload(request.type, [{"path": "", "message": str(error)}])))
    if key in runtime.jobs:  # a redelivery racing its lost predecessor, or a duplicate publish
        logger().warning("a request with this id is already running here; running this delivery too")

    async def publish_chunk(data: Any) -> None:
        assert job is not None
        if job.final:
            raise RuntimeError("send_chunk called after the request was answered")
        envelope = wire.chunk(request.id, job.seq, attempt, data)
        body = runtime.encoder(envelope)  # TypeError/ValueError to the handler for data JSON cannot carry
        job.seq += 1
        # Queued, not awaited (response_stream): an abort from here on leaves no hole before the final's seq.
        try:
            if stream.queue(*stamped(envelope, body)):
                await stream.wait_for_room()
        except Undeliverable:
            raise abort_error("DISCONNECTED") from None

    loop = asyncio.get_running_loop()
    fields: dict[str, Any] = dict(
        id=request.id, type=request.type, session=request.session, attempt=attempt, principal=request.principal,
        deadline=request.deadline, traceparent=request.traceparent, publish_chunk=publish_chunk, now_ms=runtime.now_ms,
    )
    ctx: Context = Context(**fields) if spec.is_async else SyncContext(loop=loop, **fields)
    job = Job(delivery=delivery, ctx=ctx, task=asyncio.current_task())
    runtime.jobs[key] = job
    timer = None
    if request.deadline is not None:
        timer = loop.call_later(max(0.0, (request.deadline - runtime.now_ms()) / 1000), job.abort, "TIMEOUT")
    runtime.watch_lost(job)
    thread: asyncio.Future[Any] | None = None
    value: Any = None
    failure: BaseException | None = None
    try:
        job.running = True
        try:
            if spec.kind == "stream":
                await stream_generator(spec.fn(payload, ctx), ctx)
            elif spec.kind == "async":
                value = await spec.fn(payload, ctx)
            else:
                pool = runtime.pools[request.type]
                call: Callable[[], Any] = (lambda: spec.fn(payload, ctx))
                if spec.kind == "sync_stream" and isinstance(ctx, SyncContext):
                    in_thread = ctx
                    call = lambda: stream_generator_in_thread(spec.fn(payload, in_thread), in_thread)  # noqa: E731
                thread = pool.run(call, skip=lambda: ctx._abort_reason is not None)
                value = await asyncio.shield(thread)
                if inspect.isawaitable(value):  # a plain def that returned a coroutine
                    value = await value
        except asyncio.CancelledError:
            if ctx._abort_reason is not None:  # ours: an abort
                uncancel = getattr(job.task, "uncancel", None)
                if uncancel is not None:
                    uncancel()
            elif getattr(job.task, "cancelling", lambda: 1)() == 0:  # raised inside the handler, nobody cancelled it
                failure = WarrenError("WORKER_ERROR", "The handler was cancelled.")
            else:  # the worker itself is being torn down
                ctx._abort_reason = "SHUTTING_DOWN"
                raise
        except Exception as raised:  # noqa: BLE001 - whatever the handler raised is the caller's error
            failure = raised
        finally:
            job.running = False
        envelope = await _outcome(job, value, failure)
        if envelope is not None:
            answered = await finish(envelope)
            if answered and thread is not None and not thread.done():
                # The caller has its answer; the request keeps its slot (not acked, so
                # the broker sends no other) until its thread has really returned.
                closing = loop.create_task(runtime.closing.wait())
                await asyncio.wait({thread, closing}, return_when=asyncio.FIRST_COMPLETED)
                closing.cancel()
            if answered:
                await settle(False)
            return
    finally:
        if timer is not None:
            timer.cancel()
        runtime.unwatch_lost(job)
        if runtime.jobs.get(key) is job:
            del runtime.jobs[key]

    stream.abandon()  # not answered: the chunks still being published or retried are of no use now
    if delivery.lost.is_set():
        logger().warning("broker connection lost mid-request; the broker will redeliver it")
    elif job.undeliverable is not None:
        await undeliverable(job.undeliverable)
    elif job.broken:
        # A final message after a missing chunk would leave the caller waiting
        # for that chunk forever: hand the request back for a clean new attempt.
        logger().warning("a chunk could not be published; handing the request back for a new attempt")
        await settle(True)
    elif ctx._abort_reason == "SHUTTING_DOWN":
        logger().info("still running at shutdown; handing it back for another worker")
        await settle(True)


async def _no_chunks(data: Any) -> None:
    raise RuntimeError("no chunks before the handler runs")


async def _outcome(job: Job, value: Any, error: BaseException | None) -> dict[str, Any] | None:
    """The final envelope once the handler ended (None when the request is abandoned: lost, shut down, undeliverable)."""
    ctx = job.ctx
    job.final = True
    seq = job.seq
    reason = ctx._abort_reason
    if job.delivery.lost.is_set() or job.undeliverable is not None or job.broken or reason in ("SHUTTING_DOWN", "DISCONNECTED"):
        return None
    if reason is not None:
        ctx.log.info("aborted: %s", reason)
        return wire.error(ctx.id, seq, ctx.attempt, abort_error(reason).to_wire())
    if error is not None:
        if isinstance(error, WarrenError):
            ctx.log.info("handler raised %s: %s", error.code, error.message)
        return wire.error(ctx.id, seq, ctx.attempt, to_wire_error(error, ctx.log))
    return wire.result(ctx.id, seq, ctx.attempt, value)
