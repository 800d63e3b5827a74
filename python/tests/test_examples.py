"""The demo workers: handlers through the memory transport, and the scripts as real processes."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from examples import chat_worker, primes_worker
from warren import register_handlers

from conftest import AMQP_URL

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.asyncio
async def test_chat_streams_tokens_that_join_into_the_reply(gateway, worker_transport, monkeypatch):
    monkeypatch.setattr(chat_worker, "TOKEN_DELAY_S", (0, 0))
    handle = await register_handlers(chat_worker.HANDLERS, service="chat", transport=worker_transport)
    rid = await gateway.request("chat", {"message": "Hello there", "history": []})
    chunks, final = await gateway.until_final(rid)
    assert len(chunks) > 5 and all(set(c["data"]) == {"token"} for c in chunks)
    assert "".join(c["data"]["token"] for c in chunks) == final["data"]["reply"]
    assert "Hello there" in final["data"]["reply"]
    bad = await gateway.request("chat", {"history": []})
    assert (await gateway.until_final(bad))[1]["error"]["code"] == "INVALID_PAYLOAD"
    await handle.close()


@pytest.mark.asyncio
async def test_primes_reports_progress_and_counts(gateway, worker_transport):
    handle = await register_handlers(primes_worker.HANDLERS, service="primes", transport=worker_transport)
    chunks, final = await gateway.until_final(await gateway.request("primes", {"limit": 1_000_000}))
    progress = [c["data"]["progress"] for c in chunks]
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(chunks) >= 10
    assert chunks[-1]["data"]["found"] == 78_498
    assert final["data"] == {"count": 78_498, "last": 999_983}
    assert (await gateway.until_final(await gateway.request("primes", {"limit": "x"})))[1]["error"]["code"] == "INVALID_PAYLOAD"
    await handle.close()


@pytest.mark.integration
@pytest.mark.asyncio
async def test_demo_process_serves_both_types_and_drains_on_sigterm(rabbitmq):
    from raw_amqp_gateway import AmqpGateway

    namespace = "t" + uuid.uuid4().hex[:12]
    env = {**os.environ, "AMQP_URL": AMQP_URL, "WARREN_NAMESPACE": namespace, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, str(ROOT / "examples" / "run_demo_workers.py")], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    gateway = AmqpGateway(AMQP_URL, namespace)
    try:
        await gateway.start()
        rid = None
        for _ in range(100):  # wait until the worker declared its queues
            try:
                rid = await gateway.request("primes", {"limit": 100})
                break
            except Exception:  # noqa: BLE001 - unroutable until the worker is up
                await asyncio.sleep(0.1)
        assert rid is not None, "the demo worker never came up"
        assert (await gateway.until_final(rid))[1]["data"] == {"count": 25, "last": 97}
        chat = await gateway.request("chat", {"message": "hi"})
        first = await gateway.next(chat)
        assert first["kind"] == "chunk"
        process.send_signal(signal.SIGTERM)  # mid-stream: the reply must still complete
        _, final = await gateway.until_final(chat, timeout=10)
        assert final["kind"] == "result" and final["data"]["reply"]
        assert await asyncio.get_running_loop().run_in_executor(None, process.wait, 15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        output = process.communicate()[0]
        await gateway.delete_everything(["chat", "primes"])
    assert "draining" in output and "Traceback" not in output


def test_chat_reply_uses_the_conversation():
    first = chat_worker.compose_reply("Hi, my name is Ada", [])
    assert "Nice to meet you, Ada." in first
    history = [{"role": "user", "text": "Hi, my name is Ada"}, {"role": "assistant", "text": first}]
    later = chat_worker.compose_reply("Do you remember what I said?", history)
    assert 'I remember: you said "Hi, my name is Ada"' in later and later.count("Ada") >= 2
    assert "message 2 from you" in chat_worker.compose_reply("And now?", history)
    # Regenerate: another wording of the same turn, still about the same conversation.
    variants = [chat_worker.compose_reply("And now?", history, v) for v in range(3)]
    assert len(set(variants)) == 3 and all("message 2 from you" in v for v in variants)
