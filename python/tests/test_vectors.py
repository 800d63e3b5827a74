"""The conformance vectors of packages/protocol/spec/v<N>/vectors, checked in Python.

packages/protocol/test/vectors.test.ts checks the same files with the
TypeScript parsers. Here every vector goes through the Python SDK's wire
parsing (warren.wire) where the SDK reads that message, and through
schemas.json with jsonschema where the protocol exports a schema for it. A
vector no checker visits is a failure, so the last test counts them.

A vector's `expect` is the agreed verdict; `divergent.<checker>` (typescript,
python, schema) records a checker that decides otherwise today, with a note:
a known difference between the implementations, reported, not hidden.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from warren import wire
from warren.errors import InvalidRequest
from warren.protocol import protocol_version, schemas, topology
from warren.validation import payload_check

# The spec is kept per version beside its vectors (N = topology.json protocolVersion).
SPEC = Path(__file__).resolve().parents[2] / "packages" / "protocol" / "spec" / f"v{protocol_version()}"
VECTORS = SPEC / "vectors"
FILES = ["amqp-requests.json", "cancel-messages.json", "fast-answers.json", "request-batches.json", "request-frames.json", "response-batches.json", "responses.json"]

Verdict = dict[str, Any]  # {"valid": True, "request"?: {...}} or {"valid": False, "code": str, "paths": [str]}


def _load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text("utf-8"))


def _schema_verdict(schema: dict[str, Any], value: Any) -> Verdict:
    issues = payload_check(schema)(value)
    if not issues:
        return {"valid": True}
    return {"valid": False, "code": "INVALID_REQUEST", "paths": [i["path"] for i in issues]}


def _check_response(value: Any) -> Verdict:
    """schemas.json#response is a oneOf on `kind`: read it as the discriminated union it is."""
    schema = schemas()["response"]
    if not isinstance(value, dict):
        return _schema_verdict(schema, value)
    branches = [b for b in schema["oneOf"] if b["properties"]["kind"].get("const") == value.get("kind")]
    if not branches:
        return {"valid": False, "code": "INVALID_REQUEST", "paths": ["kind"]}
    return _schema_verdict(branches[0], value)


def _check_responses_frame(value: Any) -> Verdict:
    """schemas.json#responsesFrame: the array's bounds, then each envelope as _check_response reads it (paths prefixed with its index)."""
    schema = {k: v for k, v in schemas()["responsesFrame"].items() if k != "items"}
    verdict = _schema_verdict(schema, value)
    if not isinstance(value, list):
        return verdict
    paths = [] if verdict["valid"] else list(verdict["paths"])
    for index, envelope in enumerate(value):
        got = _check_response(envelope)
        if not got["valid"]:
            paths += [str(index) if p == "(root)" else f"{index}.{p}" for p in got["paths"]]
    return {"valid": True} if not paths else {"valid": False, "code": "INVALID_REQUEST", "paths": paths}


def _check_requests_frame(value: Any) -> Verdict:
    """schemas.json#requestsFrame: the array's bounds refuse the frame whole; else each element as schemas.json#requestFrame (paths prefixed with its index)."""
    schema = {k: v for k, v in schemas()["requestsFrame"].items() if k != "items"}
    verdict = _schema_verdict(schema, value)
    if not verdict["valid"] or not isinstance(value, list):
        return verdict
    paths: list[str] = []
    for index, element in enumerate(value):
        got = _schema_verdict(schemas()["requestFrame"], element)
        if not got["valid"]:
            paths += [str(index) if p == "(root)" else f"{index}.{p}" for p in got["paths"]]
    return {"valid": True} if not paths else {"valid": False, "code": "INVALID_REQUEST", "paths": paths}


def _check_fast_ack(value: Any) -> Verdict:
    """schemas.json#ack (an anyOf on `ok`, read as the union it is), then its `response` as _check_response reads a response frame."""
    schema = schemas()["ack"]
    if not isinstance(value, dict):
        return _schema_verdict(schema, value)
    branches = [b for b in schema["anyOf"] if b["properties"]["ok"].get("const") == value.get("ok")]
    if not branches:
        return {"valid": False, "code": "INVALID_REQUEST", "paths": ["ok"]}
    verdict = _schema_verdict(branches[0], value)
    if not verdict["valid"]:
        return verdict
    if value["ok"] is not True or "response" not in value:
        return {"valid": True, "answer": "none"}
    response = value["response"]
    read = _check_response(response)["valid"] and response.get("id") == value["id"]
    return {"valid": True, "answer": "read" if read else "dropped"}


def _cancel_body(vector: dict[str, Any]) -> bytes:
    return vector["body"].encode("utf-8") if "body" in vector else json.dumps(vector["value"]).encode("utf-8")


def _check_cancel_schema(vector: dict[str, Any]) -> Verdict:
    try:
        value = json.loads(_cancel_body(vector).decode("utf-8"))
    except ValueError:
        return {"valid": False, "code": "INVALID_REQUEST", "paths": []}
    return _schema_verdict(schemas()["cancelMessage"], value)


def _check_cancel_sdk(vector: dict[str, Any]) -> Verdict:
    # The SDK answers None for a cancel it drops; it names no path.
    if wire.decode_cancel(_cancel_body(vector)) is None:
        return {"valid": False, "code": "INVALID_REQUEST", "paths": []}
    return {"valid": True}


