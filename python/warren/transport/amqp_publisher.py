"""What the RabbitMQ transport publishes on its own channels: responses (confirmed and mandatory, or
on the fast lane's plain channel) and cancel-stream records.

One confirm-mode channel and one plain channel per connection, opened by `setup` and reopened on
demand when only the channel died (e.g. an oversized message), as
packages/transport/src/amqp/publisher.ts and responses.ts do for TypeScript.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import aiormq

from .. import wire
from ..errors import BrokerUnavailable, ResponseReturned
from ..protocol import Topology, headers as header_names, topology_facts
from .amqp_nodes import describe
from .amqp_declare import declare_cancel_stream, declare_exchanges

log = logging.getLogger("warren.transport.amqp")


@dataclass(frozen=True)
class Publishing:
    #: Per connection: opens both channels and declares the exchanges and the cancel stream.
    setup: Callable[[Any], Awaitable[None]]
    #: The confirm-mode channel, reopened if it died.
    channel: Callable[[], Awaitable[Any]]
    #: publish_response(reply_to, envelope, body=None, fast_session=None)
    publish_response: Callable[..., Awaitable[None]]
    #: publish_responses(reply_to, envelopes, body=, fast_session=None)
    publish_responses: Callable[..., Awaitable[None]]
    #: append_to_cancel_stream(body, message_type, message_id=None)
    append_to_cancel_stream: Callable[..., Awaitable[None]]


def publishing(topo: Topology, manager: Any) -> Publishing:
    confirmed: dict[str, Any] = {"channel": None}
    # Fast-lane responses: a plain channel, no confirms (docs/decisions/0016-fast-lane.md).
    plain: dict[str, Any] = {"channel": None}
    lock = asyncio.Lock()
    batch_type = topology_facts()["messageTypes"]["batch"]

    async def open_confirmed(conn: Any) -> Any:
        # on_return_raises: a mandatory publish the broker returns raises PublishError
        # (rather than resolving with the returned message), so a response is never
        # taken as delivered when no queue received it. Other publishes are not mandatory.
        return await conn.channel(publisher_confirms=True, on_return_raises=True)

    async def open_plain(conn: Any) -> Any:
        return await conn.channel(publisher_confirms=False)

    async def setup(conn: Any) -> None:
        channel = await open_confirmed(conn)
        await declare_exchanges(channel, topo)
        confirmed["channel"] = channel
        plain["channel"] = await open_plain(conn)
        # Its own channel: a broker user that may not declare it (or a stream declared with
        # other arguments) costs the cancel stream, not the connection.
        try:
            stream_channel = await conn.channel()
            await declare_cancel_stream(stream_channel, topo)
            await stream_channel.close()
        except Exception as error:  # noqa: BLE001
            log.warning("could not declare the cancel stream %s: %s", topo.cancel_stream, error)

    async def reopened(slot: dict[str, Any], open_channel: Callable[[Any], Awaitable[Any]]) -> Any:
        channel = slot["channel"]
        if channel is not None and not channel.is_closed:
            return channel
        async with lock:  # only the channel died (e.g. an oversized message): reopen it
            conn = manager.current()
            if conn is None:
                raise BrokerUnavailable(f"The message broker at {describe(manager.urls)} is unreachable; try again shortly.")
            if slot["channel"] is None or slot["channel"].is_closed:
                slot["channel"] = await open_channel(conn)
            return slot["channel"]

    async def confirmed_channel() -> Any:
        return await reopened(confirmed, open_confirmed)

    async def send_response(reply_to: str, body: bytes, correlation_id: str, message_type: str, fast_session: str | None) -> None:
        """One attempt; raises ResponseReturned when no queue `reply_to` exists (the caller retries)."""
        if fast_session is not None:
            # The fast lane: written, not confirmed, not persisted, not mandatory; the session in a header,
            # since the gateway's one reply queue serves all its sessions.
            fast = await reopened(plain, open_plain)
            properties = aiormq.spec.Basic.Properties(content_type="application/json", delivery_mode=1,
                                                      correlation_id=correlation_id, message_type=message_type,
                                                      headers={header_names()["session"]: fast_session})
            await fast.channel.basic_publish(body, exchange="", routing_key=reply_to, properties=properties)
            return
        channel = await confirmed_channel()
        # Straight to aiormq (the default exchange is ""): aio-pika's Message object costs
        # about a dozen attribute checks per response and adds nothing here.
        properties = aiormq.spec.Basic.Properties(content_type="application/json", delivery_mode=2,
                                                  correlation_id=correlation_id, message_type=message_type)
        try:
            await channel.channel.basic_publish(body, exchange="", routing_key=reply_to, properties=properties, mandatory=True)
        except aiormq.exceptions.PublishError:  # basic.return
            raise ResponseReturned(reply_to) from None
        except aiormq.exceptions.DeliveryError:  # basic.nack: e.g. a quorum queue electing a new leader
            raise BrokerUnavailable("The message broker did not confirm a response; it will be sent again.") from None

    async def publish_response(reply_to: str, envelope: dict[str, Any], *, body: bytes | None = None,
                               fast_session: str | None = None) -> None:
        """One attempt; raises ResponseReturned when no queue `reply_to` exists (the caller retries)."""
        await send_response(reply_to, wire.encode_json(envelope) if body is None else body, envelope["id"], envelope["kind"],
                            fast_session)

    async def publish_responses(reply_to: str, envelopes: list[dict[str, Any]], *, body: bytes,
                                fast_session: str | None = None) -> None:
        """One attempt at a batch message (packages/protocol/spec/v1/protocol.md "Response message"); raises as publish_response."""
        await send_response(reply_to, body, envelopes[0]["id"], batch_type, fast_session)

    async def append_to_cancel_stream(body: bytes, message_type: str, message_id: str | None = None) -> None:
        """One persistent, confirmed record; mandatory, so a stream deleted under us is declared again and the record re-sent once."""
        properties = aiormq.spec.Basic.Properties(content_type="application/json", delivery_mode=2, message_type=message_type,
                                                  message_id=message_id)
        for attempt in (1, 2):
            channel = await confirmed_channel()
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

    return Publishing(setup=setup, channel=confirmed_channel, publish_response=publish_response,
                      publish_responses=publish_responses, append_to_cancel_stream=append_to_cancel_stream)
