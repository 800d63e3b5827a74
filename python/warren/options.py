"""Worker options: every default in one place, checked once at construction."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from .encoder import DEFAULT_ENCODER, Encoder
from .errors import ConfigError
from .handler import Handler, HandlerSpec, make_spec
from .protocol import cancel_stream_reading, check_request_type, default_namespace, registry_defaults, topology
from .schema import contracts_from
from .transport.urls import parse_broker_urls
from .validation import contract_check

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"

DEFAULTS: dict[str, Any] = {
    #: Requests of one type handled at once by this process (= AMQP prefetch of that type's consumer).
    "concurrency": 8,  # the TypeScript worker's default too (packages/worker/src/options.ts)
    #: How long close()/SIGTERM waits for in-flight handlers before handing them back to the queue.
    "drain_timeout_ms": 10_000,  # as the TypeScript worker
    #: AMQP heartbeat; a dead broker is noticed after about twice this.
    "heartbeat_s": 10,
    #: How long start-up waits for the first broker connection.
    "connect_timeout_ms": 10_000,
    #: Reconnect backoff: first delay, doubling up to the maximum, with jitter.
    "backoff_initial_ms": 100,
    "backoff_max_ms": 5_000,
    #: How long a cancel is remembered for a request that has not been delivered yet: as long as
    #: the cancel stream keeps it (a request can wait a day); from topology.json.
    "cancel_memory_ms": cancel_stream_reading()["memoryTtlMs"],
    #: Announce the served types (and their schemas) on the registry, with heartbeats.
    "announce": True,
    #: How often to announce (default from topology.json `registry.heartbeatMs`).
    "registry_heartbeat_ms": registry_defaults()["heartbeatMs"],
    #: Gateways forget this instance this long after its last announcement; must exceed the heartbeat.
    "registry_ttl_ms": registry_defaults()["ttlMs"],
    #: This process in the registry; default "<service>@<host>:<pid>:<random>".
    "instance_id": None,
    #: Longest wait for one broker operation on a request (publish, ack, hand back); past it the
    #: delivery counts as lost (the broker redelivers it when the channel goes) and the request is freed.
    "settle_timeout_ms": 10_000,
    #: Warn when the event loop does not run for this long (an `async def` handler that blocks); 0 = off.
    "loop_lag_warn_ms": 500,
    #: Also serve these types on the fast lane (docs/protocol.md, "The fast lane": at most once, no
    #: durability), for callers that ask `{ fast: true }`: True for every type, or a list of types.
    "fast": False,
    #: Responses of one request queued or unconfirmed before `send_chunk` waits (as the TypeScript worker's chunkWindow).
    "chunk_window": 256,
    #: Results and chunks to JSON bytes (warren.encoder): datetime, Decimal, set, dataclass, UUID, Enum handled.
    "encoder": None,
}


@dataclass(frozen=True)
class WorkerOptions:
    service: str
    #: The broker URLs joined with commas (as AMQP_URL takes them).
    url: str
    namespace: str
    concurrency: int
    drain_timeout_ms: float
    heartbeat_s: int
    connect_timeout_ms: float
    backoff_initial_ms: float
    backoff_max_ms: float
    cancel_memory_ms: float
    announce: bool
    registry_heartbeat_ms: int
    registry_ttl_ms: int
    instance_id: str | None
    settle_timeout_ms: float = 10_000
    loop_lag_warn_ms: float = 500
    encoder: Encoder = DEFAULT_ENCODER
    #: The fast lane: True (every type), False, or the types that have one.
    fast: bool | tuple[str, ...] = False
    chunk_window: int = 256
    #: The broker URLs, one per node; the connection starts at a random one and moves on when one fails.
    urls: tuple[str, ...] = ()


def _int_in(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


def _ms(name: str, value: Any, low: float = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise ConfigError(f"{name} must be a number of milliseconds >= {low}, got {value!r}")
    return float(value)


#: Options an environment variable sets when the caller passes none (the same names as the TypeScript SDK).
ENV = {"registry_heartbeat_ms": "WARREN_REGISTRY_HEARTBEAT_MS", "registry_ttl_ms": "WARREN_REGISTRY_TTL_MS",
       "concurrency": "WORKER_CONCURRENCY", "drain_timeout_ms": "WORKER_DRAIN_TIMEOUT_MS"}


def _from_env(given: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for option, name in ENV.items():
        raw = os.environ.get(name, "").strip()
        if given.get(option) is None and raw:
            try:
                out[option] = int(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    return out


def normalize_options(*, service: str, url: str | Sequence[str] | None = None, namespace: str | None = None, **given: Any) -> WorkerOptions:
    """Fill defaults (`DEFAULTS`, env AMQP_URL and WARREN_NAMESPACE) and check every option, naming the bad one."""
    unknown = set(given) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown option(s): {', '.join(sorted(unknown))}; known: {', '.join(DEFAULTS)}")
    merged = {**DEFAULTS, **_from_env(given), **{k: v for k, v in given.items() if v is not None}}
    if not isinstance(service, str) or not service.strip():
        raise ConfigError(f"service must be a non-empty name, got {service!r}")
    # One URL, or the cluster's nodes: "amqp://a,amqp://b" (AMQP_URL too) or ["amqp://a", "amqp://b"].
    urls = parse_broker_urls(url if url is not None else os.environ.get("AMQP_URL") or DEFAULT_URL)
    ns = topology(namespace if namespace is not None else os.environ.get("WARREN_NAMESPACE") or default_namespace()).namespace
    heartbeat_ms = _int_in("registry_heartbeat_ms", merged["registry_heartbeat_ms"], 100, 3_600_000)
    ttl_ms = _int_in("registry_ttl_ms", merged["registry_ttl_ms"], 200, 86_400_000)
    if ttl_ms <= heartbeat_ms:
        raise ConfigError(f"registry_ttl_ms ({ttl_ms}) must be longer than registry_heartbeat_ms ({heartbeat_ms}), or instances expire between heartbeats")
    if not isinstance(merged["announce"], bool):
        raise ConfigError(f"announce must be True or False, got {merged['announce']!r}")
    instance_id = merged["instance_id"]
    if instance_id is not None and (not isinstance(instance_id, str) or not 0 < len(instance_id) <= 200):
        raise ConfigError(f"instance_id must be a string of 1 to 200 characters, got {instance_id!r}")
    encoder = merged["encoder"] if merged["encoder"] is not None else DEFAULT_ENCODER
    if not callable(encoder):
        raise ConfigError(f"encoder must be a callable value -> bytes (see warren.json_encoder), got {type(encoder).__name__}")
    fast = merged["fast"]
    if not isinstance(fast, bool):
        if isinstance(fast, str) or not isinstance(fast, (list, tuple, set, frozenset)) or not all(isinstance(t, str) for t in fast):
            raise ConfigError(f"fast must be True, False or a list of request types, got {fast!r}")
        fast = tuple(fast)
    return WorkerOptions(
        fast=fast,
        service=service,
        url=",".join(urls),
        urls=urls,
        namespace=ns,
        concurrency=_int_in("concurrency", merged["concurrency"], 1, 65_535),
        drain_timeout_ms=_ms("drain_timeout_ms", merged["drain_timeout_ms"]),
        heartbeat_s=_int_in("heartbeat_s", merged["heartbeat_s"], 0, 3_600),
        connect_timeout_ms=_ms("connect_timeout_ms", merged["connect_timeout_ms"], 1),
        backoff_initial_ms=_ms("backoff_initial_ms", merged["backoff_initial_ms"], 1),
        backoff_max_ms=_ms("backoff_max_ms", merged["backoff_max_ms"], 1),
        cancel_memory_ms=_ms("cancel_memory_ms", merged["cancel_memory_ms"]),
        announce=merged["announce"],
        registry_heartbeat_ms=heartbeat_ms,
        registry_ttl_ms=ttl_ms,
        instance_id=instance_id,
        settle_timeout_ms=_ms("settle_timeout_ms", merged["settle_timeout_ms"], 1),
        loop_lag_warn_ms=_ms("loop_lag_warn_ms", merged["loop_lag_warn_ms"]),
        encoder=encoder,
        chunk_window=_int_in("chunk_window", merged["chunk_window"], 1, 1_000_000),
    )


def handler_specs(handlers: Mapping[str, Handler], contracts: Mapping[str, Any] | None = None) -> list[HandlerSpec]:
    if not isinstance(handlers, Mapping) or not handlers:
        raise ConfigError("handlers must be a non-empty dict of {request type: handler}")
    if contracts is not None and not isinstance(contracts, Mapping):
        raise ConfigError("contracts must be a dict of {request type: {payload, chunk, result, description}}")
    for request_type in handlers:
        check_request_type(request_type)
    declared = contracts_from(handlers, contracts)
    return [make_spec(t, fn, declared.get(t), contract_check) for t, fn in handlers.items()]
