"""Consumers of the RabbitMQ transport that outlive connections, as packages/transport/src/amqp/consumer.ts
and subscriptions.ts are for TypeScript.

A durable consumer is started on every (re)connect and restarted after a backoff when only its
channel dies; each is tracked, so closing the transport closes them all. An acked consumer is one
on a durable queue with prefetch and manual acks, its settles guarded once and coalesced; a
broadcast consumer reads an exchange through a queue of its own, so every process sees every message.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Sequence, TypeVar

from .amqp_acks import AckBatcher
from ..protocol import Topology
from .amqp_nodes import backoff_delay_ms
from .amqp_declare import declare_exchanges
from .types import Subscription

log = logging.getLogger("warren.transport.amqp")

#: start(conn, channel, lost) sets the channel up and consumes; returns (queue, consumer tag).
Start = Callable[[Any, Any, asyncio.Event], Awaitable[Any]]
DurableConsumer = Callable[[str, Start], Awaitable[Subscription]]
#: settle(requeue): once only, and a no-op after the channel was lost (the broker requeues then).
Settle = Callable[[bool], Awaitable[None]]
#: handle(message, settle, lost) for every delivery of an acked consumer.
Handle = Callable[[Any, Settle, asyncio.Event], Awaitable[None]]
#: declare(channel) declares the queue (and what it binds to) and returns it.
Declare = Callable[[Any], Awaitable[Any]]
T = TypeVar("T")


def durable_consumers(manager: Any, subscriptions: set[Subscription]) -> DurableConsumer:
    """The transport's way to open consumers on `manager`; each is added to `subscriptions` until closed."""

    async def durable_consumer(label: str, start: Start) -> Subscription:
        """A consumer that comes back on every reconnect, and after a backoff when only its channel dies."""
        state: dict[str, Any] = {"channel": None, "queue": None, "tag": None, "stopped": False, "failures": 0, "restart": None}

        async def open_on(conn: Any) -> None:
            if state["stopped"]:
                return
            channel = await conn.channel()
            lost = asyncio.Event()
            state["channel"] = channel

            def on_close(*_: Any) -> None:
                lost.set()
                connected = getattr(conn, "connected", None)  # cleared when the whole connection went
                conn_alive = not conn.is_closed and (connected is None or connected.is_set())
                if state["stopped"] or state["channel"] is not channel or manager.current() is not conn or not conn_alive:
                    return
                state["channel"] = None
                state["restart"] = asyncio.get_running_loop().create_task(restart(conn))

            channel.close_callbacks.add(on_close)
            conn.close_callbacks.add(lambda *_: lost.set())
            state["queue"], state["tag"] = await start(conn, channel, lost)
            state["failures"] = 0

        async def restart(conn: Any) -> None:
            delay = backoff_delay_ms(state["failures"], 200, 5_000)
            state["failures"] += 1
            log.warning("consumer %s lost its channel; reopening in %d ms", label, delay)
            await asyncio.sleep(delay / 1000)
            if not state["stopped"] and manager.current() is conn:
                try:
                    await open_on(conn)
                except Exception as error:  # noqa: BLE001
                    log.error("consumer %s could not restart: %s", label, error)

        try:
            remove = await manager.add_setup(open_on)
        except BaseException:
            state["stopped"] = True  # never came up: no restarts
            raise

        async def pause() -> None:
            state["stopped"] = True
            remove()
            if state["restart"] is not None:
                state["restart"].cancel()
            queue, tag, channel = state["queue"], state["tag"], state["channel"]
            if queue is not None and tag is not None and channel is not None and not channel.is_closed:
                try:
                    await queue.cancel(tag)
                except Exception as error:  # noqa: BLE001
                    log.debug("consumer %s: cancel failed: %s", label, error)

        async def close() -> None:
            await pause()
            subscriptions.discard(subscription)
            channel, state["channel"] = state["channel"], None
            if channel is not None and not channel.is_closed:
                try:
                    await channel.close()
                except Exception:  # noqa: BLE001
                    pass

        subscription = Subscription(pause=pause, close=close)
        subscriptions.add(subscription)
        return subscription

    return durable_consumer


def settler(message: Any, lost: asyncio.Event, label: str, acks: AckBatcher | None = None) -> Settle:
    settled = False

    async def settle(requeue: bool) -> None:
        nonlocal settled
        if settled or lost.is_set():
            return
        settled = True
        try:
            if acks is not None and not requeue:
                await acks.ack(message.delivery_tag)
            else:
                if acks is not None:
                    acks.forget(message.delivery_tag)
                await (message.nack(requeue=True) if requeue else message.ack())
        except Exception as error:  # noqa: BLE001 - the broker requeues it when the channel goes
            log.warning("could not settle a request on %s: %s", label, error)

    return settle


async def acked_consumer(durable_consumer: DurableConsumer, queue_name: str, prefetch: int, declare: Declare,
                         handle: Handle) -> Subscription:
    """A durable consumer of `queue_name` with manual acks: prefetch set, the queue declared, every
    delivery handed to `handle` with a once-only settle that coalesces acks."""

    async def start(conn: Any, channel: Any, lost: asyncio.Event) -> Any:
        await channel.set_qos(prefetch_count=prefetch)
        queue = await declare(channel)
        acks = AckBatcher(channel.channel)

        async def on_message(message: Any) -> None:
            acks.delivered(message.delivery_tag)
            await handle(message, settler(message, lost, queue_name, acks), lost)

        return queue, await queue.consume(on_message, no_ack=False)

    return await durable_consumer(queue_name, start)


async def broadcast_consumer(durable_consumer: DurableConsumer, topo: Topology, label: str, exchange: str, keys: Sequence[str],
                             parse: Callable[[bytes], T | None], what: str, listener: Callable[[T], None]) -> Subscription:
    """This process's own exclusive, server-named queue bound to `exchange` (gone with the connection),
    read without acks; a message `parse` rejects (None) is dropped and logged."""

    async def start(conn: Any, channel: Any, lost: asyncio.Event) -> Any:
        await declare_exchanges(channel, topo)
        queue = await channel.declare_queue("", exclusive=True)
        for key in keys:
            await queue.bind(exchange, routing_key=key)

        async def on_message(message: Any) -> None:
            value = parse(message.body)
            if value is None:
                log.warning("dropping a malformed %s on %s", what, exchange)
                return
            try:
                listener(value)
            except Exception:  # noqa: BLE001 - never let one message kill the consumer
                log.exception("%s listener failed", what)

        return queue, await queue.consume(on_message, no_ack=True)

    return await durable_consumer(label, start)
