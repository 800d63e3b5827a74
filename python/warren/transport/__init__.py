"""The broker seam: types here; implementations in `memory` and `amqp`."""
from .types import (
    AnnouncementListener,
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
    "AnnouncementListener",
    "CancelListener",
    "ConnectionStatus",
    "RequestDelivery",
    "RequestListener",
    "RequestMessage",
    "ResponseListener",
    "Subscription",
    "Transport",
]
