"""Shared by the demos: find the `warren` package when run as a plain script, and read the env."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

try:
    import warren  # noqa: F401
except ImportError:  # run from a checkout without installing: python/ holds the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warren import Worker  # noqa: E402


def worker_from_env(service: str, **options: Any) -> Worker:
    """A Worker reading AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/) and WARREN_NAMESPACE (default warren)."""
    return Worker(
        service=service,
        url=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        namespace=os.environ.get("WARREN_NAMESPACE", "warren"),
        **options,
    )
