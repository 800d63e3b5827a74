"""Parsing deliveries at the edge, error mapping, options, cancel memory, the decorator form."""
from __future__ import annotations

import asyncio
import json

import pytest

from warren import ConfigError, InvalidRequest, MemoryBroker, RequestMessage, WarrenError, Worker, memory_transport
from warren.cancellations import cancel_memory
from warren.errors import Cancelled, DeadlineExceeded, to_wire_error
from warren.options import DEFAULTS, normalize_options
from warren.protocol import headers, topology
from warren.wire import WireProps, attempt_from, decode_cancel, decode_request, encode_request

from conftest import MemoryGateway

TOPO = topology("warren")
H = headers()


def props(**overrides):
    base = dict(correlation_id="r-1", reply_to="warren.reply.s1", headers={H["version"]: 1, H["session"]: "s1"})
    base.update(overrides)
    return WireProps(**base)


def test_encode_then_decode_round_trips():
    request = RequestMessage(id="r-1", type="chat", payload={"m": "hi"}, session="s1", deadline=2_000,
                             principal={"sub": "u"}, traceparent="00-a-b-01")
    body, wire_props = encode_request(TOPO, request, now_ms=1_000)
    assert wire_props.reply_to == "warren.reply.s1" and wire_props.expiration_ms == 1_000
    assert wire_props.headers[H["principal"]] == json.dumps({"sub": "u"})
    decoded = decode_request(body, wire_props, request_type="chat", topo=TOPO)
    assert decoded == RequestMessage(**{**request.__dict__, "reply_to": "warren.reply.s1"})


@pytest.mark.parametrize(
    "body, overrides, why",
    [
        (b"{oops", {}, "not JSON"),
        (b"\xff", {}, "not JSON"),
        (b"1", {"correlation_id": None}, "correlation_id"),
        (b"1", {"reply_to": ""}, "reply_to"),
        (b"1", {"headers": {H["version"]: 2}}, "version"),
        (b"1", {"headers": {H["deadline"]: "soon"}}, "epoch milliseconds"),
        (b"1", {"headers": {H["principal"]: "not json"}}, "JSON object"),
    ],
)
def test_malformed_deliveries_raise_invalid_request(body, overrides, why):
    with pytest.raises(InvalidRequest, match=why) as caught:
        decode_request(body, props(**overrides), request_type="chat", topo=TOPO)
    assert caught.value.code == "INVALID_REQUEST"


def test_session_falls_back_to_the_reply_queue_name():
    decoded = decode_request(b"null", props(headers={}), request_type="chat", topo=TOPO)
    assert decoded.session == "s1" and decoded.payload is None and decoded.deadline is None


def test_a_retained_call_request_decodes_with_its_call_queue_and_32_char_session():
    call = "A" * 16 + "b-_9" * 4
    decoded = decode_request(b"1", props(reply_to=TOPO.call_queue(call), headers={H["session"]: call}), request_type="chat", topo=TOPO)
    assert decoded.reply_to == "warren.call." + call and decoded.session == call
    without_header = decode_request(b"1", props(reply_to=TOPO.call_queue(call), headers={}), request_type="chat", topo=TOPO)
    assert without_header.session == call


def test_attempt_is_delivery_count_plus_one():
    assert attempt_from({}) == 1
    assert attempt_from({H["deliveryCount"]: 0}) == 1
    assert attempt_from({H["deliveryCount"]: 3}) == 4
    assert attempt_from({}, redelivered=True) == 2


def test_cancel_messages_are_parsed_strictly():
    assert decode_cancel(b'{"id":"r-1","session":"s"}') == {"id": "r-1", "session": "s"}
    for bad in (b"nope", b"[]", b'{"id":""}', b'{"id":"r","session":1}'):
        assert decode_cancel(bad) is None


