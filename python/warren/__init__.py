"""Warren's Python worker SDK: serve request types a React app calls through the gateway.

    from warren import Worker

    worker = Worker(service="chat")

    @worker.handler("chat")
    async def chat(payload, ctx):
        await ctx.send_chunk({"token": "Hi"})
        return {"reply": "Hi"}

    worker.run()
"""
from typing import Any, Sequence

from .errors import (
    AppError,
    BrokerRefused,
    BrokerUnavailable,
    Cancelled,
    ConfigError,
    DeadlineExceeded,
    InvalidRequest,
    NoHandler,
    ProtocolFilesNotFound,
    ResponseReturned,
    Undeliverable,
    WarrenError,
    ErrorCode,
)
from .encoder import Encoder, default_json, json_encoder
from .context import AbortReason
from .handler import Handler
from .protocol import Topology, error_codes, topology
from .context import Context, SyncContext
from .transport.types import RequestDelivery, RequestMessage, Subscription, Transport
from .transport.memory import MemoryBroker, memory_transport
from .options import DEFAULTS
from .register_handlers import WorkerHandle, register_handlers
from .worker import Worker
from .schema import Contract, contract, to_json_schema
from .version import SDK_VERSION


async def amqp_transport(url: str | Sequence[str], namespace: str | None = None, **options: Any) -> Transport:
    """The RabbitMQ transport (imports aio-pika on first use); see warren.transport.amqp.amqp_transport."""
    from .transport.amqp import amqp_transport as make

    return await make(url, namespace, **options)


__version__ = SDK_VERSION

__all__ = [
    "AbortReason",
    "AppError",
    "BrokerRefused",
    "Encoder",
    "ErrorCode",
    "Handler",
    "default_json",
    "json_encoder",
    "BrokerUnavailable",
    "Cancelled",
    "ConfigError",
    "Context",
    "Contract",
    "DEFAULTS",
    "DeadlineExceeded",
    "InvalidRequest",
    "MemoryBroker",
    "NoHandler",
    "ProtocolFilesNotFound",
    "ResponseReturned",
    "SDK_VERSION",
    "RequestDelivery",
    "RequestMessage",
    "Subscription",
    "SyncContext",
    "Topology",
    "Transport",
    "Undeliverable",
    "WarrenError",
    "Worker",
    "WorkerHandle",
    "amqp_transport",
    "contract",
    "error_codes",
    "memory_transport",
    "register_handlers",
    "to_json_schema",
    "topology",
]
