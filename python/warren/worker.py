"""The decorator form: `worker = Worker(service=...)`, `@worker.handler("type")`, `worker.run()`."""
from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import sys
from typing import Any, Callable, Sequence

from .errors import BrokerUnavailable, ConfigError
from .handler import H, Handler, check_signature
from .options import normalize_options
from .protocol import check_request_type
from .schema import Contract, make_contract
from .transport.types import Transport
from .register_handlers import WorkerHandle, register_handlers

log = logging.getLogger("warren.worker")


def use_uvloop() -> bool:
    """Run on uvloop when it is installed (`pip install 'warren[fast]'`); env WARREN_UVLOOP=0 opts out.

    The same asyncio API on a faster loop: measured here, about a fifth less CPU per
    request on an echo load (the rest is aiormq's frame handling). Only `run()` (and
    the runner) choose the loop; `register_handlers` runs on whatever loop you run.
    """
    if os.environ.get("WARREN_UVLOOP", "").strip().lower() in ("0", "false", "no", "off"):
        return False
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


class Worker:
    """Collects handlers, then serves them with `run()` (blocking) or `await start()`."""

    def __init__(self, *, service: str, url: str | Sequence[str] | None = None, namespace: str | None = None, **options: Any) -> None:
        normalize_options(service=service, url=url, namespace=namespace, **options)  # fail at construction
        self.service = service
        self._config = dict(url=url, namespace=namespace, **options)
        self.handlers: dict[str, Handler] = {}
        self.contracts: dict[str, Contract] = {}
        #: Types registered with `fast=True`.
        self.fast_types: list[str] = []
        #: run() was called (the runner does not run a worker its module already ran).
        self.ran = False

    def handler(self, request_type: str, *, payload: Any = None, chunk: Any = None, result: Any = None,
                description: str | None = None, fast: bool = False) -> Callable[[H], H]:
        """Register the decorated `async def` (or plain `def`) as the handler of `request_type`.

        `payload`, `chunk`, `result`: JSON Schema dicts, or dataclasses/TypedDicts/types
        turned into JSON Schema (see warren.schema). Announced on the registry; the
        payload is checked before the handler runs. Omitted ones are not declared,
        unless the handler carries `@warren.contract(...)`. `fast=True`: also served on the
        fast lane (docs/protocol.md, "The fast lane"), like the `fast` option for this type.
        """
        check_request_type(request_type)
        if request_type in self.handlers:
            raise ConfigError(f"request type {request_type!r} already has a handler")
        declared = None
        if any(v is not None for v in (payload, chunk, result, description)):
            declared = make_contract(payload=payload, chunk=chunk, result=result, description=description)

        def register(fn: H) -> H:
            check_signature(request_type, fn)  # now, at import time, not on the first delivery
            self.handlers[request_type] = fn
            if declared is not None:
                self.contracts[request_type] = declared
            if fast:
                self.fast_types.append(request_type)
            return fn

        return register

    async def start(self, *, transport: Transport | None = None) -> WorkerHandle:
        """Start serving; returns the handle to `close()`."""
        if not self.handlers:
            raise ConfigError(f"worker {self.service!r} has no handlers; add some with @worker.handler(type)")
        config = dict(self._config)
        if self.fast_types and config.get("fast") is not True:
            # Per-type `fast=True` joins the `fast` option's list (True already covers every type).
            config["fast"] = [*(config.get("fast") or []), *self.fast_types]
        return await register_handlers(self.handlers, service=self.service, transport=transport, contracts=self.contracts, **config)

    async def serve(self, stop: asyncio.Event | None = None, *, transport: Transport | None = None) -> None:
        """Serve until `stop` is set or SIGTERM/SIGINT arrives, then drain (a second signal hands work back at once)."""
        handle = await self.start(transport=transport)
        stopping = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        received: list[int] = []

        def on_signal(signum: int) -> None:
            received.append(signum)
            if len(received) == 1:
                log.info("%s received; draining (up to %.0f ms); send it again to stop at once",
                         signal.Signals(signum).name, handle.options.drain_timeout_ms)
                stopping.set()
            else:
                handle.hurry()

        installed = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, on_signal, signum)
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
                pass
        try:
            await stopping.wait()
        finally:
            await handle.close()
            for signum in installed:
                loop.remove_signal_handler(signum)
        log.info("%s stopped", self.service)

    def run(self) -> None:
        """Block serving until SIGTERM/SIGINT; drains in-flight work (bounded by drain_timeout_ms), then closes.

        When the worker cannot start (broker unreachable within connect_timeout_ms,
        login refused, a bad option) it prints one line to stderr and exits with
        status 1. `connect_timeout_ms=math.inf` waits for the broker for ever.
        """
        self.ran = True
        if not logging.getLogger().handlers:  # env LOG_LEVEL (debug, info, warning, error), as the TypeScript worker reads it
            level = os.environ.get("LOG_LEVEL", "").strip().upper()
            level = {"WARN": "WARNING", "FATAL": "CRITICAL", "TRACE": "DEBUG"}.get(level, level)
            known = isinstance(logging.getLevelName(level), int)  # getLevelNamesMapping is 3.11+
            logging.basicConfig(level=level if known else logging.INFO,
                                format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if use_uvloop():
            log.info("event loop: uvloop")
        try:
            asyncio.run(self.serve())
        except (BrokerUnavailable, ConfigError) as error:
            message = error.message if isinstance(error, BrokerUnavailable) else str(error)
            print(f"warren: worker {self.service!r} could not start: {message}", file=sys.stderr)
            raise SystemExit(1) from None
