"""Calling the handler: an `async def` in the delivery's own task, a `def` on the type's thread pool.

Whatever the handler does when called (a wrong signature at call time, an exception, a
CancelledError of its own) is the caller's error, never a redelivery; an abort cancels the
delivery's task, and that cancel is taken back here so the request can still be answered.
"""
from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable, NamedTuple

from .context import Context, SyncContext
from .errors import WarrenError
from .handler import HandlerSpec, stream_generator, stream_generator_in_thread
from .job import Job
from .runtime import Runtime


class HandlerEnd(NamedTuple):
    #: What the handler returned (None for a stream).
    value: Any
    #: What it raised, as the caller's error; None when it returned or was aborted.
    failure: BaseException | None
    #: A `def` handler's thread, which may still run after an abort.
    thread: "asyncio.Future[Any] | None"


async def call_handler(runtime: Runtime, spec: HandlerSpec, job: Job, payload: Any) -> HandlerEnd:
    """Run the handler to its end; raises CancelledError only when the worker itself is torn down."""
    ctx = job.ctx
    thread: asyncio.Future[Any] | None = None
    value: Any = None
    failure: BaseException | None = None
    job.running = True
    try:
        if spec.kind == "stream":
            await stream_generator(spec.fn(payload, ctx), ctx)
        elif spec.kind == "async":
            value = await spec.fn(payload, ctx)
        else:
            thread = runtime.pools[job.delivery.request.type].run(_thread_call(spec, payload, ctx),
                                                                  skip=lambda: ctx._abort_reason is not None)
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
    return HandlerEnd(value, failure, thread)


def _thread_call(spec: HandlerSpec, payload: Any, ctx: Context) -> Callable[[], Any]:
    """What the pool's thread runs: the handler, or a `def … yield` handler driven to its end."""
    if spec.kind == "sync_stream" and isinstance(ctx, SyncContext):
        in_thread = ctx

        def drive() -> None:
            stream_generator_in_thread(spec.fn(payload, in_thread), in_thread)

        return drive

    def call() -> Any:
        return spec.fn(payload, ctx)

    return call


async def until_thread_returns(runtime: Runtime, thread: "asyncio.Future[Any]") -> None:
    """Wait for an answered request's thread, or for the worker to close.

    The caller has its answer; the request keeps its slot (not acked, so the broker sends no
    other) until its thread has really returned.
    """
    closing = asyncio.get_running_loop().create_task(runtime.closing.wait())
    await asyncio.wait({thread, closing}, return_when=asyncio.FIRST_COMPLETED)
    closing.cancel()
