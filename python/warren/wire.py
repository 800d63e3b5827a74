"""Request messages and response envelopes as they look on the wire (Hop 2).

Parse once at the edge: `decode_request` turns body + AMQP properties into a
`RequestMessage` or raises `InvalidRequest`; past it, data is typed.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidRequest
from .protocol import Topology, headers as header_names, limits, protocol_version
from .transport.types import RequestMessage


@dataclass(frozen=True)
class WireProps:
    """The AMQP properties Warren reads and writes, independent of any client library."""

    correlation_id: str | None = None
    reply_to: str | None = None
    type: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    #: Per-message TTL in milliseconds (the `expiration` property).
    expiration_ms: int | None = None
    timestamp_s: int | None = None
    redelivered: bool = False


def encode_json(value: Any) -> bytes:
    """Strict JSON (no NaN/Infinity); raises TypeError/ValueError for values JSON cannot carry."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _text(value: Any) -> str | None:
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    text = _text(value)
    if text is not None:
        try:
            return float(text)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def attempt_from(headers: dict[str, Any], redelivered: bool = False) -> int:
    """attempt = (x-delivery-count ?? 0) + 1; a redelivered flag without the header counts as 2."""
    count = _number(headers.get(header_names()["deliveryCount"]))
    if count is not None and count >= 0:
        return int(count) + 1
    return 2 if redelivered else 1


def encode_request(topo: Topology, request: RequestMessage, now_ms: int) -> tuple[bytes, WireProps]:
    names = header_names()
    hdrs: dict[str, Any] = {names["version"]: protocol_version(), names["session"]: request.session}
    if request.deadline is not None:
        hdrs[names["deadline"]] = int(request.deadline)
    if request.principal is not None:
        hdrs[names["principal"]] = json.dumps(request.principal)
    if request.traceparent is not None:
        hdrs[names["traceparent"]] = request.traceparent
    if request.batch_replies:
        hdrs[names["batch"]] = 1
    props = WireProps(
        correlation_id=request.id,
        reply_to=request.reply_to or topo.reply_queue(request.session),
        type=request.type,
        headers=hdrs,
        message_id=uuid.uuid4().hex,
        expiration_ms=None if request.deadline is None else max(1, int(request.deadline) - now_ms),
        timestamp_s=now_ms // 1000,
    )
    return encode_json(request.payload), props


def _depth(value: Any, most: int) -> int:
    """How deeply arrays and objects nest in `value` (iteratively: never a RecursionError); stops past `most`."""
    deepest = 0
    stack = [(value, 1)] if isinstance(value, (list, dict)) else []
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > most:
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return deepest


def decode_body(body: bytes) -> Any:
    """A request body as JSON, within the protocol's limits (size, nesting); else InvalidRequest.

    Python's json.loads recurses: a body nested a few thousand levels deep
    raises RecursionError, which must become an answer, not a stuck delivery.
    """
    facts = limits()
    if len(body) > int(facts["maxBodyBytes"]):
        raise InvalidRequest(f"Body is {len(body)} bytes; a request body may have at most {facts['maxBodyBytes']}.")
    too_deep = f"Body nests arrays/objects deeper than {facts['maxBodyDepth']} levels."
    try:
        payload = json.loads(bytes(body).decode("utf-8"))
    except RecursionError:
        raise InvalidRequest(too_deep) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidRequest(f"Body is not JSON: {error}") from None
    if _depth(payload, int(facts["maxBodyDepth"])) > int(facts["maxBodyDepth"]):
        raise InvalidRequest(too_deep)
    return payload


def decode_request(body: bytes, props: WireProps, *, request_type: str, topo: Topology, fast: bool = False) -> RequestMessage:
    names = header_names()
    hdrs = props.headers or {}
    request_id = _text(props.correlation_id)
    reply_to = _text(props.reply_to)
    if not request_id or not reply_to:
        raise InvalidRequest("Message lacks correlation_id or reply_to.")
    version = hdrs.get(names["version"])
    if version is not None and _number(version) != protocol_version():
        raise InvalidRequest(f"Unsupported Warren protocol version {version!r}; this worker speaks {protocol_version()}.")
    session = _text(hdrs.get(names["session"]))
    if fast and (session is None or not reply_to.startswith("amq.gen-")):
        # Its reply queue is its gateway's own (server-named), shared by sessions: the header names the session.
        raise InvalidRequest("A fast request needs a server-named reply_to and the x-warren-session header.")
    payload = decode_body(body)

    if session is None:
        # Without the header: the queue's own id (a retained call's session is its call id).
        session = ""
        for prefix in (topo.reply_queue(""), topo.call_queue("")):
            if reply_to.startswith(prefix):
                session = reply_to[len(prefix):]

    deadline = None
    if hdrs.get(names["deadline"]) is not None:
        number = _number(hdrs[names["deadline"]])
        if number is None:
            raise InvalidRequest(f"Header {names['deadline']} is not epoch milliseconds.")
        deadline = int(number)

    principal = None
    if hdrs.get(names["principal"]) is not None:
        try:
            principal = json.loads(_text(hdrs[names["principal"]]) or "")
        except ValueError:
            principal = None
        if not isinstance(principal, dict):
            raise InvalidRequest(f"Header {names['principal']} is not a JSON object.")

    return RequestMessage(
        id=request_id,
        type=request_type,
        payload=payload,
        session=session,
        reply_to=reply_to,
        deadline=deadline,
        principal=principal,
        traceparent=_text(hdrs.get(names["traceparent"])),
        fast=fast,
        batch_replies=_number(hdrs.get(names["batch"])) == 1,
    )


def chunk(request_id: str, seq: int, attempt: int, data: Any) -> dict[str, Any]:
    return {"kind": "chunk", "id": request_id, "seq": seq, "attempt": attempt, "data": data}


def result(request_id: str, seq: int, attempt: int, data: Any) -> dict[str, Any]:
    return {"kind": "result", "id": request_id, "seq": seq, "attempt": attempt, "data": data}


def error(request_id: str, seq: int, attempt: int, wire_error: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "error", "id": request_id, "seq": seq, "attempt": attempt, "error": wire_error}


def decode_cancel(body: bytes) -> dict[str, str] | None:
    """A cancel message `{id, session}`, or None when malformed."""
    try:
        value = json.loads(bytes(body).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("id"), str) or not isinstance(value.get("session"), str):
        return None
    if not value["id"]:
        return None
    return {"id": value["id"], "session": value["session"]}
