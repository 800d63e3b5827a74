"""The decorator form: `worker = Worker(service=...)`, `@worker.handler("type")`, `worker.run()`."""
from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any, Callable, Sequence, TypeVar

from .errors import ConfigError
from .options import normalize_options
from .protocol import check_request_type
from .schema import Contract, make_contract
from .transport.types import Transport
from .worker import WorkerHandle, register_handlers

log = logging.getLogger("warren.worker")
F = TypeVar("F", bound=Callable[..., Any])


class Worker:
    """Collects handlers, then serves them with `run()` (blocking) or `await start()`."""

    def __init__(self, *, service: str, url: str | Sequence[str] | None = None, namespace: str | None = None, **options: Any) -> None:
        normalize_options(service=service, url=url, namespace=namespace, **options)  # fail at construction
        self.service = service
        self._config = dict(url=url, namespace=namespace, **options)
        self.handlers: dict[str, Callable[..., Any]] = {}
        self.contracts: dict[str, Contract] = {}

    def handler(self, request_type: str, *, payload: Any = None, chunk: Any = None, result: Any = None,
                description: str | None = None) -> Callable[[F], F]:
        """Register the decorated `async def` (or plain `def`) as the handler of `request_type`.

        `payload`, `chunk`, `result`: JSON Schema dicts, or dataclasses/TypedDicts/types
        turned into JSON Schema (see warren.schema). Announced on the registry; the
        payload is checked before the handler runs. Omitted ones are not declared,
        unless the handler carries `@warren.contract(...)`.
        """
        check_request_type(request_type)
        if request_type in self.handlers:
            raise ConfigError(f"request type {request_type!r} already has a handler")
        declared = None
        if any(v is not None for v in (payload, chunk, result, description)):
            declared = make_contract(payload=payload, chunk=chunk, result=result, description=description)

        def register(fn: F) -> F:
            if not callable(fn):
                raise ConfigError(f"handler for {request_type!r} must be callable")
            self.handlers[request_type] = fn
            if declared is not None:
                self.contracts[request_type] = declared
            return fn

        return register

    async def start(self, *, transport: Transport | None = None) -> WorkerHandle:
        """Start serving; returns the handle to `close()`."""
        if not self.handlers:
            raise ConfigError(f"worker {self.service!r} has no handlers; add some with @worker.handler(type)")
        return await register_handlers(self.handlers, service=self.service, transport=transport, contracts=self.contracts, **self._config)

    async def serve(self, stop: asyncio.Event | None = None, *, transport: Transport | None = None) -> None:
        """Serve until `stop` is set or SIGTERM/SIGINT arrives, then drain (a second signal hands work back at once)."""
        handle = await self.start(transport=transport)
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        received: list[int] = []

        def on_signal(signum: int) -> None:
            received.append(signum)
            if len(received) == 1:
                log.info("%s received; draining (up to %.0f ms); send it again to stop at once",
                         signal.Signals(signum).name, handle.options.drain_timeout_ms)
                stop.set()
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
            await stop.wait()
        finally:
            await handle.close()
            for signum in installed:
                loop.remove_signal_handler(signum)
        log.info("%s stopped", self.service)

    def run(self) -> None:
        """Block serving until SIGTERM/SIGINT; drains in-flight work (bounded by drain_timeout_ms), then closes."""
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        asyncio.run(self.serve())
