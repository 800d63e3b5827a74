"""Keeps one AMQP connection alive.

Connects with exponential backoff and jitter, notices loss (heartbeats,
server closes such as `rabbitmqctl close_all_connections`, socket errors),
and re-runs every registered setup on each new connection so topology and
consumers come back by themselves. Plain `aio_pika.connect` underneath, not
`connect_robust`, so recovery behaves the same on aio-pika 8 and 9.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import random
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import aio_pika
from yarl import URL

from ..errors import BrokerUnavailable
from .types import ConnectionStatus

log = logging.getLogger("warren.transport.amqp")

Setup = Callable[[Any], Awaitable[None]]  # receives the aio_pika connection


def backoff_delay_ms(failures: int, initial_ms: float, max_ms: float, rand: Callable[[], float] = random.random) -> float:
    base = min(max_ms, initial_ms * 2 ** min(failures, 20))
    return base * (0.5 + rand() / 2)


def connection_url(url: str, heartbeat_s: int, name: str) -> str:
    """aiormq reads heartbeat and connection name from the URL; explicit ones there win."""
    parsed = URL(url)
    extra = {k: v for k, v in (("heartbeat", str(heartbeat_s)), ("name", name)) if k not in parsed.query}
    return str(parsed.update_query(extra)) if extra else url


def redact(url: str) -> str:
    return re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)


@dataclass(frozen=True)
class ConnectionManager:
    status: Callable[[], ConnectionStatus]
    on_status: Callable[[Callable[[ConnectionStatus], None]], Callable[[], None]]
    #: The live connection, or None while (re)connecting.
    current: Callable[[], Any]
    #: Register a setup: runs now when connected (errors propagate) and after every reconnect. Returns a remover.
    add_setup: Callable[[Setup], Awaitable[Callable[[], None]]]
    #: Wait for the first connection; raises BrokerUnavailable after timeout_ms.
    ready: Callable[[float], Awaitable[None]]
    reconnects: Callable[[], int]
    close: Callable[[], Awaitable[None]]


def connection_manager(
    url: str, *, heartbeat_s: int, connect_timeout_ms: float, backoff_initial_ms: float, backoff_max_ms: float, name: str
) -> ConnectionManager:
    full_url = connection_url(url, heartbeat_s, name)
    state: dict[str, Any] = {"status": "connecting", "conn": None, "closing": False, "reconnects": 0, "error": None}
    setups: dict[int, Setup] = {}
    ids = itertools.count()
    listeners: set = set()
    connected = asyncio.Event()
    loop_task: asyncio.Task | None = None

    def set_status(status: ConnectionStatus) -> None:
        if state["status"] == status:
            return
        state["status"] = status
        for listener in list(listeners):
            try:
                listener(status)
            except Exception:  # noqa: BLE001
                log.exception("status listener failed")

    async def close_quietly(conn: Any) -> None:
        try:
            await conn.close()
        except Exception:  # noqa: BLE001
            pass

    async def run() -> None:
        failures = 0
        ever = False
        while not state["closing"]:
            set_status("reconnecting" if ever else "connecting")
            conn = None
            try:
                conn = await aio_pika.connect(full_url, timeout=connect_timeout_ms / 1000)
                lost = asyncio.Event()
                conn.close_callbacks.add(lambda *_: lost.set())
                done: set[int] = set()
                while pending := [key for key in list(setups) if key not in done]:
                    for key in pending:
                        if key in setups:
                            await setups[key](conn)
                        done.add(key)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - keep trying, with backoff
                state["error"] = error
                if conn is not None:
                    await close_quietly(conn)
                delay = backoff_delay_ms(failures, backoff_initial_ms, backoff_max_ms)
                failures += 1
                log.warning("broker %s unreachable (%s); retrying in %d ms", redact(url), error or type(error).__name__, delay)
                await asyncio.sleep(delay / 1000)
                continue
            failures = 0
            if ever:
                state["reconnects"] += 1
                log.info("reconnected to %s", redact(url))
            ever = True
            state["conn"] = conn
            set_status("connected")
            connected.set()
            await lost.wait()
            state["conn"] = None
            if not state["closing"]:
                log.warning("lost the connection to %s; reconnecting", redact(url))

    def ensure_started() -> None:
        nonlocal loop_task
        if loop_task is None:
            loop_task = asyncio.get_running_loop().create_task(run())

    async def add_setup(setup: Setup) -> Callable[[], None]:
        key = next(ids)
        setups[key] = setup
        conn = state["conn"]
        if conn is not None and state["status"] == "connected":
            try:
                await setup(conn)
            except BaseException:
                setups.pop(key, None)
                raise
        return lambda: setups.pop(key, None)

    async def ready(timeout_ms: float) -> None:
        ensure_started()
        try:
            await asyncio.wait_for(connected.wait(), timeout_ms / 1000)
        except asyncio.TimeoutError:
            raise BrokerUnavailable(f"Could not connect to {redact(url)} within {timeout_ms:.0f} ms: {state['error']}") from None

    async def close() -> None:
        state["closing"] = True
        if loop_task is not None:
            loop_task.cancel()
            await asyncio.gather(loop_task, return_exceptions=True)
        conn, state["conn"] = state["conn"], None
        if conn is not None:
            await close_quietly(conn)
        set_status("closed")

    def on_status(listener: Callable[[ConnectionStatus], None]) -> Callable[[], None]:
        listeners.add(listener)
        return lambda: listeners.discard(listener)

    return ConnectionManager(
        status=lambda: state["status"],
        on_status=on_status,
        current=lambda: state["conn"],
        add_setup=add_setup,
        ready=ready,
        reconnects=lambda: state["reconnects"],
        close=close,
    )