def _check_amqp(vector: dict[str, Any], file: dict[str, Any]) -> Verdict:
    message = vector["message"]
    if "bodyBase64" in message:
        body = base64.b64decode(message["bodyBase64"])
    elif "bodyNested" in message:
        body = ("[" * message["bodyNested"] + "]" * message["bodyNested"]).encode("utf-8")
    else:
        body = message.get("body", "").encode("utf-8")
    body += b" " * message.get("bodyPadBytes", 0)
    props = wire.WireProps(
        correlation_id=message["properties"].get("correlationId"),
        reply_to=message["properties"].get("replyTo"),
        type=message["properties"].get("type"),
        headers=dict(message["headers"]),
        redelivered=bool(message["redelivered"]),
    )
    try:
        # The AMQP transport decodes with the type of the queue it consumes, i.e. the routing key.
        request = wire.decode_request(
            body, props, request_type=message["routingKey"], topo=topology(file["namespace"]), fast=message.get("fast", False)
        )
    except InvalidRequest as error:
        return {"valid": False, "code": error.code, "paths": []}
    return {"valid": True, "request": {
        "id": request.id, "type": request.type, "session": request.session, "payload": request.payload,
        "deadline": request.deadline, "principal": request.principal, "traceparent": request.traceparent,
        "attempt": wire.attempt_from(props.headers, props.redelivered),
        **({"fast": True} if request.fast else {}),
    }}


#: checks → {checker name: function(vector, file) → verdict}; "python" is the SDK, "schema" schemas.json.
CHECKERS = {
    "response": {"schema": lambda v, f: _check_response(v["value"])},
    "responsesFrame": {"schema": lambda v, f: _check_responses_frame(v["value"])},
    "requestsFrame": {"schema": lambda v, f: _check_requests_frame(v["value"])},
    "fastAck": {"schema": lambda v, f: _check_fast_ack(v["value"])},
    "requestFrame": {"schema": lambda v, f: _schema_verdict(schemas()["requestFrame"], v["value"])},
    "cancelMessage": {"python": lambda v, f: _check_cancel_sdk(v), "schema": lambda v, f: _check_cancel_schema(v)},
    "amqpRequest": {"python": _check_amqp},
}

CASES = [
    pytest.param(name, vector["name"], checker, id=f"{name}:{checker}:{vector['name']}")
    for name in FILES
    for vector in _load(name)["vectors"]
    for checker in CHECKERS.get(_load(name)["checks"], {})
]
DIVERGENT = [
    pytest.param(name, vector["name"], checker, id=f"{name}:{checker}:{vector['name']}")
    for name in FILES
    for vector in _load(name)["vectors"]
    for checker in CHECKERS.get(_load(name)["checks"], {})
    if checker in (vector.get("divergent") or {})
]
visited: dict[str, set[str]] = {}


def test_the_spec_of_the_current_version_is_kept_beside_its_vectors():
    title = (SPEC / "protocol.md").read_text("utf-8").split("\n")[0]
    assert title == f"# Warren wire protocol — version {protocol_version()}"


def test_the_known_files_each_with_a_known_checker():
    assert sorted(p.name for p in VECTORS.glob("*.json")) == FILES
    for name in FILES:
        file = _load(name)
        assert file["checks"] in CHECKERS, f"{name}: no Python checker for {file['checks']!r}"
        names = [v["name"] for v in file["vectors"]]
        assert len(set(names)) == len(names), f"{name}: vector names must be unique"


@pytest.mark.parametrize("name,vector_name,checker", CASES)
def test_vector(name: str, vector_name: str, checker: str):
    file = _load(name)
    vector = next(v for v in file["vectors"] if v["name"] == vector_name)
    expected = (vector.get("divergent") or {}).get(checker) or vector["expect"]
    got = CHECKERS[file["checks"]][checker](vector, file)
    visited.setdefault(name, set()).add(vector_name)
    assert got["valid"] == expected["valid"], f"{checker}: {got}"
    if got["valid"]:
        if "request" in expected:
            assert got["request"] == expected["request"]
        if "answer" in expected:
            assert got["answer"] == expected["answer"]
        return
    if "code" in expected:
        assert got["code"] == expected["code"]
    if "path" in expected and checker == "schema":  # the SDK's cancel decoder names no path
        assert expected["path"] in got["paths"], f"{checker}: {got['paths']}"


def _matches(got: Verdict, expected: dict[str, Any], checker: str) -> bool:
    if got["valid"] != expected["valid"]:
        return False
    if got["valid"]:
        return ("request" not in expected or got["request"] == expected["request"]) and (
            "answer" not in expected or got["answer"] == expected["answer"])
    return got["code"] == expected.get("code", got["code"]) and (
        checker != "schema" or "path" not in expected or expected["path"] in got["paths"])


@pytest.mark.parametrize("name,vector_name,checker", DIVERGENT)
def test_a_recorded_difference_is_still_real(name: str, vector_name: str, checker: str):
    """A divergent entry that now agrees with `expect` must be removed, not linger."""
    file = _load(name)
    vector = next(v for v in file["vectors"] if v["name"] == vector_name)
    got = CHECKERS[file["checks"]][checker](vector, file)
    assert not _matches(got, vector["expect"], checker), f"now agrees with expect: drop divergent.{checker} ({vector['divergent']['note']})"


def test_every_vector_was_visited():
    for name in FILES:
        assert visited.get(name, set()) == {v["name"] for v in _load(name)["vectors"]}, name
