"""The broker seam: types here; implementations in `memory` and `amqp`."""
from .types import (
    CancelListener,
    ConnectionStatus,
    RequestDelivery,
    RequestListener,
    RequestMessage,
    ResponseListener,
    Subscription,
    Transport,
)

__all__ = [
    "CancelListener",
    "ConnectionStatus",
    "RequestDelivery",
    "RequestListener",
    "RequestMessage",
    "ResponseListener",
    "Subscription",
    "Transport",
]
