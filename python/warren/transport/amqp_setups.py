"""What runs on every new connection (topology, consumers), so it all comes back after a reconnect."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

Setup = Callable[[Any], Awaitable[None]]  # receives the aio_pika connection


@dataclass(frozen=True)
class Setups:
    #: Registers a setup and runs it at once on `live` (a connection, or None while there is none;
    #: when it fails there, it is unregistered and the error propagates). Returns a remover.
    add: Callable[[Setup, Any], Awaitable[Callable[[], None]]]
    #: Runs every registered setup on a new connection, including those added while it runs.
    run_all: Callable[[Any], Awaitable[None]]


def setup_registry() -> Setups:
    setups: dict[int, Setup] = {}
    ids = itertools.count()

    async def add(setup: Setup, live: Any) -> Callable[[], None]:
        key = next(ids)
        setups[key] = setup
        if live is not None:
            try:
                await setup(live)
            except BaseException:
                setups.pop(key, None)
                raise

        def remove() -> None:
            setups.pop(key, None)

        return remove

    async def run_all(conn: Any) -> None:
        done: set[int] = set()
        while pending := [key for key in list(setups) if key not in done]:
            for key in pending:
                if key in setups:
                    await setups[key](conn)
                done.add(key)

    return Setups(add=add, run_all=run_all)
