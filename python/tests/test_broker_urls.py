"""A list of broker URLs: parsing and checking, and how the connection manager moves between them."""
from __future__ import annotations

import asyncio
import logging

import pytest

from warren import ConfigError
from warren.options import normalize_options
from warren.transport import amqp_reconnect
from warren.transport.amqp_connection import connection_manager
from warren.transport.amqp_nodes import after_failure, start_index
from warren.transport.urls import parse_broker_urls

A, B, C = "amqp://u:secret@a:5672/", "amqp://u:secret@b:5672/", "amqps://u:secret@c:5671/v"


def test_a_comma_separated_string_or_a_sequence_gives_the_same_list():
    assert parse_broker_urls(f"{A}, {B} ,{C}") == (A, B, C)
    assert parse_broker_urls([A, B, C]) == (A, B, C)
    assert parse_broker_urls((A,)) == parse_broker_urls(A) == (A,)


@pytest.mark.parametrize("bad, message", [
    (f"{A},http://u:secret@b/", r"url entry 2 of 2 must be an amqp:// or amqps:// URL with a host, got 'http://u:\*\*\*@b/'"),
    (f"{A},,{B}", "url entry 2 of 3 is empty"),
    (f"{A},", "url entry 2 of 2 is empty"),
    ("", "url is empty"),
    ("amqp://u:secret@a:notaport/", "url 'amqp://u:\\*\\*\\*@a:notaport/' is not a valid URL"),
    ("amqp:///vhost", "with a host"),
    ([A, 5672], "list of strings"),
    (5672, "list of strings"),
])
def test_every_entry_must_be_an_amqp_url_and_the_error_hides_the_password(bad, message):
    with pytest.raises(ConfigError, match=message) as raised:
        parse_broker_urls(bad)
    assert "secret" not in str(raised.value)


def test_options_take_the_list_from_the_argument_or_amqp_url(monkeypatch):
    monkeypatch.setenv("AMQP_URL", f"{A},{B}")
    opts = normalize_options(service="svc")
    assert opts.urls == (A, B) and opts.url == f"{A},{B}"
    assert normalize_options(service="svc", url=[C]).urls == (C,)
    monkeypatch.setenv("AMQP_URL", f"{A},ftp://b")
    with pytest.raises(ConfigError, match="url entry 2 of 2"):
        normalize_options(service="svc")


def test_the_first_attempt_starts_anywhere_in_the_list():
    assert [start_index(3, lambda: r) for r in (0.0, 0.34, 0.67, 0.999999)] == [0, 1, 2, 2]
    assert start_index(1, lambda: 0.99) == 0


def test_each_failure_moves_on_and_a_full_round_of_failures_backs_off():
    # Three nodes, starting at index 1: 1 fails -> 2 at once, 2 fails -> 0 at once, 0 fails -> round 1 failed: backoff.
    assert after_failure(1, 1, 3) == (2, None)
    assert after_failure(2, 2, 3) == (0, None)
    assert after_failure(0, 3, 3) == (1, 1)
    assert after_failure(1, 6, 3) == (2, 2)
    assert after_failure(0, 1, 1) == (0, 1)  # one URL: every failure is a full round, as before


class FakeConnection:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_closed = False
        self.close_callbacks: set = set()

    def drop(self) -> None:
        """The broker went away: what aio-pika does when the socket closes."""
        self.is_closed = True
        for callback in list(self.close_callbacks):
            callback(self, ConnectionError("gone"))

    async def close(self) -> None:
        self.is_closed = True


async def test_the_manager_rotates_through_the_nodes_and_moves_on_after_a_loss(caplog):
    up = {"b"}
    attempts: list[str] = []
    connections: list[FakeConnection] = []

    async def connect(url: str, timeout: float) -> FakeConnection:
        host = url.split("@")[1].split(":")[0]
        attempts.append(host)
        await asyncio.sleep(0)
        if host not in up:
            raise ConnectionRefusedError(f"{host} refused")
        connections.append(FakeConnection(url))
        return connections[-1]

    manager = connection_manager(
        [A, B, C], heartbeat_s=10, connect_timeout_ms=1000, backoff_initial_ms=30, backoff_max_ms=60, name="t",
        connect=connect, rand=lambda: 0.7,  # start at index 2 (c)
    )
    with caplog.at_level(logging.INFO, logger="warren.transport.amqp"):
        await manager.ready(2000)
        assert attempts == ["c", "a", "b"]  # c, then a and b at once: no backoff inside a round
        assert manager.current() is connections[0] and "b:5672" in connections[0].url
        assert "heartbeat=10" in connections[0].url and "name=t" in connections[0].url

        up.clear()
        up.add("a")
        connections[0].drop()  # b is gone: the next attempt goes to c, then a
        for _ in range(200):
            if manager.status() == "connected" and manager.current() is not connections[0]:
                break
            await asyncio.sleep(0.01)
        assert attempts == ["c", "a", "b", "c", "a"] and manager.reconnects() == 1

        up.clear()  # nothing answers: a full round, then backoff before the next one
        connections[-1].drop()
        for _ in range(200):
            if len(attempts) >= 5 + 4:
                break
            await asyncio.sleep(0.01)
        assert attempts[5:9] == ["b", "c", "a", "b"]
        await manager.close()

    messages = [r.getMessage() for r in caplog.records]
    assert "connected to amqp://u:***@b:5672/?heartbeat=10&name=t (node 2 of 3)" not in messages  # logs the URL as given
    assert "connected to amqp://u:***@b:5672/ (node 2 of 3)" in messages
    assert "reconnected to amqp://u:***@a:5672/ (node 1 of 3)" in messages
    assert any(m.startswith("broker amqps://u:***@c:5671/v unreachable") and m.endswith("trying amqp://u:***@a:5672/") for m in messages)
    assert any("retrying every node in" in m for m in messages)
    assert not any("secret" in m for m in messages)


async def test_a_single_url_still_backs_off_after_each_failure(monkeypatch):
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await real_sleep(0)

    attempts = []

    async def refuse(url: str, timeout: float):
        attempts.append(url)
        raise ConnectionRefusedError("refused")

    monkeypatch.setattr(amqp_reconnect.asyncio, "sleep", record_sleep)
    manager = connection_manager(A, heartbeat_s=10, connect_timeout_ms=1000, backoff_initial_ms=100, backoff_max_ms=400,
                                 name="t", connect=refuse, rand=lambda: 0.0)
    manager_task = asyncio.get_running_loop().create_task(manager.ready(10_000))
    while len(attempts) < 4:
        await real_sleep(0)
    manager_task.cancel()
    await manager.close()
    # backoff_delay_ms(n) with jitter factor 0.5 (rand 0): 50, 100, 200 ms
    assert [round(s * 1000) for s in sleeps[:3]] == [50, 100, 200]
