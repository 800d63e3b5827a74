"""Mistakes a type checker must refuse (tests/test_typecheck.py runs mypy --strict on this file).

Each line ending in `# expect-error` must be reported; no other line may be.
"""
from __future__ import annotations

from typing import Any

from warren import Context, Worker, WarrenError, register_handlers

worker = Worker(service="typed")


async def forgot_ctx(payload: Any) -> str:
    return "hi"


worker.handler("a")(forgot_ctx)  # expect-error


def too_many(payload: Any, ctx: Context, extra: int) -> None:
    return None


worker.handler("b")(too_many)  # expect-error


async def fine(payload: Any, ctx: Context) -> str:
    if ctx.remaining_ms() < 100:
        raise WarrenError("NOT_A_CODE", "no such code")  # expect-error
    raise WarrenError("TIMEOUT", "too slow")


worker.handler("c")(fine)


async def main() -> None:
    await register_handlers({"d": forgot_ctx}, service="typed")  # expect-error
