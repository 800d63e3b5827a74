"""One delivery, start to finish: docs/protocol.md "Worker behaviour" steps 2–6.

Checks (cancelled before delivery, deadline passed), runs the handler as an
asyncio task (a plain `def` in its own thread), numbers the responses,
publishes the final message and acks the request only once that final
message is confirmed. Aborts (cancel, deadline, shutdown, lost connection,
nobody left to receive the answer) cancel the handler task. A response the
broker returns (no reply queue) is retried (warren.delivery); one that stays
undeliverable ends the request: handler aborted, request acked (a redelivery
could reach nobody either), logged `outcome=undeliverable`.
"""
from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from . import wire
from .delivery import publish_until_routed
from .context import Context, RequestLogAdapter, SyncContext
from .errors import Undeliverable, WarrenError, to_wire_error
from .schema import Contract
from .transport.types import RequestDelivery, Transport
from .validation import invalid_payload

log = logging.getLogger("warren.worker")
handler_log = logging.getLogger("warren.handler")

ABORT_MESSAGES = {
    "CANCELLED": "The caller cancelled the request.",
    "TIMEOUT": "The request's deadline passed before the handler finished.",
    "DISCONNECTED": "Nobody can receive the answer any more: the caller's reply queue does not exist.",
}


@dataclass(frozen=True)
class HandlerSpec:
    request_type: str
    fn: Callable[..., Any]
    is_async: bool
    #: Declared schemas (announced on the registry), if any.
    contract: Contract | None = None
    #: Issues of a payload against the declared payload schema (None = valid); None = nothing to check.
    check: Callable[[Any], Any] | None = None


@dataclass(eq=False)
class Job:
    """A request whose handler is running; aborting it cancels the handler task."""

    delivery: RequestDelivery
    ctx: Context
    task: asyncio.Task | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    seq: int = 0
    final: bool = False
    #: The chunk publish in progress, if any.
    publishing: asyncio.Future | None = None
    #: A chunk could not be published: the caller's stream has a gap.
    broken: bool = False
    #: A chunk stayed returned by the broker through every retry: nobody receives this request's answers.
    undeliverable: Undeliverable | None = None

    def abort(self, reason: str) -> None:
        if self.ctx._abort_reason is None:
            self.ctx._abort_reason = reason
        if self.task is not None and not self.task.done():
            self.task.cancel()


@dataclass(eq=False)
class Runtime:
    """State shared by all deliveries of one worker."""

    transport: Transport
    now_ms: Callable[[], float]
    remember_cancel: Callable[[str, str], None]
    was_cancelled: Callable[[str, str], bool]
    jobs: dict[tuple[str, str], Job] = field(default_factory=dict)