def test_wire_errors_never_carry_a_traceback_nor_the_exception_text():
    try:
        raise KeyError("missing")
    except KeyError as error:
        wire_error = to_wire_error(error)
    reference = wire_error["details"]["reference"]
    assert wire_error == {"code": "WORKER_ERROR", "details": {"reference": reference},
                          "message": f"The worker failed to handle this request (reference {reference})."}
    assert "missing" not in str(wire_error) and "Traceback" not in str(wire_error)
    assert to_wire_error(Cancelled())["code"] == "CANCELLED"
    assert to_wire_error(DeadlineExceeded())["code"] == "TIMEOUT"
    assert WarrenError("RATE_LIMITED", "slow down").retryable is True


def test_options_have_defaults_and_name_the_bad_one(monkeypatch):
    monkeypatch.delenv("AMQP_URL", raising=False)
    opts = normalize_options(service="svc")
    assert opts.concurrency == DEFAULTS["concurrency"] and opts.namespace == "warren"
    assert opts.url.startswith("amqp://")
    monkeypatch.setenv("AMQP_URL", "amqp://u:p@h:5672/v")
    assert normalize_options(service="svc").url == "amqp://u:p@h:5672/v"
    with pytest.raises(ConfigError, match="concurrency"):
        normalize_options(service="svc", concurrency=0)
    with pytest.raises(ConfigError, match="unknown option"):
        normalize_options(service="svc", prefetch=3)
    with pytest.raises(ConfigError, match="url"):
        normalize_options(service="svc", url="http://x")
    with pytest.raises(ConfigError, match="service"):
        normalize_options(service="")


def test_cancel_memory_forgets_after_its_ttl():
    now = [0.0]
    remember, was_cancelled = cancel_memory(ttl_ms=100, max_entries=2, now_ms=lambda: now[0])
    remember("s", "a")
    assert was_cancelled("s", "a") and not was_cancelled("other", "a")
    now[0] = 150
    assert not was_cancelled("s", "a")
    for rid in ("x", "y", "z"):
        remember("s", rid)
    assert not was_cancelled("s", "x") and was_cancelled("s", "z")  # bounded


def test_decorator_checks_types_and_duplicates():
    worker = Worker(service="svc")
    with pytest.raises(ConfigError):
        worker.handler("9bad")
    worker.handler("ok")(lambda payload, ctx: None)
    with pytest.raises(ConfigError, match="already"):
        worker.handler("ok")
    with pytest.raises(ConfigError, match="namespace"):
        Worker(service="svc", namespace="Bad")


@pytest.mark.asyncio
async def test_decorator_form_serves_until_stopped():
    broker = MemoryBroker()
    worker = Worker(service="svc", concurrency=2)

    @worker.handler("add")
    async def add(payload, ctx):
        return payload["a"] + payload["b"]

    @worker.handler("mul")
    def mul(payload, ctx):
        return payload["a"] * payload["b"]

    stop = asyncio.Event()
    serving = asyncio.create_task(worker.serve(stop, transport=memory_transport(broker)))
    gateway = await MemoryGateway(broker).start()
    await asyncio.sleep(0.01)
    assert (await gateway.until_final(await gateway.request("add", {"a": 2, "b": 3})))[1]["data"] == 5
    assert (await gateway.until_final(await gateway.request("mul", {"a": 2, "b": 3})))[1]["data"] == 6
    stop.set()
    await asyncio.wait_for(serving, 2)
    await gateway.close()


def test_worker_concurrency_comes_from_the_environment_as_in_typescript(monkeypatch):
    monkeypatch.setenv("WORKER_CONCURRENCY", "12")
    assert normalize_options(service="s").concurrency == 12
    assert normalize_options(service="s", concurrency=3).concurrency == 3  # explicit options win
    monkeypatch.setenv("WORKER_CONCURRENCY", "many")
    with pytest.raises(ConfigError, match="WORKER_CONCURRENCY"):
        normalize_options(service="s")


def test_drain_time_comes_from_the_environment_as_in_typescript(monkeypatch):
    monkeypatch.setenv("WORKER_DRAIN_TIMEOUT_MS", "2500")
    assert normalize_options(service="s").drain_timeout_ms == 2500
    assert normalize_options(service="s", drain_timeout_ms=100).drain_timeout_ms == 100  # explicit options win
