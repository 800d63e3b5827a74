"""What every delivery of one worker shares: the transport, the clock, the cancel memory, the
encoder, the thread pools of `def` handlers and the table of running jobs.

Built once by `register_handlers`; `run_request.handle_delivery` reads it for each delivery.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable

from .encoder import Encoder
from .job import Job
from .lost_watchers import LostWatchers
from .thread_pool import ThreadPool
from .transport.types import Transport


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
    lost_watchers: LostWatchers = field(default_factory=dict)
    #: Who this worker is, stamped on the first response of each attempt (docs/protocol.md, "Hops").
    worker: dict[str, Any] | None = None
    #: Responses of one request queued or unconfirmed before `send_chunk` waits (options `chunk_window`).
    chunk_window: int = 256
