"""A stand-in gateway for integration tests, written straight on aio-pika from packages/protocol/spec/v1/protocol.md
(deliberately not through warren's own transport), plus broker helpers."""
from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from datetime import datetime, timezone

import aio_pika

from warren.protocol import headers, protocol_version, topology, validate
from response_inbox import ResponseInbox


class AmqpGateway(ResponseInbox):
    def __init__(self, url: str, namespace: str) -> None:
        super().__init__()
        self.url = url
        self.topo = topology(namespace)
        self.session = "s" + uuid.uuid4().hex[:10]
        self.reply_queue = self.topo.reply_queue(self.session)
        #: Reply queues declared besides the session's own (deleted by delete_everything).
        self.extra_reply_queues: list[str] = []
        self.connection = None
        self.channel = None
        #: How many responses each reply message carried, in arrival order (a batch message carries several).
        self.message_sizes: list[int] = []

    async def start(self) -> "AmqpGateway":
        self.connection = await aio_pika.connect(self.url)
        self.channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        await self.channel.declare_exchange(self.topo.requests_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
        await self.channel.declare_exchange(self.topo.control_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
        await self.consume_reply_queue(self.reply_queue)
        return self

    async def consume_reply_queue(self, name: str) -> None:
        """Declare a reply queue as the gateway does (arguments from topology.json) and consume it."""
        if name != self.reply_queue:
            self.extra_reply_queues.append(name)
        queue = await self.channel.declare_queue(name, durable=True, arguments=self.topo.reply_queue_arguments())
        await queue.consume(self._on_response)

    async def _on_response(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        body = json.loads(message.body)
        # A batch (spec "Response message"): type `batch`, a JSON array of envelopes of one request in seq order.
        envelopes = body if message.type == "batch" else [body]
        assert message.type != "batch" or (isinstance(body, list) and 1 <= len(body) <= 128)
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert [e["seq"] for e in envelopes] == sorted(e["seq"] for e in envelopes)
        self.message_sizes.append(len(envelopes))
        for envelope in envelopes:
            validate("response", envelope)
            assert message.correlation_id == envelope["id"] and message.type in (envelope["kind"], "batch")
            self.file(envelope)
        await message.ack()

    async def publish_raw(self, request_type: str, body: bytes, **properties) -> None:
        exchange = await self.channel.get_exchange(self.topo.requests_exchange, ensure=False)
        await exchange.publish(aio_pika.Message(body, **properties), routing_key=request_type, mandatory=True)

    async def request(self, request_type: str, payload, *, id: str | None = None, deadline_ms: int | None = None,
                      set_expiration: bool = True, principal: dict | None = None, reply_to: str | None = None,
                      batch: bool = False) -> str:
        """Publish as the protocol says: mandatory, persistent, confirmed, with the x-warren-* headers."""
        request_id = id or "r-" + uuid.uuid4().hex[:10]
        self.responses.setdefault(request_id, asyncio.Queue())
        names = headers()
        hdrs = {names["version"]: protocol_version(), names["session"]: self.session}
        now_ms = int(time.time() * 1000)
        expiration = None
        if deadline_ms is not None:
            hdrs[names["deadline"]] = deadline_ms
            if set_expiration:
                expiration = max(1, deadline_ms - now_ms) / 1000
        if principal is not None:
            hdrs[names["principal"]] = json.dumps(principal)
        if batch:  # this gateway reads batch replies
            hdrs[names["batch"]] = 1
        await self.publish_raw(
            request_type,
            json.dumps(payload).encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            correlation_id=request_id,
            message_id=uuid.uuid4().hex,
            reply_to=reply_to or self.reply_queue,
            type=request_type,
            timestamp=datetime.now(tz=timezone.utc),
            headers=hdrs,
            expiration=expiration,
        )
        return request_id

    async def cancel(self, request_type: str, request_id: str) -> None:
        exchange = await self.channel.get_exchange(self.topo.control_exchange, ensure=False)
        body = json.dumps({"id": request_id, "session": self.session}).encode()
        await exchange.publish(aio_pika.Message(body, content_type="application/json"), routing_key=request_type, mandatory=False)

    async def next(self, request_id: str, timeout: float = 5.0) -> dict:
        return await super().next(request_id, timeout)

    async def until_final(self, request_id: str, timeout: float = 5.0) -> tuple[list[dict], dict]:
        return await super().until_final(request_id, timeout)

    async def delete_everything(self, request_types: list[str]) -> None:
        """Remove every queue and exchange this namespace created (on a fresh connection)."""
        connection = await aio_pika.connect(self.url)
        try:
            # The workers declare the dead-letter queue and the cancel stream too: left, they add up run after run.
            own = [self.reply_queue, *self.extra_reply_queues, self.topo.dead_letter_queue, self.topo.cancel_stream]
            for name in [self.topo.request_queue(t) for t in request_types] + own:
                channel = await connection.channel()
                await channel.queue_delete(name)
                await channel.close()
            for name in (self.topo.requests_exchange, self.topo.control_exchange, self.topo.dead_letter_exchange, self.topo.registry_exchange):
                channel = await connection.channel()
                await channel.exchange_delete(name)
                await channel.close()
        finally:
            await connection.close()
        if self.connection is not None and not self.connection.is_closed:
            await self.connection.close()


def close_connections_named(name: str) -> int:
    """Have the broker close the connections with this client-provided name (needs root for rabbitmqctl).

    Narrower than `rabbitmqctl close_all_connections`, which would also cut
    everyone else's connections on a shared broker; the server-side close is the same.
    """
    listing = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "pid", "client_properties"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout
    pids = [line.split("\t", 1)[0] for line in listing.splitlines() if f'{{"connection_name","{name}"}}' in line]
    for pid in pids:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "warren integration test"],
                       check=True, capture_output=True, timeout=60)
    return len(pids)
