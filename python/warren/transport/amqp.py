"""The RabbitMQ implementation of the transport seam (packages/protocol/spec/v1/protocol.md, Hop 2).

Here are the connection and the assembly; each kind of message has its own module: publishing
(responses, cancel records) in amqp_publisher, consumers in amqp_consumer, requests in
amqp_requests, cancels in amqp_cancels, the gateway's side in amqp_gateway, the registry in
amqp_registry.
"""
from __future__ import annotations

from typing import Sequence

from ..errors import BrokerUnavailable
from ..protocol import topology as make_topology
from .amqp_cancels import cancel_consumer
from .amqp_connection import connection_manager
from .amqp_consumer import durable_consumers, settler
from .amqp_gateway import gateway_functions
from .amqp_publisher import publishing
from .amqp_registry import registry_functions
from .amqp_requests import request_consumers
from .types import Subscription, Transport


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
    publisher = publishing(topo, manager)
    subscriptions: set[Subscription] = set()

    await manager.add_setup(publisher.setup)
    try:
        await manager.ready(connect_timeout_ms)
    except BrokerUnavailable:
        await manager.close()
        raise

    durable_consumer = durable_consumers(manager, subscriptions)
    requests = request_consumers(topo, durable_consumer, publisher.publish_response)
    consume_cancels = cancel_consumer(topo, durable_consumer, publisher.append_to_cancel_stream, connection_name,
                                      cancel_marker_wait_ms)

    async def close() -> None:
        for subscription in list(subscriptions):
            await subscription.close()
        await manager.close()

    gateway = gateway_functions(topo, manager, publisher.channel, durable_consumer, settler, publisher.append_to_cancel_stream)
    registry = registry_functions(topo, publisher.channel, durable_consumer)
    return Transport(
        kind="amqp",
        status=manager.status,
        on_status=manager.on_status,
        publish_request=gateway["publish_request"],
        consume_replies=gateway["consume_replies"],
        publish_cancel=gateway["publish_cancel"],
        consume_requests=requests.consume_requests,
        publish_response=publisher.publish_response,
        consume_cancels=consume_cancels,
        announce=registry["announce"],
        consume_announcements=registry["consume_announcements"],
        close=close,
        consume_fast_requests=requests.consume_fast_requests,
        publish_responses=publisher.publish_responses,
    )
