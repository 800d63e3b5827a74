"""`worker.run()` when the worker cannot start: one line, a non-zero exit, and a refused login fails at once (issue 14)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys
from warren import Worker

worker = Worker(service="runner-test", url=sys.argv[1], connect_timeout_ms=float(sys.argv[2]), announce=False)

@worker.handler("echo")
async def echo(payload, ctx):
    return payload

worker.run()
"""


def run_worker(tmp_path: Path, url: str, timeout_ms: float) -> tuple[subprocess.CompletedProcess[str], float]:
    script = tmp_path / "worker.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(PYTHON_DIR)}
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(script), url, str(timeout_ms)], capture_output=True, text=True, env=env,
                          timeout=60, cwd=tmp_path)
    return done, time.monotonic() - started


def test_an_unreachable_broker_is_one_line_and_exit_status_1(tmp_path):
    done, _ = run_worker(tmp_path, "amqp://guest:guest@127.0.0.1:1/", 600)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("warren: worker 'runner-test' could not start: Could not connect to amqp://guest:***@127.0.0.1:1/")


@pytest.mark.integration
def test_a_wrong_password_fails_at_once_with_its_reason(tmp_path, rabbitmq):
    url = rabbitmq.replace("guest:guest@", "guest:wrong-password@")
    done, took = run_worker(tmp_path, url, 20_000)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "refused the login" in done.stderr.strip().splitlines()[-1]
    assert "wrong-password" not in done.stderr
    assert took < 10  # not retried as "unreachable" until the 20 s connect timeout


def test_uvloop_is_used_when_installed_unless_opted_out(monkeypatch):
    import asyncio
    import importlib.util

    from warren.worker import use_uvloop

    monkeypatch.setenv("WARREN_UVLOOP", "0")
    assert use_uvloop() is False
    monkeypatch.delenv("WARREN_UVLOOP")
    try:
        assert use_uvloop() is (importlib.util.find_spec("uvloop") is not None)
    finally:
        asyncio.set_event_loop_policy(None)
