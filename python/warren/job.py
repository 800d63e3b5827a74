"""A request whose handler is running, as the runtime's job table and the abort paths see it.

Cancels, the deadline timer, a lost channel and shutdown all abort a request through its job;
the first reason wins, and only a running handler's task is cancelled (an abort before or after
it runs is read from `ctx` by the step that comes next).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .context import AbortReason, Context
from .errors import Undeliverable
from .transport.types import RequestDelivery


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
    #: Aborts it with TIMEOUT at the request's deadline; cancelled when the job ends.
    deadline_timer: asyncio.TimerHandle | None = None

    def abort(self, reason: AbortReason) -> None:
        if self.ctx._abort_reason is not None:  # the first reason wins; one cancel is enough
            return
        self.ctx._abort_reason = reason
        if self.running and self.task is not None and not self.task.done():
            self.task.cancel()
