"""The request's final message (result or error): encoded, published after its chunks, confirmed.

A result the encoder refuses becomes the caller's WORKER_ERROR, never a redelivery. A final
message that cannot be published hands the request back for a new attempt, or acks it when
nobody can receive it (undeliverable).
"""
from __future__ import annotations

import logging
from typing import Any

from . import wire
from .errors import Undeliverable, WarrenError
from .reply_publishing import stamped
from .request_run import RequestRun, logger
from .response_stream import ResponseStream
from .settling import settle, settle_undeliverable

_handler_log = logging.getLogger("warren.handler")


async def finish(run: RequestRun, stream: ResponseStream, envelope: dict[str, Any]) -> bool:
    """Publish the final message; True once confirmed (the caller acks), else it was settled here."""
    encoder = run.runtime.encoder
    try:
        body = encoder(envelope)
    except (TypeError, ValueError) as bad:
        logger(run).error("the handler's result cannot be encoded as JSON: %s", bad)
        envelope = wire.error(run.delivery.request.id, envelope["seq"], run.delivery.attempt,
                              WarrenError("WORKER_ERROR", f"The handler's result is not JSON: {bad}").to_wire())
        body = encoder(envelope)
    try:
        await stream.final(*stamped(run, envelope, body))
    except Undeliverable as error:
        stream.abandon()
        await settle_undeliverable(run, error)
        return False
    except Exception as error:  # noqa: BLE001 - nacked, channel gone, or SettleTimeout: a new attempt
        stream.abandon()
        logger(run).warning("could not publish the final %s (%s); handing the request back", envelope["kind"], error)
        await settle(run, True)
        return False
    if _handler_log.isEnabledFor(logging.DEBUG):
        outcome = "ok" if envelope["kind"] == "result" else "error"
        code = envelope.get("error", {}).get("code", "")
        logger(run).debug("answered: outcome=%s%s", outcome, f" {code}" if code else "", extra={"outcome": outcome})
    return True


async def answer(run: RequestRun, stream: ResponseStream, envelope: dict[str, Any]) -> None:
    """Publish the final message and ack the request once it is confirmed."""
    if await finish(run, stream, envelope):
        await settle(run, False)
