"""Both demos (`chat` and `primes`) in one process: python -m examples (from python/),
or /usr/bin/python3 python/examples/run_demo_workers.py."""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examples import chat_worker, primes_worker  # noqa: E402
from examples._env import worker_from_env  # noqa: E402


def main() -> None:
    worker = worker_from_env("demo-workers")
    for handlers in (chat_worker.HANDLERS, primes_worker.HANDLERS):
        for request_type, handler in handlers.items():
            worker.handler(request_type)(handler)
    worker.run()


if __name__ == "__main__":
    main()
