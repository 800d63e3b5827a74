"""What both transports do with a request that cannot be parsed (protocol, worker behaviour 3)."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from .. import wire
from ..delivery import publish_until_routed
from ..errors import InvalidRequest, Undeliverable


async def answer_malformed(
    error: InvalidRequest,
    props: wire.WireProps,
    *,
    queue: str,
    publish: Callable[[str, dict[str, Any]], Awaitable[None]],
    log: logging.Logger,
) -> None:
    """Log it and, when it names a reply_to and an id, answer INVALID_REQUEST. Never raises.

    The caller acks the message afterwards either way: it never reaches a handler.
    """
    reply_to = props.reply_to if isinstance(props.reply_to, str) and props.reply_to else None
    request_id = props.correlation_id if isinstance(props.correlation_id, str) and props.correlation_id else None
    log.warning("dropping a malformed request on %s (id=%s): %s", queue, request_id, error.message)
    if reply_to is None or request_id is None:
        return
    attempt = wire.attempt_from(props.headers or {}, props.redelivered)
    try:
        await publish_until_routed(publish, reply_to, wire.error(request_id, 0, attempt, error.to_wire()))
    except Undeliverable as failure:
        log.warning("request %s: nobody can receive the answer to a malformed request on %s (%s): outcome=undeliverable",
                    request_id, queue, failure, extra={"outcome": "undeliverable", "request_id": request_id})
    except Exception as failure:  # noqa: BLE001 - a bad message must never crash the worker
        log.warning("could not answer a malformed request on %s: %s", queue, failure)
