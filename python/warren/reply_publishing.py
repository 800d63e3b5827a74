"""How one request's responses reach the broker: one at a time or batched, retried while the
broker returns them (warren.delivery), each publish bounded by `settle_timeout_ms`.

Fast-lane responses go unconfirmed and are never returned (decision 0016). The first response
of each attempt carries the worker stamp (docs/protocol.md, "Hops"). A response that cannot be
published aborts the handler: the rest would be pointless.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from . import wire
from .bounded import within
from .context import abort_error
from .delivery import publish_until_routed
from .errors import Undeliverable
from .request_run import RequestRun, logger, remaining_ms
from .response_stream import PublishMany, ResponseStream


def response_stream(run: RequestRun) -> ResponseStream:
    runtime, request = run.runtime, run.delivery.request
    fast_session = request.session if request.fast else None  # fast: unconfirmed and never returned (decision 0016)

    def left_ms() -> float | None:
        return remaining_ms(run)

    def on_return(retries: int) -> None:
        if retries == 0:  # once per message: the retries themselves are routine
            logger(run).info("the broker returned a response (no queue %s); retrying", request.reply_to)

    def give_up() -> bool:
        # A lost delivery is redelivered anyway: retrying its answers could only duplicate them.
        # At shutdown the request is handed back: a drain must not wait out a retry window.
        return run.delivery.lost.is_set() or (run.job is not None and run.job.ctx._abort_reason == "SHUTTING_DOWN")

    async def publish_one(envelope: dict[str, Any], body: bytes) -> None:
        async def once(reply_to: str, message: dict[str, Any]) -> None:
            if fast_session is not None:
                await within(runtime.transport.publish_response(reply_to, message, body=body, fast_session=fast_session),
                             runtime.settle_timeout_s)
            else:
                await within(runtime.transport.publish_response(reply_to, message, body=body), runtime.settle_timeout_s)

        await publish_until_routed(once, request.reply_to, envelope, remaining_ms=left_ms, give_up=give_up, on_return=on_return)

    # Batch messages only when the request's reply consumer reads them and the transport can send them.
    publish_many: PublishMany | None = None
    if request.batch_replies and runtime.transport.publish_responses is not None:
        many = runtime.transport.publish_responses

        async def publish_batch(envelopes: list[dict[str, Any]], body: bytes) -> None:
            async def once(reply_to: str, _: dict[str, Any]) -> None:
                await within(many(reply_to, envelopes, body=body, fast_session=fast_session), runtime.settle_timeout_s)

            await publish_until_routed(once, request.reply_to, envelopes[0], remaining_ms=left_ms, give_up=give_up,
                                       on_return=on_return)

        publish_many = publish_batch

    def on_broken(error: BaseException) -> None:
        # A response that could not be published makes the rest pointless: stop the handler.
        job = run.job
        if job is None:
            return
        if isinstance(error, Undeliverable):
            job.undeliverable = error
        else:
            job.broken = True
        job.abort("DISCONNECTED")

    return ResponseStream(publish_one, publish_many, runtime.chunk_window, on_broken)


def stamped(run: RequestRun, envelope: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
    worker = run.runtime.worker
    if envelope.get("seq") == 0 and worker is not None:
        # The first response of an attempt says which worker picked it up, and when (the hop timeline).
        envelope = {**envelope, "worker": {**worker, "startedAt": run.picked_up_at}}
        body = run.runtime.encoder(envelope)
    return envelope, body


def chunk_publisher(run: RequestRun, stream: ResponseStream) -> Callable[[Any], Awaitable[None]]:
    """`ctx.send_chunk`'s publish: numbers the chunk and queues it on the stream."""
    request, attempt, runtime = run.delivery.request, run.delivery.attempt, run.runtime

    async def publish_chunk(data: Any) -> None:
        job = run.job
        assert job is not None
        if job.final:
            raise RuntimeError("send_chunk called after the request was answered")
        envelope = wire.chunk(request.id, job.seq, attempt, data)
        body = runtime.encoder(envelope)  # TypeError/ValueError to the handler for data JSON cannot carry
        job.seq += 1
        # Queued, not awaited (response_stream): an abort from here on leaves no hole before the final's seq.
        try:
            if stream.queue(*stamped(run, envelope, body)):
                await stream.wait_for_room()
        except Undeliverable:
            raise abort_error("DISCONNECTED") from None

    return publish_chunk
