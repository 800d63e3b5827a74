"""The JSON protocol facts: the packaged copy never drifts from packages/protocol/json."""
from __future__ import annotations

import json

import pytest

from warren import protocol
from warren.errors import ConfigError, ProtocolFilesNotFound


@pytest.mark.parametrize("name", protocol.FILES)
def test_packaged_copy_equals_the_source(name):
    source = protocol.SOURCE_DIR / name
    if not source.is_file():
        pytest.skip(f"not inside the monorepo ({source} missing)")
    copy = protocol.PACKAGED_DIR / name
    assert copy.is_file(), "run: /usr/bin/python3 python/scripts/sync_protocol_json.py"
    assert json.loads(copy.read_text("utf-8")) == json.loads(source.read_text("utf-8")), (
        f"{copy} differs from {source}; run: /usr/bin/python3 python/scripts/sync_protocol_json.py"
    )


def test_the_packaged_copy_is_used_outside_the_monorepo(monkeypatch, tmp_path):
    monkeypatch.setattr(protocol, "SOURCE_DIR", tmp_path / "nowhere")
    protocol.protocol_dir.cache_clear()
    try:
        assert protocol.protocol_dir() == protocol.PACKAGED_DIR
        monkeypatch.setattr(protocol, "PACKAGED_DIR", tmp_path / "nowhere-either")
        protocol.protocol_dir.cache_clear()
        with pytest.raises(ProtocolFilesNotFound):
            protocol.protocol_dir()
    finally:
        protocol.protocol_dir.cache_clear()


def test_error_codes_come_from_errors_json():
    codes = protocol.error_codes()
    assert list(codes) == list(json.loads((protocol.protocol_dir() / "errors.json").read_text("utf-8")))
    for code in ("INVALID_REQUEST", "TIMEOUT", "CANCELLED", "WORKER_ERROR"):
        assert code in codes
    assert set(codes) == set(protocol.schemas()["wireError"]["properties"]["code"]["enum"])


def test_topology_fills_the_namespace_into_names_and_arguments():
    topo = protocol.topology("shop")
    facts = protocol.topology_facts()
    assert topo.requests_exchange == facts["names"]["requestsExchange"].replace("{ns}", "shop")
    assert topo.request_queue("chat") == "shop.req.chat"
    assert topo.reply_queue("s1") == "shop.reply.s1"
    args = topo.request_queue_arguments()
    assert args["x-dead-letter-exchange"] == topo.dead_letter_exchange == "shop.dead"
    assert args["x-queue-type"] == facts["requestQueueArguments"]["x-queue-type"]
    assert args["x-delivery-limit"] == facts["requestQueueDeliveryLimit"]
    assert topo.reply_queue_arguments() == facts["replyQueueArguments"]


@pytest.mark.parametrize("bad", ["", "Upper", "1abc", "a" * 42, "has.dot"])
def test_bad_namespaces_are_refused(bad):
    with pytest.raises(ConfigError, match="namespace"):
        protocol.topology(bad)


def test_request_type_pattern_is_checked():
    assert protocol.check_request_type("chat.v2") == "chat.v2"
    with pytest.raises(ConfigError):
        protocol.check_request_type("2chat")
