"""Settling a request with the broker: acked once answered, or handed back for a new attempt.

Bounded by `settle_timeout_ms`: one that does not finish counts as a lost delivery (the broker
redelivers it when the channel goes) and frees the request here.
"""
from __future__ import annotations

from .bounded import SettleTimeout, within
from .errors import Undeliverable
from .request_run import RequestRun, logger


async def settle(run: RequestRun, requeue: bool) -> None:
    delivery = run.delivery
    try:
        await within(delivery.requeue() if requeue else delivery.ack(), run.runtime.settle_timeout_s)
    except SettleTimeout as error:
        logger(run).warning("could not %s the request (%s); counting it as lost: the broker redelivers it when its "
                            "channel closes", "hand back" if requeue else "ack", error, extra={"outcome": "lost"})


async def settle_undeliverable(run: RequestRun, error: Undeliverable) -> None:
    # Acked, not requeued: a redelivery would be answered to the same missing queue.
    await settle(run, False)
    logger(run).warning("request %s: nobody can receive its answer (%s); acked: outcome=undeliverable",
                        run.delivery.request.id, error, extra={"outcome": "undeliverable"})
