"""Warren's Python bench worker: `echo` and `stream` on the Python SDK, beside bench/servers/warren-worker.ts.

Speaks the harness's line protocol (bench/lib/child.ts): prints {"ev": "ready"}
once its queues are consumed, and exits when stdin closes. BENCH_PYTHONPATH
picks the SDK to measure (another checkout's python/ for a before/after run);
BENCH_PY_PROFILE=<file> writes a cProfile of the run there.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, os.environ.get("BENCH_PYTHONPATH") or str(Path(__file__).resolve().parents[2] / "python"))

from warren import register_handlers  # noqa: E402

_filler: dict[int, str] = {}


async def echo(payload: Any, ctx: Any) -> Any:
    return payload


async def stream(payload: Any, ctx: Any) -> Any:
    n, size = int(payload["n"]), int(payload["size"])
    d = _filler.setdefault(size, "x" * size)
    for i in range(n):
        await ctx.send_chunk({"i": i, "d": d})
    return {"n": n}


async def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "warning").upper(), stream=sys.stderr)
    handle = await register_handlers(
        {"echo": echo, "stream": stream}, service="bench-python", url=os.environ.get("AMQP_URL"),
        namespace=os.environ.get("WARREN_NAMESPACE"), concurrency=int(os.environ.get("WORKER_CONCURRENCY", "128")),
        announce=False,
    )
    print(json.dumps({"ev": "ready", "pid": os.getpid()}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the harness closes stdin
    await handle.close(drain_timeout_ms=1000)


try:  # the loop worker.run() would pick: uvloop when installed (WARREN_UVLOOP=0: asyncio's); older SDKs: asyncio's
    from warren.worker import use_uvloop
except ImportError:
    use_uvloop = None
if use_uvloop is not None and use_uvloop():
    print(json.dumps({"msg": "event loop: uvloop"}), flush=True)

if os.environ.get("BENCH_PY_PROFILE"):  # a cProfile of the whole run, written on exit (pstats format)
    import cProfile

    cProfile.run("asyncio.run(main())", os.environ["BENCH_PY_PROFILE"])
else:
    asyncio.run(main())
