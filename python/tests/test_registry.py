"""Contracts (JSON Schemas from dicts and Python types), payload checks, and registry announcements."""
from __future__ import annotations

import asyncio
import enum
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, TypedDict

import pytest

from warren import SDK_VERSION, ConfigError, MemoryBroker, Worker, contract, memory_transport, register_handlers, to_json_schema
from warren.protocol import is_valid



class Turn(TypedDict):
    role: Literal["user", "assistant"]
    text: str


class _Base(TypedDict):
    message: Annotated[str, "What the user said."]


class ChatPayload(_Base, total=False):
    history: list[Turn]


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Order:
    """An order to place."""

    item: str
    quantity: int = 1
    colour: Optional[Colour] = None
    tags: list[str] = field(default_factory=list, metadata={"description": "Free-form labels."})
    sizes: dict[str, float] = field(default_factory=dict)
    pair: tuple[int, str] = (0, "")


def test_typed_dicts_become_object_schemas_with_their_required_keys():
    assert to_json_schema(ChatPayload) == {
        "type": "object",
        "properties": {
            "message": {"type": "string", "description": "What the user said."},
            "history": {"type": "array", "items": {
                "type": "object",
                "properties": {"role": {"enum": ["user", "assistant"]}, "text": {"type": "string"}},
                "required": ["role", "text"],
            }},
        },
        "required": ["message"],
    }


