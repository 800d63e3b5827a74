"""One delivery, start to finish: packages/protocol/spec/v1/protocol.md "Worker behaviour" steps 2–6.

Checks (deadline passed, cancelled before delivery, payload schema: warren.request_checks), runs
the handler (warren.call_handler), numbers the responses, publishes the final message
(warren.final_response) and acks the request only once that final message is confirmed
(warren.settling). Aborts (cancel, deadline, shutdown, lost connection, nobody left to receive
the answer) cancel the handler (warren.job). A response the broker returns (no reply queue) is
retried (warren.reply_publishing, warren.delivery); one that stays undeliverable ends the
request: handler aborted, request acked (a redelivery could reach nobody either), logged
`outcome=undeliverable` (warren.outcome).

Whatever the handler does when called — a wrong signature at call time, an exception, a
result the encoder refuses — becomes the caller's error, never a redelivery. Every broker
operation (publish, ack, requeue) is bounded by `settle_timeout_ms`: one that does not finish
counts as a lost delivery (the broker redelivers it when the channel goes) and frees the
request here.
"""
from __future__ import annotations

from .call_handler import call_handler, until_thread_returns
from .final_response import answer, finish
from .handler import HandlerSpec
from .outcome import final_envelope, settle_unanswered
from .reply_publishing import chunk_publisher, response_stream
from .request_checks import check_request
from .request_context import RequestInfo, current_request
from .request_run import RequestRun
from .running_jobs import end_job, start_job
from .runtime import Runtime
from .settling import settle
from .transport.types import RequestDelivery


async def handle_delivery(runtime: Runtime, spec: HandlerSpec, delivery: RequestDelivery) -> None:
    request = delivery.request
    current_request.set(RequestInfo(request.id, request.type, request.traceparent))  # this task's own context
    run = RequestRun(runtime, delivery, picked_up_at=int(runtime.now_ms()))
    stream = response_stream(run)
    payload, refusal = check_request(run, spec)
    if refusal is not None:  # answered without running the handler
        return await answer(run, stream, refusal)
    job = start_job(run, spec, chunk_publisher(run, stream))
    try:
        ended = await call_handler(runtime, spec, job, payload)
        envelope = final_envelope(job, ended.value, ended.failure)
        if envelope is not None:
            answered = await finish(run, stream, envelope)
            if answered and ended.thread is not None and not ended.thread.done():
                await until_thread_returns(runtime, ended.thread)
            if answered:
                await settle(run, False)
            return
    finally:
        end_job(run, job)
    stream.abandon()  # not answered: the chunks still being published or retried are of no use now
    await settle_unanswered(run, job)
