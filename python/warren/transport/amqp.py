"""The RabbitMQ implementation of the transport seam (packages/protocol/spec/v1/protocol.md, Hop 2)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Sequence

import aio_pika
import aiormq

from .. import wire
from ..errors import BrokerUnavailable, ConfigError, InvalidRequest, ResponseReturned
from ..protocol import Topology, cancel_stream_reading, headers as header_names, topology as make_topology, topology_facts
from .amqp_acks import AckBatcher
from .amqp_cancels import CancelStreamReader
from .amqp_connection import backoff_delay_ms, connection_manager, describe
from .amqp_gateway import gateway_functions
from .amqp_registry import registry_functions
from .malformed import answer_malformed
from .types import CancelListener, RequestDelivery, Subscription, Transport

log = logging.getLogger("warren.transport.amqp")


async def declare_exchanges(channel: Any, topo: Topology) -> None:
    direct, fanout = aio_pika.ExchangeType.DIRECT, aio_pika.ExchangeType.FANOUT
    await channel.declare_exchange(topo.requests_exchange, direct, durable=True)
    await channel.declare_exchange(topo.control_exchange, direct, durable=True)
    await channel.declare_exchange(topo.dead_letter_exchange, fanout, durable=True)
    await channel.declare_exchange(topo.registry_exchange, fanout, durable=True)


def wire_props(message: Any) -> wire.WireProps:
    return wire.WireProps(
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        type=message.type,
        headers=dict(message.headers or {}),
        message_id=message.message_id,
        redelivered=bool(message.redelivered),
    )


async def declare_cancel_stream(channel: Any, topo: Topology) -> Any:
    return await channel.declare_queue(topo.cancel_stream, durable=True, arguments=topo.cancel_stream_arguments())


async def amqp_transport(
    url: str | Sequence[str],
    namespace: str | None = None,
    *,
    heartbeat_s: int = 10,
    connect_timeout_ms: float = 10_000,
    backoff_initial_ms: float = 100,
    backoff_max_ms: float = 5_000,
    connection_name: str = "warren",
    cancel_marker_wait_ms: float | None = None,
) -> Transport:
    """Connect (waiting up to connect_timeout_ms for the first connection) and return the transport.

    `url`: one AMQP URL, or the nodes of a cluster as a comma-separated string or a sequence;
    see amqp_connection for how the connection moves between them.
    """
    topo = make_topology(namespace)
    manager = connection_manager(
        url, heartbeat_s=heartbeat_s, connect_timeout_ms=connect_timeout_ms,
        backoff_initial_ms=backoff_initial_ms, backoff_max_ms=backoff_max_ms, name=connection_name,
    )
    publisher: dict[str, Any] = {"channel": None}
    # Fast-lane responses: a plain channel, no confirms (docs/decisions/0016-fast-lane.md).
    fast_publisher: dict[str, Any] = {"channel": None}
    publisher_lock = asyncio.Lock()
    subscriptions: set[Subscription] = set()

    async def open_publisher(conn: Any) -> Any:
        # on_return_raises: a mandatory publish the broker returns raises PublishError
        # (rather than resolving with the returned message), so a response is never
        # taken as delivered when no queue received it. Other publishes are not mandatory.
        return await conn.channel(publisher_confirms=True, on_return_raises=True)

    async def setup_publisher(conn: Any) -> None:
        channel = await open_publisher(conn)
        await declare_exchanges(channel, topo)
        publisher["channel"] = channel
        fast_publisher["channel"] = await conn.channel(publisher_confirms=False)
        # Its own channel: a broker user that may not declare it (or a stream declared with
        # other arguments) costs the cancel stream, not the connection.
        try:
            stream_channel = await conn.channel()
            await declare_cancel_stream(stream_channel, topo)
            await stream_channel.close()
        except Exception as error:  # noqa: BLE001
            log.warning("could not declare the cancel stream %s: %s", topo.cancel_stream, error)

    async def publishing_channel() -> Any:
        channel = publisher["channel"]
        if channel is not None and not channel.is_closed:
            return channel
        async with publisher_lock:  # only the channel died (e.g. an oversized message): reopen it
            conn = manager.current()
            if conn is None:
                raise BrokerUnavailable(f"The message broker at {describe(manager.urls)} is unreachable; try again shortly.")
            if publisher["channel"] is None or publisher["channel"].is_closed:
                publisher["channel"] = await open_publisher(conn)
            return publisher["channel"]

    await manager.add_setup(setup_publisher)
    try:
        await manager.ready(connect_timeout_ms)
    except BrokerUnavailable:
        await manager.close()
        raise

    async def fast_channel() -> Any:
        channel = fast_publisher["channel"]
        if channel is not None and not channel.is_closed:
            return channel
        async with publisher_lock:
            conn = manager.current()
            if conn is None:
                raise BrokerUnavailable(f"The message broker at {describe(manager.urls)} is unreachable; try again shortly.")
            if fast_publisher["channel"] is None or fast_publisher["channel"].is_closed:
                fast_publisher["channel"] = await conn.channel(publisher_confirms=False)
            return fast_publisher["channel"]

    async def publish_response(reply_to: str, envelope: dict[str, Any], *, body: bytes | None = None,
                               fast_session: str | None = None) -> None:
        """One attempt; raises ResponseReturned when no queue `reply_to` exists (the caller retries)."""
        if fast_session is not None:
            # The fast lane: written, not confirmed, not persisted, not mandatory; the session in a header,
            # since the gateway's one reply queue serves all its sessions.
            fast = await fast_channel()
            properties = aiormq.spec.Basic.Properties(content_type="application/json", delivery_mode=1,
                                                      correlation_id=envelope["id"], message_type=envelope["kind"],
                                                      headers={header_names()["session"]: fast_session})
            await fast.channel.basic_publish(wire.encode_json(envelope) if body is None else body, exchange="",
                                             routing_key=reply_to, properties=properties)
            return
        channel = await publishing_channel()
        # Straight to aiormq (the default exchange is ""): aio-pika's Message object costs
        # about a dozen attribute checks per response and adds nothing here.
        properties = aiormq.spec.Basic.Properties(content_type="application/json", delivery_mode=2,
                                                  correlation_id=envelope["id"], message_type=envelope["kind"])
        try:
            await channel.channel.basic_publish(wire.encode_json(envelope) if body is None else body, exchange="",
                                                routing_key=reply_to, properties=properties, mandatory=True)
        except aiormq.exceptions.PublishError:  # basic.return
            raise ResponseReturned(reply_to) from None
        except aiormq.exceptions.DeliveryError:  # basic.nack: e.g. a quorum queue electing a new leader
            raise BrokerUnavailable("The message broker did not confirm a response; it will be sent again.") from None

    batch_type = topology_facts()["messageTypes"]["batch"]

    async def publish_responses(reply_to: str, envelopes: list[dict[str, Any]], *, body: bytes,
                                fast_session: str | None = None) -> None:
        """One attempt at a batch message (packages/protocol/spec/v1/protocol.md "Response message"); raises as publish_response."""
        if fast_session is not None:
            fast = await fast_channel()
            properties = aiormq.spec.Basic.Properties(content_type="application/json", delivery_mode=1,
                                                      correlation_id=envelopes[0]["id"], message_type=batch_type,
                                                      headers={header_names()["session"]: fast_session})
            await fast.channel.basic_publish(body, exchange="", routing_key=reply_to, properties=properties)
            return
        channel = await publishing_channel()
        properties = aiormq.spec.Basic.Properties(content_type="application/json", delivery_mode=2,
                                                  correlation_id=envelopes[0]["id"], message_type=batch_type)
        try:
            await channel.channel.basic_publish(body, exchange="", routing_key=reply_to, properties=properties, mandatory=True)
        except aiormq.exceptions.PublishError:  # basic.return
            raise ResponseReturned(reply_to) from None
        except aiormq.exceptions.DeliveryError:  # basic.nack
            raise BrokerUnavailable("The message broker did not confirm a response; it will be sent again.") from None

    async def append_to_cancel_stream(body: bytes, message_type: str, message_id: str | None = None) -> None:
        """One persistent, confirmed record; mandatory, so a stream deleted under us is declared again and the record re-sent once."""
        properties = aiormq.spec.Basic.Properties(content_type="application/json", delivery_mode=2, message_type=message_type,
                                                  message_id=message_id)
        for attempt in (1, 2):
            channel = await publishing_channel()
            try:
                await channel.channel.basic_publish(body, exchange="", routing_key=topo.cancel_stream, properties=properties, mandatory=True)
                return
            except aiormq.exceptions.PublishError:  # basic.return: no such stream
                if attempt == 2:
                    raise BrokerUnavailable(f"The cancel stream {topo.cancel_stream} does not exist.") from None
                conn = manager.current()
                if conn is None:
                    raise BrokerUnavailable() from None
                declaring = await conn.channel()
                await declare_cancel_stream(declaring, topo)
                await declaring.close()
            except aiormq.exceptions.DeliveryError:
                raise BrokerUnavailable("The message broker did not confirm a cancel.") from None

    async def durable_consumer(label: str, start: Callable[[Any, Any, asyncio.Event], Awaitable[Any]]) -> Subscription:
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

    def settler(message: Any, lost: asyncio.Event, label: str, acks: AckBatcher | None = None) -> Callable[[bool], Awaitable[None]]:
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

    async def consume_requests(request_type: str, listener: Callable[[RequestDelivery], None], *, prefetch: int) -> Subscription:
        queue_name = topo.request_queue(request_type)

        async def start(conn: Any, channel: Any, lost: asyncio.Event) -> Any:
            await channel.set_qos(prefetch_count=prefetch)
            await declare_exchanges(channel, topo)
            try:
                queue = await channel.declare_queue(queue_name, durable=True, arguments=topo.request_queue_arguments())
            except aiormq.exceptions.ChannelPreconditionFailed as error:
                raise ConfigError(
                    f"queue {queue_name} already exists with other arguments than {topo.request_queue_arguments()} "
                    f"({error}); delete it or use another namespace"
                ) from None
            await queue.bind(topo.requests_exchange, routing_key=request_type)
            acks = AckBatcher(channel.channel)

            async def on_message(message: Any) -> None:
                acks.delivered(message.delivery_tag)
                settle = settler(message, lost, queue_name, acks)
                props = wire_props(message)
                try:
                    request = wire.decode_request(message.body, props, request_type=request_type, topo=topo)
                except InvalidRequest as error:
                    await answer_malformed(error, props, queue=queue_name, publish=publish_response, log=log)
                    return await settle(False)

                async def ack() -> None:
                    await settle(False)

                async def requeue() -> None:
                    await settle(True)

                attempt = wire.attempt_from(props.headers, props.redelivered)
                try:
                    listener(RequestDelivery(request=request, attempt=attempt, ack=ack, requeue=requeue, lost=lost))
                except Exception:  # noqa: BLE001 - never let one message kill the consumer
                    log.exception("request listener failed on %s", queue_name)

            return queue, await queue.consume(on_message, no_ack=False)

        return await durable_consumer(queue_name, start)

    async def consume_fast_requests(request_type: str, listener: Callable[[RequestDelivery], None], *, prefetch: int) -> Subscription:
        queue_name = topo.fast_queue(request_type)

        async def start(conn: Any, channel: Any, lost: asyncio.Event) -> Any:
            # Manual acks with prefetch = concurrency, not auto-ack: RabbitMQ ignores prefetch for
            # auto-ack consumers, so a worker would take the whole queue.
            await channel.set_qos(prefetch_count=prefetch)
            try:
                queue = await channel.declare_queue(queue_name, durable=True, arguments=topo.fast_queue_arguments())
            except aiormq.exceptions.ChannelPreconditionFailed as error:
                raise ConfigError(
                    f"queue {queue_name} already exists with other arguments than {topo.fast_queue_arguments()} "
                    f"({error}); delete it or use another namespace"
                ) from None
            acks = AckBatcher(channel.channel)

            async def on_message(message: Any) -> None:
                acks.delivered(message.delivery_tag)
                settle = settler(message, lost, queue_name, acks)
                props = wire_props(message)
                if props.redelivered:
                    # At most once: a redelivered fast request may have run (its worker died or handed it back).
                    log.info("dropping a redelivered fast request %s on %s (at most once)", props.correlation_id, queue_name)
                    return await settle(False)
                try:
                    request = wire.decode_request(message.body, props, request_type=request_type, topo=topo, fast=True)
                except InvalidRequest as error:
                    log.warning("dropping a malformed fast request on %s: %s", queue_name, error)
                    return await settle(False)

                async def ack() -> None:
                    await settle(False)

                async def requeue() -> None:
                    await settle(True)

                try:
                    listener(RequestDelivery(request=request, attempt=1, ack=ack, requeue=requeue, lost=lost))
                except Exception:  # noqa: BLE001 - never let one message kill the consumer
                    log.exception("request listener failed on %s", queue_name)

            return queue, await queue.consume(on_message, no_ack=False)

        return await durable_consumer(queue_name, start)

    async def consume_cancels(types: Sequence[str], listener: CancelListener, instance: str | None = None) -> Subscription:
        live = await consume_live_cancels(types, listener)
        reading = cancel_stream_reading()

        async def start(conn: Any, channel: Any, lost: asyncio.Event) -> Any:
            # Read from the first offset on every (re)start: cheap (bounded by the stream's retention)
            # and the only way to learn what was sent meanwhile. The manager runs setups in order, so
            # after a reconnect the request consumers (registered later) wait for this marker too.
            reader = CancelStreamReader(types, instance or connection_name, listener, cancel_marker_wait_ms)
            try:
                await channel.set_qos(prefetch_count=int(reading["prefetch"]))
                queue = await declare_cancel_stream(channel, topo)
                acks = AckBatcher(channel.channel)

                async def on_message(message: Any) -> None:
                    acks.delivered(message.delivery_tag)
                    try:
                        reader.on_message(message.type, message.message_id, message.body)
                    finally:
                        # A stream consumer gets more only as it acks (its qos is its credit).
                        acks.ack(message.delivery_tag)

                tag = await queue.consume(on_message, no_ack=False, arguments={"x-stream-offset": "first"})
            except Exception as error:  # noqa: BLE001 - the live path still works; the channel's loss retries this
                log.warning("could not read the cancel stream %s: %s", topo.cancel_stream, error)
                return None, None
            await reader.caught_up(append_to_cancel_stream)
            return queue, tag

        stream = await durable_consumer(f"{topo.cancel_stream}:{','.join(types)}", start)

        async def pause() -> None:
            await live.pause()
            await stream.pause()

        async def close() -> None:
            await live.close()
            await stream.close()

        return Subscription(pause=pause, close=close)

    async def consume_live_cancels(types: Sequence[str], listener: CancelListener) -> Subscription:
        async def start(conn: Any, channel: Any, lost: asyncio.Event) -> Any:
            await declare_exchanges(channel, topo)
            queue = await channel.declare_queue("", exclusive=True)  # server-named
            for request_type in types:
                await queue.bind(topo.control_exchange, routing_key=request_type)

            async def on_message(message: Any) -> None:
                cancel = wire.decode_cancel(message.body)
                if cancel is None:
                    log.warning("dropping a malformed cancel on %s", topo.control_exchange)
                    return
                try:
                    listener(cancel)
                except Exception:  # noqa: BLE001
                    log.exception("cancel listener failed")

            return queue, await queue.consume(on_message, no_ack=True)

        return await durable_consumer(f"{topo.control_exchange}:{','.join(types)}", start)

    async def close() -> None:
        for subscription in list(subscriptions):
            await subscription.close()
        await manager.close()

    gateway = gateway_functions(topo, manager, publishing_channel, durable_consumer, settler, append_to_cancel_stream)
    registry = registry_functions(topo, publishing_channel, durable_consumer, declare_exchanges)
    return Transport(
        kind="amqp",
        status=manager.status,
        on_status=manager.on_status,
        publish_request=gateway["publish_request"],
        consume_replies=gateway["consume_replies"],
        publish_cancel=gateway["publish_cancel"],
        consume_requests=consume_requests,
        publish_response=publish_response,
        consume_cancels=consume_cancels,
        announce=registry["announce"],
        consume_announcements=registry["consume_announcements"],
        close=close,
        consume_fast_requests=consume_fast_requests,
        publish_responses=publish_responses,
    )
