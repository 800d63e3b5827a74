"""Serves `dc.job` for test/integration/durable-cancel.int.test.ts: logs
"dc.job ran <id>" whenever the handler runs, so the test can prove it never did."""
import logging
import os

from warren import Worker

log = logging.getLogger("dc")
worker = Worker(service="durable-cancel-python", url=os.environ.get("AMQP_URL"), namespace=os.environ["WARREN_NAMESPACE"])


@worker.handler("dc.job")
async def job(payload, ctx):
    log.warning("dc.job ran %s", ctx.request_id)
    return "ran"


worker.run()
