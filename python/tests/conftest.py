"""Shared fixtures: a memory broker acting as gateway, and the RabbitMQ gate.

Integration tests (marked `integration`) need RabbitMQ at env AMQP_URL
(default amqp://guest:guest@127.0.0.1:5672/). Without one they are skipped,
unless CI is set: then they fail, so CI can never pass by skipping them.
"""
from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warren import MemoryBroker, RequestMessage, memory_transport  # noqa: E402
from warren.protocol import validate  # noqa: E402
from response_inbox import ResponseInbox  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
_broker_reachable: dict[str, object] = {}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _check_broker() -> str | None:
    """None when RabbitMQ answers, else why not (checked once per session)."""
    if "result" not in _broker_reachable:
        async def probe() -> None:
            import aio_pika

            connection = await aio_pika.connect(AMQP_URL, timeout=3)
            await connection.close()

        try:
            asyncio.run(probe())
            _broker_reachable["result"] = None
        except Exception as error:  # noqa: BLE001
            _broker_reachable["result"] = f"RabbitMQ not reachable at {AMQP_URL}: {error!r}"
    return _broker_reachable["result"]  # type: ignore[return-value]


@pytest.fixture
def rabbitmq() -> str:
    """The broker URL; skips the test without a reachable broker, or fails it when CI is set."""
    reason = _check_broker()
    if reason is not None:
        if in_ci():
            pytest.fail(reason + " (CI is set, so integration tests must not be skipped)")
        pytest.skip(reason + " (set CI=true to make this a failure)")
    return AMQP_URL


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:  # every integration test needs the broker gate, even one that forgets to ask
        if item.get_closest_marker("integration"):
            item.fixturenames.insert(0, "rabbitmq") if "rabbitmq" not in item.fixturenames else None


class MemoryGateway(ResponseInbox):
    """Plays the gateway on a memory broker: publishes requests, collects each request's responses."""

    def __init__(self, broker: MemoryBroker, namespace: str = "warren") -> None:
        super().__init__()
        self.broker = broker
        self.transport = memory_transport(broker, namespace)
        self.session = "s" + uuid.uuid4().hex[:8]
        self._subscription = None

    async def start(self) -> "MemoryGateway":
        self._subscription = await self.transport.consume_replies(self.session, self._on_response, prefetch=1000)
        return self

    def _on_response(self, response: dict, settle) -> None:
        validate("response", response)  # every envelope the worker sends must match schemas.json
        self.file(response)
        settle()

    async def request(self, request_type: str, payload, *, id: str | None = None, **fields) -> str:
        request_id = id or "r-" + uuid.uuid4().hex[:8]
        self.responses.setdefault(request_id, asyncio.Queue())
        await self.transport.publish_request(
            RequestMessage(id=request_id, type=request_type, payload=payload, session=self.session, **fields)
        )
        return request_id

    async def cancel(self, request_type: str, request_id: str) -> None:
        await self.transport.publish_cancel(request_type, {"id": request_id, "session": self.session})

    async def next(self, request_id: str, timeout: float = 2.0) -> dict:
        return await super().next(request_id, timeout)

    async def until_final(self, request_id: str, timeout: float = 3.0) -> tuple[list[dict], dict]:
        return await super().until_final(request_id, timeout)

    async def close(self) -> None:
        await self.transport.close()


@pytest.fixture
def broker() -> MemoryBroker:
    return MemoryBroker()


@pytest.fixture
async def gateway(broker: MemoryBroker):
    gw = await MemoryGateway(broker).start()
    yield gw
    await gw.close()


@pytest.fixture
def worker_transport(broker: MemoryBroker):
    return memory_transport(broker)
