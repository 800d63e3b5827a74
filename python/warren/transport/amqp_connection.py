"""Keeps one AMQP connection alive, to any node of a list.

Given several broker URLs (the nodes of a cluster), the first attempt starts
at a random one, so many workers spread over the nodes; every failed attempt
and every lost connection moves on to the next URL; exponential backoff with
jitter applies once a whole round of URLs failed. Notices loss (heartbeats,
server closes such as `rabbitmqctl close_all_connections`, socket errors),
and re-runs every registered setup on each new connection so topology and
consumers come back by themselves. Plain `aio_pika.connect` underneath, not
`connect_robust`, so recovery behaves the same on aio-pika 8 and 9.

Here the manager that puts the parts together: amqp_reconnect (the loop),
amqp_nodes (which node next, backoff, names for logs), amqp_refusal (what
retrying cannot fix), amqp_setups (what runs on every connection) and
amqp_connection_status (the status and its listeners).
"""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Sequence

import aio_pika

from ..errors import BrokerRefused, BrokerUnavailable
from .amqp_connection_status import status_board
from .amqp_nodes import connection_url, describe
from .amqp_reconnect import ConnectionState, Dialing, close_quietly, keep_connected
from .amqp_setups import Setup, setup_registry
from .types import ConnectionStatus, StatusListener
from .urls import parse_broker_urls


@dataclass(frozen=True)
class ConnectionManager:
    status: Callable[[], ConnectionStatus]
    on_status: Callable[[StatusListener], Callable[[], None]]
    #: The live connection, or None while (re)connecting.
    current: Callable[[], Any]
    #: Register a setup: runs now when connected (errors propagate) and after every reconnect. Returns a remover.
    add_setup: Callable[[Setup], Awaitable[Callable[[], None]]]
    #: Wait for the first connection; raises BrokerUnavailable after timeout_ms.
    ready: Callable[[float], Awaitable[None]]
    reconnects: Callable[[], int]
    close: Callable[[], Awaitable[None]]
    #: The broker URLs, in the order given.
    urls: tuple[str, ...] = ()


def connection_manager(
    url: str | Sequence[str], *, heartbeat_s: int, connect_timeout_ms: float, backoff_initial_ms: float, backoff_max_ms: float,
    name: str, connect: Callable[..., Awaitable[Any]] = aio_pika.connect, rand: Callable[[], float] = random.random,
) -> ConnectionManager:
    """`url`: one AMQP URL, a comma-separated list, or a sequence of them (ConfigError when malformed)."""
    urls = parse_broker_urls(url)
    dialing = Dialing(urls=urls, full_urls=tuple(connection_url(u, heartbeat_s, name) for u in urls), connect=connect,
                      connect_timeout_ms=connect_timeout_ms, backoff_initial_ms=backoff_initial_ms,
                      backoff_max_ms=backoff_max_ms, rand=rand)
    state = ConnectionState()
    board = status_board("connecting")
    setups = setup_registry()
    #: Set when the first connection succeeded or was refused for good.
    first_outcome = asyncio.Event()
    loop_task: asyncio.Task[None] | None = None

    def ensure_started() -> None:
        nonlocal loop_task
        if loop_task is None:
            loop = keep_connected(dialing, state, board.set_status, setups.run_all, first_outcome)
            loop_task = asyncio.get_running_loop().create_task(loop)

    async def add_setup(setup: Setup) -> Callable[[], None]:
        live = state.conn if board.status() == "connected" else None
        return await setups.add(setup, live)

    async def ready(timeout_ms: float) -> None:
        """Wait for the first connection (timeout_ms = math.inf: for ever); BrokerRefused at once when refused."""
        ensure_started()
        try:
            await asyncio.wait_for(first_outcome.wait(), None if timeout_ms == float("inf") else timeout_ms / 1000)
        except asyncio.TimeoutError:
            raise BrokerUnavailable(f"Could not connect to {describe(urls)} within {timeout_ms:.0f} ms: {state.error}") from None
        if state.refused:
            raise BrokerRefused(state.refused)

    async def close() -> None:
        state.closing = True
        if loop_task is not None:
            loop_task.cancel()
            await asyncio.gather(loop_task, return_exceptions=True)
        conn, state.conn = state.conn, None
        if conn is not None:
            await close_quietly(conn)
        board.set_status("closed")

    return ConnectionManager(
        status=board.status,
        on_status=board.on_status,
        current=lambda: state.conn,
        add_setup=add_setup,
        ready=ready,
        reconnects=lambda: state.reconnects,
        close=close,
        urls=urls,
    )