def is_async_handler(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


async def run_in_thread(fn: Callable[..., Any], *args: Any, name: str) -> Any:
    """Run `fn(*args)` in a daemon thread (so a stuck handler never blocks process exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future = loop.create_future()
    context = contextvars.copy_context()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)

    def target() -> None:
        try:
            outcome = (True, context.run(fn, *args))
        except BaseException as error:  # noqa: BLE001 - handed to the loop as the task's exception
            outcome = (False, error)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:  # the loop is gone: nobody is waiting any more
            pass

    threading.Thread(target=target, name=name, daemon=True).start()
    return await future


async def handle_delivery(runtime: Runtime, spec: HandlerSpec, delivery: RequestDelivery) -> None:
    request, attempt = delivery.request, delivery.attempt
    key = (request.session, request.id)
    adapter = RequestLogAdapter(handler_log, {
        "request_id": request.id, "request_type": request.type, "attempt": attempt, "traceparent": request.traceparent,
        "principal": (request.principal or {}).get("sub"),
    })

    job: Job | None = None

    def remaining_ms() -> float | None:
        return None if request.deadline is None else request.deadline - runtime.now_ms()

    def on_return(retries: int) -> None:
        if retries == 0:  # once per message: the retries themselves are routine
            adapter.info("the broker returned a response (no queue %s); retrying", request.reply_to)

    def give_up() -> bool:
        # A lost delivery is redelivered anyway: retrying its answers could only duplicate them.
        # At shutdown the request is handed back: a drain must not wait out a retry window.
        return delivery.lost.is_set() or (job is not None and job.ctx._abort_reason == "SHUTDOWN")

    async def publish(envelope: dict[str, Any]) -> None:
        await publish_until_routed(runtime.transport.publish_response, request.reply_to, envelope,
                                   remaining_ms=remaining_ms, give_up=give_up, on_return=on_return)

    async def undeliverable(error: Undeliverable) -> None:
        # Acked, not requeued: a redelivery would be answered to the same missing queue.
        await delivery.ack()
        adapter.warning("request %s: nobody can receive its answer (%s); acked: outcome=undeliverable",
                        request.id, error, extra={"outcome": "undeliverable"})

    async def finish(envelope: dict[str, Any]) -> None:
        """Publish the final message; ack once confirmed, requeue if it could not be published."""
        try:
            await publish(envelope)
        except Undeliverable as error:
            return await undeliverable(error)
        except Exception as error:  # noqa: BLE001
            adapter.warning("could not publish the final %s (%s); handing the request back", envelope["kind"], error)
            await delivery.requeue()
            return
        await delivery.ack()
        outcome = "ok" if envelope["kind"] == "result" else "error"
        code = envelope.get("error", {}).get("code", "")
        adapter.debug("answered: outcome=%s%s", outcome, f" {code}" if code else "", extra={"outcome": outcome})

    # Deadline first, then cancel (docs/protocol.md, worker behaviour 4), as the
    # Node SDK does: a request both expired and cancelled is answered TIMEOUT by either.
    if request.deadline is not None and request.deadline <= runtime.now_ms():
        adapter.info("deadline passed before delivery; not running it")
        return await finish(wire.error(request.id, 0, attempt, {"code": "TIMEOUT", "message": ABORT_MESSAGES["TIMEOUT"]}))
    if runtime.was_cancelled(*key):
        adapter.info("cancelled before delivery; not running it")
        return await finish(wire.error(request.id, 0, attempt, {"code": "CANCELLED", "message": ABORT_MESSAGES["CANCELLED"]}))
    if spec.check is not None:
        issues = spec.check(request.payload)
        if issues:
            adapter.info("payload does not match the declared schema: %s", "; ".join(f"{i['path']}: {i['message']}" for i in issues))
            return await finish(wire.error(request.id, 0, attempt, invalid_payload(request.type, issues)))
    if key in runtime.jobs:  # a redelivery racing its lost predecessor, or a duplicate publish
        adapter.warning("a request with this id is already running here; running this delivery too")

    async def publish_chunk(data: Any) -> None:
        wire.encode_json(data)  # raise TypeError/ValueError to the handler for data JSON cannot carry
        assert job is not None
        async with job.lock:
            if job.final:
                raise RuntimeError("send_chunk called after the request was answered")
            seq, job.seq = job.seq, job.seq + 1
            # Shielded: an abort mid-publish must not leave a hole before the final message's seq.
            job.publishing = asyncio.ensure_future(publish(wire.chunk(request.id, seq, attempt, data)))
            try:
                await asyncio.shield(job.publishing)
            except asyncio.CancelledError:
                raise
            except Undeliverable as error:
                job.undeliverable = error
                job.abort("DISCONNECTED")
                raise WarrenError("DISCONNECTED", ABORT_MESSAGES["DISCONNECTED"]) from None
            except Exception:
                job.broken = True
                raise

    common = dict(
        request_id=request.id, request_type=request.type, session=request.session, attempt=attempt,
        principal=request.principal, deadline=request.deadline, traceparent=request.traceparent,
        log=adapter, _publish_chunk=publish_chunk, _now_ms=runtime.now_ms,
    )
    loop = asyncio.get_running_loop()
    ctx: Context = Context(**common) if spec.is_async else SyncContext(**common, _loop=loop)
    job = Job(delivery=delivery, ctx=ctx)

    if spec.is_async:
        job.task = loop.create_task(spec.fn(request.payload, ctx))
    else:
        job.task = loop.create_task(run_in_thread(spec.fn, request.payload, ctx, name=f"warren-{request.type}-{request.id}"))
    runtime.jobs[key] = job
    timer = None
    if request.deadline is not None:
        timer = loop.call_later(max(0.0, (request.deadline - runtime.now_ms()) / 1000), job.abort, "TIMEOUT")
    watcher = loop.create_task(delivery.lost.wait())
    watcher.add_done_callback(lambda w: None if w.cancelled() else job.abort("LOST"))
    try:
        try:
            await asyncio.wait({job.task})
        except asyncio.CancelledError:  # the worker itself is being torn down
            job.abort("SHUTDOWN")
            raise
        envelope = await _outcome(job, adapter)
    finally:
        if timer is not None:
            timer.cancel()
        watcher.cancel()
        if runtime.jobs.get(key) is job:
            del runtime.jobs[key]

    reason = ctx._abort_reason
    if reason == "LOST":
        adapter.warning("broker connection lost mid-request; the broker will redeliver it")
    elif job.undeliverable is not None:
        await undeliverable(job.undeliverable)
    elif job.broken:
        # A final message after a missing chunk would leave the caller waiting
        # for that chunk forever: hand the request back for a clean new attempt.
        adapter.warning("a chunk could not be published; handing the request back for a new attempt")
        await delivery.requeue()
    elif reason == "SHUTDOWN":
        adapter.info("still running at shutdown; handing it back for another worker")
        await delivery.requeue()
    elif envelope is not None:
        await finish(envelope)


async def _outcome(job: Job, adapter: logging.LoggerAdapter) -> dict[str, Any] | None:
    """The final envelope for a finished handler task (None when it was abandoned)."""
    task, ctx = job.task, job.ctx
    assert task is not None
    value: Any = None
    error: BaseException | None = None
    if not task.cancelled():
        error = task.exception()
        if error is None:
            value = task.result()
            if inspect.isawaitable(value):  # a plain def that returned a coroutine
                try:
                    value = await value
                except Exception as raised:  # noqa: BLE001
                    error = raised

    if job.publishing is not None:  # let an interrupted chunk land before the final message
        await asyncio.wait({job.publishing})
        if not job.publishing.cancelled() and isinstance(job.publishing.exception(), Undeliverable):
            job.undeliverable = job.publishing.exception()  # the handler was cancelled before it saw this
        elif not job.publishing.cancelled() and job.publishing.exception() is not None:
            adapter.warning("a chunk could not be published: %s", job.publishing.exception())
    async with job.lock:
        job.final = True
        seq = job.seq
    request_id, attempt = ctx.request_id, ctx.attempt
    reason = ctx._abort_reason
    if reason in ("LOST", "SHUTDOWN", "DISCONNECTED") or job.undeliverable is not None:
        return None
    if reason is not None:
        adapter.info("aborted: %s", reason)
        return wire.error(request_id, seq, attempt, {"code": reason, "message": ABORT_MESSAGES[reason]})
    if task.cancelled():
        adapter.warning("the handler task was cancelled from inside")
        return wire.error(request_id, seq, attempt, {"code": "WORKER_ERROR", "message": "The handler was cancelled."})
    if error is not None:
        if isinstance(error, WarrenError):
            adapter.info("handler raised %s: %s", error.code, error.message)
        else:
            adapter.error("handler failed", exc_info=error)
        return wire.error(request_id, seq, attempt, to_wire_error(error))
    try:
        wire.encode_json(value)
    except (TypeError, ValueError) as bad:
        adapter.error("handler returned a value that is not JSON: %s", bad)
        return wire.error(request_id, seq, attempt, {"code": "WORKER_ERROR", "message": f"The handler's result is not JSON: {bad}"})
    return wire.result(request_id, seq, attempt, value)
