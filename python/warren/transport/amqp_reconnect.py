"""The loop that keeps one connection: an attempt a node, on to the next node after a failure
or a loss, backoff once a whole round failed (the behaviour amqp_connection describes)."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .amqp_nodes import after_failure, backoff_delay_ms, start_index
from .amqp_refusal import refusal
from .types import ConnectionStatus
from .urls import redact

log = logging.getLogger("warren.transport.amqp")


@dataclass(frozen=True)
class Dialing:
    """How to reach the nodes."""

    #: As given: the ones logs name.
    urls: tuple[str, ...]
    #: The same with heartbeat and connection name: the ones connected to.
    full_urls: tuple[str, ...]
    connect: Callable[..., Awaitable[Any]]
    connect_timeout_ms: float
    backoff_initial_ms: float
    backoff_max_ms: float
    rand: Callable[[], float]


@dataclass(eq=False)
class ConnectionState:
    """What the loop and the manager around it share."""

    #: The live connection, or None while (re)connecting.
    conn: Any = None
    #: Set by close(): the loop stops instead of reconnecting.
    closing: bool = False
    reconnects: int = 0
    #: The last failed attempt's error (ready()'s timeout names it).
    error: BaseException | None = None
    #: Why the first connection was refused for good ("url: reason"), else None.
    refused: str | None = None


async def close_quietly(conn: Any) -> None:
    try:
        await conn.close()
    except Exception:  # noqa: BLE001
        pass


def refused_for_good(error: BaseException, url: str, first: bool, state: ConnectionState) -> bool:
    """True when the first connection was refused for good (the loop ends and ready() raises BrokerRefused).

    A refusal after a connection was made is logged and retried: credentials changed under a running worker.
    """
    refused = refusal(error)
    if refused is not None and first:
        state.refused = f"{redact(url)}: {refused}"
        return True
    if refused is not None:
        log.error("broker %s: %s", redact(url), refused)
    return False


async def pause_before_next(dialing: Dialing, failed_url: str, next_url: str, error: BaseException, rounds: int | None) -> None:
    """Within a round the next node is tried at once; after a whole round failed, back off first."""
    reason = error or type(error).__name__
    if rounds is None:
        log.warning("broker %s unreachable (%s); trying %s", redact(failed_url), reason, redact(next_url))
        return
    delay = backoff_delay_ms(rounds - 1, dialing.backoff_initial_ms, dialing.backoff_max_ms, dialing.rand)
    log.warning("broker %s unreachable (%s); retrying %s in %d ms", redact(failed_url), reason,
                "it" if len(dialing.urls) == 1 else "every node", delay)
    await asyncio.sleep(delay / 1000)


def log_connected(url: str, index: int, count: int, again: bool) -> None:
    node = f" (node {index + 1} of {count})" if count > 1 else ""
    if again:
        log.info("reconnected to %s%s", redact(url), node)
    else:
        log.info("connected to %s%s", redact(url), node)


async def keep_connected(dialing: Dialing, state: ConnectionState, set_status: Callable[[ConnectionStatus], None],
                         run_setups: Callable[[Any], Awaitable[None]], first_outcome: asyncio.Event) -> None:
    """Connects, runs the setups, waits for the loss, and again, until state.closing; sets first_outcome
    when the first connection is made or refused for good."""
    urls = dialing.urls
    failures = 0  # consecutive failed attempts, over all URLs
    ever = False
    index = start_index(len(urls), dialing.rand)
    while not state.closing:
        set_status("reconnecting" if ever else "connecting")
        conn = None
        url = urls[index]
        try:
            conn = await dialing.connect(dialing.full_urls[index], timeout=min(dialing.connect_timeout_ms, 30_000) / 1000)
            lost = asyncio.Event()
            conn.close_callbacks.add(lambda *_: lost.set())
            await run_setups(conn)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - keep trying, with backoff
            state.error = error
            if conn is not None:
                await close_quietly(conn)
            if refused_for_good(error, url, not ever, state):
                first_outcome.set()
                return
            failures += 1
            index, rounds = after_failure(index, failures, len(urls))
            await pause_before_next(dialing, url, urls[index], error, rounds)
            continue
        failures = 0
        if ever:
            state.reconnects += 1
        log_connected(url, index, len(urls), again=ever)
        ever = True
        state.conn = conn
        set_status("connected")
        first_outcome.set()
        await lost.wait()
        state.conn = None
        if not state.closing:
            index = (index + 1) % len(urls)  # that node may be the one that went away
            log.warning("lost the connection to %s; reconnecting%s", redact(url),
                        f" to {redact(urls[index])}" if len(urls) > 1 else "")
