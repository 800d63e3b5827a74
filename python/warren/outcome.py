"""How a request ends once its handler returned: the final message it gets, or, when it gets none,
what happens to it (packages/protocol/spec/v1/protocol.md, worker behaviour 5–6).

No final message when nobody could receive it or the request goes back: the delivery was lost
(the broker redelivers it), a chunk stayed undeliverable (acked), a chunk was not published (a
final after the gap would leave the caller waiting for that chunk: handed back), or the worker
is shutting down (handed back for another worker).
"""
from __future__ import annotations

from typing import Any

from . import wire
from .context import abort_error
from .errors import WarrenError, to_wire_error
from .job import Job
from .request_run import RequestRun, logger
from .settling import settle, settle_undeliverable


def final_envelope(job: Job, value: Any, error: BaseException | None) -> dict[str, Any] | None:
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


async def settle_unanswered(run: RequestRun, job: Job) -> None:
    """Settle a request that gets no final message (its stream already abandoned)."""
    if run.delivery.lost.is_set():
        logger(run).warning("broker connection lost mid-request; the broker will redeliver it")
    elif job.undeliverable is not None:
        await settle_undeliverable(run, job.undeliverable)
    elif job.broken:
        # A final message after a missing chunk would leave the caller waiting
        # for that chunk forever: hand the request back for a clean new attempt.
        logger(run).warning("a chunk could not be published; handing the request back for a new attempt")
        await settle(run, True)
    elif job.ctx._abort_reason == "SHUTTING_DOWN":
        logger(run).info("still running at shutdown; handing it back for another worker")
        await settle(run, True)
