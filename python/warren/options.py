"""Worker options: every default in one place, checked once at construction."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .errors import ConfigError
from .handling import HandlerSpec, is_async_handler
from .protocol import check_request_type, default_namespace, topology

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"

DEFAULTS: dict[str, Any] = {
    #: Requests of one type handled at once by this process (= AMQP prefetch of that type's consumer).
    "concurrency": 4,
    #: How long close()/SIGTERM waits for in-flight handlers before handing them back to the queue.
    "drain_timeout_ms": 30_000,
    #: AMQP heartbeat; a dead broker is noticed after about twice this.
    "heartbeat_s": 10,
    #: How long start-up waits for the first broker connection.
    "connect_timeout_ms": 10_000,
    #: Reconnect backoff: first delay, doubling up to the maximum, with jitter.
    "backoff_initial_ms": 100,
    "backoff_max_ms": 5_000,
    #: How long a cancel is remembered for a request that has not been delivered yet.
    "cancel_memory_ms": 10 * 60 * 1000,
}


@dataclass(frozen=True)
class WorkerOptions:
    service: str
    url: str
    namespace: str
    concurrency: int
    drain_timeout_ms: float
    heartbeat_s: int
    connect_timeout_ms: float
    backoff_initial_ms: float
    backoff_max_ms: float
    cancel_memory_ms: float


def _int_in(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


def _ms(name: str, value: Any, low: float = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise ConfigError(f"{name} must be a number of milliseconds >= {low}, got {value!r}")
    return float(value)


def normalize_options(*, service: str, url: str | None = None, namespace: str | None = None, **given: Any) -> WorkerOptions:
    """Fill defaults (`DEFAULTS`, env AMQP_URL and WARREN_NAMESPACE) and check every option, naming the bad one."""
    unknown = set(given) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown option(s): {', '.join(sorted(unknown))}; known: {', '.join(DEFAULTS)}")
    merged = {**DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
    if not isinstance(service, str) or not service.strip():
        raise ConfigError(f"service must be a non-empty name, got {service!r}")
    url = url if url is not None else os.environ.get("AMQP_URL", DEFAULT_URL)
    if not isinstance(url, str) or not url.startswith(("amqp://", "amqps://")):
        raise ConfigError(f"url must start with amqp:// or amqps://, got {url!r}")
    ns = topology(namespace if namespace is not None else os.environ.get("WARREN_NAMESPACE") or default_namespace()).namespace
    return WorkerOptions(
        service=service,
        url=url,
        namespace=ns,
        concurrency=_int_in("concurrency", merged["concurrency"], 1, 65_535),
        drain_timeout_ms=_ms("drain_timeout_ms", merged["drain_timeout_ms"]),
        heartbeat_s=_int_in("heartbeat_s", merged["heartbeat_s"], 0, 3_600),
        connect_timeout_ms=_ms("connect_timeout_ms", merged["connect_timeout_ms"], 1),
        backoff_initial_ms=_ms("backoff_initial_ms", merged["backoff_initial_ms"], 1),
        backoff_max_ms=_ms("backoff_max_ms", merged["backoff_max_ms"], 1),
        cancel_memory_ms=_ms("cancel_memory_ms", merged["cancel_memory_ms"]),
    )


def handler_specs(handlers: Mapping[str, Callable[..., Any]]) -> list[HandlerSpec]:
    if not isinstance(handlers, Mapping) or not handlers:
        raise ConfigError("handlers must be a non-empty dict of {request type: handler}")
    specs = []
    for request_type, fn in handlers.items():
        check_request_type(request_type)
        if not callable(fn):
            raise ConfigError(f"handler for {request_type!r} must be callable, got {type(fn).__name__}")
        specs.append(HandlerSpec(request_type=request_type, fn=fn, is_async=is_async_handler(fn)))
    return specs
