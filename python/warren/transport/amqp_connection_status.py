"""The connection's status and who is told when it changes."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from .types import ConnectionStatus, StatusListener

log = logging.getLogger("warren.transport.amqp")


@dataclass(frozen=True)
class StatusBoard:
    status: Callable[[], ConnectionStatus]
    #: Changes the status and tells every listener; a repeat of the current status tells no one.
    set_status: Callable[[ConnectionStatus], None]
    #: Adds a listener; returns its remover.
    on_status: Callable[[StatusListener], Callable[[], None]]


def status_board(initial: ConnectionStatus) -> StatusBoard:
    current = initial
    listeners: set[StatusListener] = set()

    def status() -> ConnectionStatus:
        return current

    def set_status(status: ConnectionStatus) -> None:
        nonlocal current
        if current == status:
            return
        current = status
        for listener in list(listeners):
            try:
                listener(status)
            except Exception:  # noqa: BLE001
                log.exception("status listener failed")

    def on_status(listener: StatusListener) -> Callable[[], None]:
        listeners.add(listener)
        return lambda: listeners.discard(listener)

    return StatusBoard(status=status, set_status=set_status, on_status=on_status)
