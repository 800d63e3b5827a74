"""Keeps one AMQP connection alive, to any node of a list.

Given several broker URLs (the nodes of a cluster), the first attempt starts
at a random one, so many workers spread over the nodes; every failed attempt
and every lost connection moves on to the next URL; exponential backoff with
jitter applies once a whole round of URLs failed. Notices loss (heartbeats,
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
from typing import Any, Awaitable, Callable, Sequence

import aio_pika
from yarl import URL

from ..errors import BrokerRefused, BrokerUnavailable
from .urls import parse_broker_urls
from .types import ConnectionStatus, StatusListener

log = logging.getLogger("warren.transport.amqp")

Setup = Callable[[Any], Awaitable[None]]  # receives the aio_pika connection


def backoff_delay_ms(failures: int, initial_ms: float, max_ms: float, rand: Callable[[], float] = random.random) -> float:
    base = min(max_ms, initial_ms * 2 ** min(failures, 20))
    return float(base * (0.5 + rand() / 2))


def connection_url(url: str, heartbeat_s: int, name: str) -> str:
    """aiormq reads heartbeat and connection name from the URL; explicit ones there win."""
    parsed = URL(url)
    extra = {k: v for k, v in (("heartbeat", str(heartbeat_s)), ("name", name)) if k not in parsed.query}
    return str(parsed.update_query(extra)) if extra else url


def redact(url: str) -> str:
    return re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)


def describe(urls: Sequence[str]) -> str:
    return ",".join(redact(url) for url in urls)


def refusal(error: BaseException) -> str | None:
    """Why the broker refused us for good (wrong user or password, no such vhost or no access to it), else None.

    Retrying cannot fix these, so the first connection fails at once with the reason
    instead of being retried as "unreachable" until connect_timeout_ms.
    """
    import aiormq

    if isinstance(error, (aiormq.exceptions.ProbableAuthenticationError, aiormq.exceptions.AuthenticationError)):
        return "the broker refused the login (ACCESS_REFUSED): check the user and password in the URL"
    text = repr(error) + " " + " ".join(repr(getattr(arg, "reply_text", "")) for arg in getattr(error, "args", ()))
    for arg in getattr(error, "args", ()):
        code = getattr(arg, "reply_code", None)
        if code in (403, 530):  # ACCESS_REFUSED, NOT_ALLOWED (e.g. a vhost that does not exist or is not allowed)
            return f"the broker refused the connection ({getattr(arg, 'reply_text', code)}): check the vhost and the user's permissions"
    if "ACCESS_REFUSED" in text:
        return "the broker refused the login (ACCESS_REFUSED): check the user and password in the URL"
    return None


def start_index(count: int, rand: Callable[[], float] = random.random) -> int:
    """Where the first attempt starts: random, so the workers started together spread over the nodes."""
    return min(count - 1, int(rand() * count))


def after_failure(index: int, failures: int, count: int) -> tuple[int, int | None]:
    """After `failures` consecutive failed attempts, the last at `index`: the next index, and
    the number of full rounds failed when a backoff is due now (else None: try the next URL at once)."""
    return (index + 1) % count, (failures // count if failures % count == 0 else None)


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
    full_urls = [connection_url(u, heartbeat_s, name) for u in urls]
    state: dict[str, Any] = {"status": "connecting", "conn": None, "closing": False, "reconnects": 0, "error": None}
    setups: dict[int, Setup] = {}
    ids = itertools.count()
    listeners: set[StatusListener] = set()
    connected = asyncio.Event()
    #: Set when the first connection succeeded or was refused for good.
    first_outcome = asyncio.Event()
    loop_task: asyncio.Task[None] | None = None

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
        failures = 0  # consecutive failed attempts, over all URLs
        ever = False
        index = start_index(len(urls), rand)
        while not state["closing"]:
            set_status("reconnecting" if ever else "connecting")
            conn = None
            url = urls[index]
            try:
                conn = await connect(full_urls[index], timeout=min(connect_timeout_ms, 30_000) / 1000)
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
                refused = refusal(error)
                if refused is not None and not ever:
                    state["refused"] = f"{redact(url)}: {refused}"
                    first_outcome.set()
                    return
                if refused is not None:  # credentials changed under a running worker: say so, keep trying
                    log.error("broker %s: %s", redact(url), refused)
                failures += 1
                index, rounds = after_failure(index, failures, len(urls))
                reason = error or type(error).__name__
                if rounds is None:
                    log.warning("broker %s unreachable (%s); trying %s", redact(url), reason, redact(urls[index]))
                    continue
                delay = backoff_delay_ms(rounds - 1, backoff_initial_ms, backoff_max_ms, rand)
                log.warning("broker %s unreachable (%s); retrying %s in %d ms", redact(url), reason,
                            "it" if len(urls) == 1 else "every node", delay)
                await asyncio.sleep(delay / 1000)
                continue
            failures = 0
            node = f" (node {index + 1} of {len(urls)})" if len(urls) > 1 else ""
            if ever:
                state["reconnects"] += 1
                log.info("reconnected to %s%s", redact(url), node)
            else:
                log.info("connected to %s%s", redact(url), node)
            ever = True
            state["conn"] = conn
            set_status("connected")
            connected.set()
            first_outcome.set()
            await lost.wait()
            state["conn"] = None
            if not state["closing"]:
                index = (index + 1) % len(urls)  # that node may be the one that went away
                log.warning("lost the connection to %s; reconnecting%s", redact(url),
                            f" to {redact(urls[index])}" if len(urls) > 1 else "")

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
        def remove() -> None:
            setups.pop(key, None)

        return remove

    async def ready(timeout_ms: float) -> None:
        """Wait for the first connection (timeout_ms = math.inf: for ever); BrokerRefused at once when refused."""
        ensure_started()
        try:
            await asyncio.wait_for(first_outcome.wait(), None if timeout_ms == float("inf") else timeout_ms / 1000)
        except asyncio.TimeoutError:
            raise BrokerUnavailable(f"Could not connect to {describe(urls)} within {timeout_ms:.0f} ms: {state['error']}") from None
        if state.get("refused"):
            raise BrokerRefused(state["refused"])

    async def close() -> None:
        state["closing"] = True
        if loop_task is not None:
            loop_task.cancel()
            await asyncio.gather(loop_task, return_exceptions=True)
        conn, state["conn"] = state["conn"], None
        if conn is not None:
            await close_quietly(conn)
        set_status("closed")

    def on_status(listener: StatusListener) -> Callable[[], None]:
        listeners.add(listener)
        return lambda: listeners.discard(listener)

    def status() -> ConnectionStatus:
        current: ConnectionStatus = state["status"]
        return current

    return ConnectionManager(
        status=status,
        on_status=on_status,
        current=lambda: state["conn"],
        add_setup=add_setup,
        ready=ready,
        reconnects=lambda: int(state["reconnects"]),
        close=close,
        urls=urls,
    )
