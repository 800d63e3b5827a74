"""The command that runs a worker: `python -m warren run module:worker` (or the `warren-worker` script).

    python -m warren run greeter:worker        # `worker` in greeter.py (in the current directory or installed)
    python -m warren run greeter               # the same: the attribute defaults to `worker`
    python -m warren run shop.handlers:HANDLERS --service shop   # a dict of {type: handler}

The target is a `warren.Worker`, a dict of handlers (served under `--service`),
or a function with no arguments returning either. The current directory comes
first on the import path, as with `python -m`. Options come from the
environment (AMQP_URL, WARREN_NAMESPACE, WORKER_CONCURRENCY, ...); the process
drains on SIGTERM/SIGINT. Any failure to start is one line on stderr and a
non-zero exit: 2 for a target that cannot be loaded, 1 for a worker that cannot start.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Mapping
from typing import Any, Sequence

from .worker import Worker

USAGE = "python -m warren run MODULE[:ATTRIBUTE] [--service NAME]"


def _fail(message: str, status: int) -> SystemExit:
    print(f"warren: {message}", file=sys.stderr)
    return SystemExit(status)


def load_worker(target: str, service: str | None = None) -> Worker:
    """The Worker that `target` ("module:attribute") names; SystemExit(2) with one line when it cannot."""
    module_name, _, attribute = target.partition(":")
    if not module_name:
        raise _fail(f"no module in {target!r}; usage: {USAGE}", 2)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise _fail(f"cannot import {module_name!r}: {error}", 2) from None
    name = attribute or "worker"
    value: Any = module
    for part in name.split("."):
        if not hasattr(value, part):
            raise _fail(f"module {module_name!r} has no attribute {name!r}; usage: {USAGE}", 2)
        value = getattr(value, part)
    if callable(value) and not isinstance(value, Worker) and not isinstance(value, Mapping):
        value = value()
    if isinstance(value, Worker):
        return value
    if isinstance(value, Mapping):
        worker = Worker(service=service or module_name.rsplit(".", 1)[-1])
        for request_type, handler in value.items():
            worker.handler(request_type)(handler)
        return worker
    raise _fail(f"{target} is a {type(value).__name__}; expected a warren.Worker, a dict of handlers, or a function returning one", 2)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m warren", description="Run Warren workers.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve a worker until SIGTERM/SIGINT")
    run.add_argument("target", help="MODULE[:ATTRIBUTE], e.g. greeter:worker (ATTRIBUTE defaults to worker)")
    run.add_argument("--service", help="service name when the target is a dict of handlers (default: the module's name)")
    args = parser.parse_args(argv)
    try:
        worker = load_worker(args.target, args.service)
    except Exception as error:  # noqa: BLE001 - the user's module failed at import: one line, not a traceback
        if isinstance(error, SystemExit):
            raise
        raise _fail(f"{args.target}: {type(error).__name__}: {error}", 2) from None
    if not worker.ran:  # a module that calls worker.run() itself has served already by now
        worker.run()


def console() -> None:
    """The `warren-worker MODULE[:ATTRIBUTE]` script: `python -m warren run` without the `run`."""
    main(["run", *sys.argv[1:]])
