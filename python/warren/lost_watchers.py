"""Aborting the running jobs of a channel that is gone.

A delivery's `lost` event is set when its channel or connection closes: the broker redelivers
the request, so its handler should stop. One watcher task per event (a channel) aborts every
job it carries, rather than a task per request.
"""
from __future__ import annotations

import asyncio

from .job import Job

#: Per `lost` event: its watcher task and the jobs it aborts when the event is set.
LostWatchers = dict[asyncio.Event, tuple["asyncio.Task[None]", set[Job]]]


def watch_lost(watchers: LostWatchers, job: Job) -> None:
    event = job.delivery.lost
    entry = watchers.get(event)
    if entry is None:
        jobs: set[Job] = set()

        async def watch() -> None:
            await event.wait()
            watchers.pop(event, None)
            for lost in list(jobs):
                lost.abort("DISCONNECTED")

        entry = watchers[event] = (asyncio.get_running_loop().create_task(watch(), name="warren:lost-watcher"), jobs)
    entry[1].add(job)


def unwatch_lost(watchers: LostWatchers, job: Job) -> None:
    entry = watchers.get(job.delivery.lost)
    if entry is not None:
        entry[1].discard(job)
        if not entry[1]:  # the channel's last job ended: nothing left to abort
            entry[0].cancel()
            del watchers[job.delivery.lost]
