"""Registry heartbeat (packages/protocol/spec/v1/protocol.md "Service registry"): announce what this
worker serves — types, their JSON Schemas, concurrency, SDK — when it starts,
every `registry_heartbeat_ms`, and right after a reconnect; withdraw on close.
A failed announcement is only logged: serving never depends on the registry."""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import dataclass
from typing import AbstractSet, Any, Awaitable, Callable, Sequence

from .handler import HandlerSpec
from .options import WorkerOptions
from .protocol import protocol_version
from .schema import Contract
from .transport.types import Transport
from .version import SDK_VERSION

log = logging.getLogger("warren.registry")
WITHDRAW_TIMEOUT_S = 2.0


def default_instance_id(service: str) -> str:
    return f"{service}@{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _type_announcement(spec: HandlerSpec, fast: bool) -> dict[str, Any]:
    announcement = (spec.contract or Contract()).announcement(spec.request_type)
    return {**announcement, "fast": True} if fast else announcement


def build_announcement(opts: WorkerOptions, specs: Sequence[HandlerSpec], instance_id: str, started_at_ms: int, now_ms: int,
                       fast_types: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """An `announce` message (schemas.json `announcement`)."""
    return {
        "kind": "announce",
        "protocolVersion": protocol_version(),
        "service": opts.service,
        "instanceId": instance_id,
        "language": "python",
        "sdkVersion": SDK_VERSION,
        "concurrency": opts.concurrency,
        "heartbeatMs": opts.registry_heartbeat_ms,
        "ttlMs": opts.registry_ttl_ms,
        "startedAt": started_at_ms,
        "sentAt": now_ms,
        "types": [_type_announcement(spec, spec.request_type in fast_types) for spec in specs],
    }


@dataclass(frozen=True)
class Announcer:
    instance_id: str
    #: Stop the heartbeat and tell gateways this instance is gone.
    withdraw: Callable[[], Awaitable[None]]


async def start_announcer(transport: Transport, opts: WorkerOptions, specs: Sequence[HandlerSpec], now_ms: Callable[[], float],
                          fast_types: AbstractSet[str] = frozenset()) -> Announcer:
    instance_id = opts.instance_id or default_instance_id(opts.service)
    started = int(now_ms())
    state: dict[str, Any] = {"stopped": False, "failing": False, "last": None}
    loop = asyncio.get_running_loop()

    async def send() -> None:
        if state["stopped"]:
            return
        try:
            await transport.announce(build_announcement(opts, specs, instance_id, started, int(now_ms()), fast_types))
            if state["failing"]:
                log.info("registry announcement sent again")
            state["failing"] = False
        except Exception as error:  # noqa: BLE001 - once per outage, not once per heartbeat
            if not state["failing"]:
                log.warning("registry announcement failed (%s); retrying on the next heartbeat", error)
            state["failing"] = True

    def beat() -> None:
        state["last"] = loop.create_task(send())

    async def heartbeat() -> None:
        while not state["stopped"]:
            beat()
            await asyncio.sleep(opts.registry_heartbeat_ms / 1000)

    # Gateways that lost us during an outage should not wait for the next beat.
    off = transport.on_status(lambda status: loop.call_soon_threadsafe(beat) if status == "connected" else None)
    task = loop.create_task(heartbeat())

    async def send_withdrawal() -> None:
        if state["last"] is not None:  # a heartbeat in flight must not land after the withdrawal
            await asyncio.gather(state["last"], return_exceptions=True)
        await transport.announce({"kind": "withdraw", "protocolVersion": protocol_version(), "service": opts.service,
                                  "instanceId": instance_id, "sentAt": int(now_ms())})

    async def withdraw() -> None:
        if state["stopped"]:
            return
        state["stopped"] = True
        off()
        task.cancel()
        try:  # bounded: shutdown must not wait on a broker that does not answer; the TTL covers it then
            await asyncio.wait_for(send_withdrawal(), WITHDRAW_TIMEOUT_S)
        except Exception as error:  # noqa: BLE001
            log.warning("registry withdrawal failed (%s); gateways will expire this instance", str(error) or "timed out")

    return Announcer(instance_id=instance_id, withdraw=withdraw)
