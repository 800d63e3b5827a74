"""One delivery being handled: what its steps (checks, handler call, responses, settling) share."""
from __future__ import annotations

from dataclasses import dataclass

from .context import RequestLogAdapter, request_log
from .job import Job
from .runtime import Runtime
from .transport.types import RequestDelivery


@dataclass(eq=False)
class RequestRun:
    runtime: Runtime
    delivery: RequestDelivery
    #: The worker's clock when the delivery reached it: the `startedAt` of the hop timeline.
    picked_up_at: int
    #: Set once the handler is about to run; None while the request is checked.
    job: Job | None = None
    log_adapter: RequestLogAdapter | None = None


def logger(run: RequestRun) -> RequestLogAdapter:
    """The request's logger, made on first use (most requests never log): the handler's `ctx.log` once it runs."""
    if run.log_adapter is None:
        if run.job is not None:
            run.log_adapter = run.job.ctx.log
        else:
            request = run.delivery.request
            run.log_adapter = request_log(request.id, request.type, run.delivery.attempt, request.traceparent, request.principal)
    return run.log_adapter


def remaining_ms(run: RequestRun) -> float | None:
    deadline = run.delivery.request.deadline
    return None if deadline is None else deadline - run.runtime.now_ms()