def test_dataclasses_become_object_schemas_with_defaults_and_descriptions():
    schema = to_json_schema(Order)
    assert schema["description"] == "An order to place."
    assert schema["required"] == ["item"]
    props = schema["properties"]
    assert props["quantity"] == {"type": "integer", "default": 1}
    assert props["colour"] == {"anyOf": [{"enum": ["red", "blue"]}, {"type": "null"}], "default": None}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "description": "Free-form labels."}
    assert props["sizes"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert props["pair"] == {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False, "default": [0, ""]}


def test_dicts_are_checked_and_unknown_types_refused_at_start_up():
    assert to_json_schema({"type": "string"}) == {"type": "string"}
    assert to_json_schema(None) is None
    with pytest.raises(ConfigError, match="payload is not a valid JSON Schema"):
        to_json_schema({"type": "strnig"}, "payload")
    with pytest.raises(ConfigError, match="cannot turn"):
        to_json_schema(complex)


async def serve(broker, handlers, **options):
    return await register_handlers(handlers, service="svc", transport=memory_transport(broker), **options)


async def test_a_payload_that_breaks_the_contract_is_invalid_payload_naming_each_field(gateway, broker):
    ran = []

    @contract(payload={**to_json_schema(ChatPayload), "additionalProperties": False}, chunk={"type": "string"})
    async def chat(payload, ctx):
        ran.append(payload)
        return "ok"

    handle = await serve(broker, {"chat": chat})
    rid = await gateway.request("chat", {"history": [{"role": "robot", "text": 1}], "extra": True})
    chunks, final = await gateway.until_final(rid)
    assert chunks == [] and ran == []
    assert final["error"]["code"] == "INVALID_PAYLOAD"
    paths = sorted(i["path"] for i in final["error"]["details"]["issues"])
    assert paths == ["extra", "history.0.role", "history.0.text", "message"]
    assert final["error"]["message"].startswith('Invalid payload for "chat": ')
    good = await gateway.request("chat", {"message": "hi"})
    assert (await gateway.until_final(good))[1]["data"] == "ok"
    await handle.close()


async def test_announces_types_with_schemas_heartbeats_and_withdraws(gateway, broker):
    seen: list[dict] = []
    await gateway.transport.consume_announcements(seen.append)

    @contract(payload=ChatPayload, result={"type": "string"}, description="Chats.")
    async def chat(payload, ctx):
        return "ok"

    async def plain(payload, ctx):
        return payload

    handle = await serve(broker, {"chat": chat, "plain": plain}, concurrency=3, registry_heartbeat_ms=100,
                         registry_ttl_ms=300, instance_id="py-1")
    await asyncio.sleep(0.25)
    announces = [m for m in seen if m["kind"] == "announce"]
    assert len(announces) >= 2
    first = announces[0]
    assert all(is_valid("announcement", m) for m in seen)
    assert {k: first[k] for k in ("service", "instanceId", "language", "sdkVersion", "concurrency", "heartbeatMs", "ttlMs")} == {
        "service": "svc", "instanceId": "py-1", "language": "python", "sdkVersion": SDK_VERSION,
        "concurrency": 3, "heartbeatMs": 100, "ttlMs": 300,
    }
    assert first["types"] == [
        {"type": "chat", "description": "Chats.", "payload": to_json_schema(ChatPayload), "result": {"type": "string"}},
        {"type": "plain"},
    ]
    assert handle.instance_id == "py-1"
    await handle.close()
    assert seen[-1] == {"kind": "withdraw", "protocolVersion": 1, "service": "svc", "instanceId": "py-1", "sentAt": seen[-1]["sentAt"]}
    count = len(seen)
    await asyncio.sleep(0.25)
    assert len(seen) == count


async def test_decorator_form_declares_schemas_and_announce_false_stays_silent(broker):
    listener = memory_transport(broker)
    seen: list[dict] = []
    await listener.consume_announcements(seen.append)
    worker = Worker(service="decorated")

    @worker.handler("order", payload=Order, result={"type": "object"}, description="Places an order.")
    async def order(payload, ctx):
        return {"ok": True}

    handle = await worker.start(transport=memory_transport(broker))
    quiet = await register_handlers({"hidden": order}, service="quiet", transport=memory_transport(broker), announce=False)
    await asyncio.sleep(0.01)
    assert [m["service"] for m in seen] == ["decorated"]
    assert seen[0]["types"][0]["payload"] == to_json_schema(Order)
    assert quiet.instance_id is None
    await handle.close()
    await quiet.close()


async def test_registry_options_are_checked_at_construction():
    with pytest.raises(ConfigError, match="registry_ttl_ms"):
        Worker(service="x", registry_heartbeat_ms=5000, registry_ttl_ms=5000)
    with pytest.raises(ConfigError, match="contracts names 'nope'"):
        await register_handlers({"a": lambda p, c: 1}, service="x", transport=memory_transport(MemoryBroker()), contracts={"nope": {}})
    with pytest.raises(ConfigError, match="unknown key"):
        await register_handlers({"a": lambda p, c: 1}, service="x", transport=memory_transport(MemoryBroker()), contracts={"a": {"payloads": {}}})


async def test_memory_transport_fans_announcements_out_and_drops_malformed_ones(broker):
    a, b = memory_transport(broker), memory_transport(broker)
    got_a: list[Any] = []
    got_b: list[Any] = []
    await a.consume_announcements(got_a.append)
    await b.consume_announcements(got_b.append)
    withdraw = {"kind": "withdraw", "protocolVersion": 1, "service": "s", "instanceId": "i", "sentAt": 1}
    await memory_transport(broker).announce(withdraw)
    await memory_transport(broker).announce({"kind": "withdraw"})
    await asyncio.sleep(0.01)
    assert got_a == got_b == [withdraw]


def test_sdk_version_matches_pyproject():
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8"))
    assert SDK_VERSION == pyproject["project"]["version"]


def test_registry_timing_comes_from_the_environment_unless_given(monkeypatch):
    from warren.options import normalize_options

    monkeypatch.setenv("WARREN_REGISTRY_HEARTBEAT_MS", "1000")
    monkeypatch.setenv("WARREN_REGISTRY_TTL_MS", "3000")
    opts = normalize_options(service="x")
    assert (opts.registry_heartbeat_ms, opts.registry_ttl_ms) == (1000, 3000)
    assert normalize_options(service="x", registry_ttl_ms=9000).registry_ttl_ms == 9000
    monkeypatch.setenv("WARREN_REGISTRY_TTL_MS", "soon")
    with pytest.raises(ConfigError, match="WARREN_REGISTRY_TTL_MS"):
        normalize_options(service="x")


def test_many_issues_are_capped_counted_and_found_in_linear_time():
    import time

    from warren.validation import invalid_payload, payload_check

    schema = {
        "type": "object",
        "properties": {"history": {"type": "array", "items": {"type": "object", "required": ["role", "text"]}}},
    }
    check = payload_check(schema)
    started = time.monotonic()
    error = invalid_payload("chat", check({"history": [{} for _ in range(20_000)]}))
    assert time.monotonic() - started < 2  # pairwise de-duplication took minutes
    # Only the first 1 000 schema errors are looked at: the answer says it is partial.
    assert error["details"]["partial"] is True
    assert 20 <= error["details"]["issueCount"] <= 2_000
    assert len(error["details"]["issues"]) == 20
    assert len(error["message"]) < 2_000
    # A payload wrong in a few places is counted exactly.
    few = invalid_payload("chat", check({"history": [{} for _ in range(30)]}))
    assert few["details"] == {"issues": few["details"]["issues"], "issueCount": 60}
    assert "60 in all" in few["message"]
