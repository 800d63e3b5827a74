"""The runtime's table of running jobs: a request enters it when its handler is about to run,
with its `ctx`, its deadline timer and its lost-channel watch, and leaves it when the handler ended.

Cancels (register_handlers) and shutdown find the request to abort in this table.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from .context import Context, SyncContext
from .handler import HandlerSpec
from .job import Job
from .lost_watchers import unwatch_lost, watch_lost
from .request_run import RequestRun, logger


def start_job(run: RequestRun, spec: HandlerSpec, publish_chunk: Callable[[Any], Awaitable[None]]) -> Job:
    runtime, delivery, request = run.runtime, run.delivery, run.delivery.request
    key = (request.session, request.id)
    if key in runtime.jobs:  # a redelivery racing its lost predecessor, or a duplicate publish
        logger(run).warning("a request with this id is already running here; running this delivery too")
    loop = asyncio.get_running_loop()
    fields: dict[str, Any] = dict(
        id=request.id, type=request.type, session=request.session, attempt=delivery.attempt, principal=request.principal,
        deadline=request.deadline, traceparent=request.traceparent, publish_chunk=publish_chunk, now_ms=runtime.now_ms,
    )
    ctx: Context = Context(**fields) if spec.is_async else SyncContext(loop=loop, **fields)
    job = run.job = Job(delivery=delivery, ctx=ctx, task=asyncio.current_task())
    runtime.jobs[key] = job
    if request.deadline is not None:
        job.deadline_timer = loop.call_later(max(0.0, (request.deadline - runtime.now_ms()) / 1000), job.abort, "TIMEOUT")
    watch_lost(runtime.lost_watchers, job)
    return job


def end_job(run: RequestRun, job: Job) -> None:
    runtime, request = run.runtime, run.delivery.request
    if job.deadline_timer is not None:
        job.deadline_timer.cancel()
    unwatch_lost(runtime.lost_watchers, job)
    key = (request.session, request.id)
    if runtime.jobs.get(key) is job:  # not a duplicate's that started since
        del runtime.jobs[key]
