"""Protocol facts shared with the TypeScript packages, read at run time.

The source of truth is packages/protocol/json/ in the monorepo; an installed
package falls back to its copy in warren/protocol_json/ (kept equal by
scripts/sync_protocol_json.py and a test). Set WARREN_PROTOCOL_JSON to a
directory to override both.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ConfigError, ProtocolFilesNotFound

FILES = ("errors.json", "topology.json", "schemas.json")
PACKAGED_DIR = Path(__file__).resolve().parent / "protocol_json"
# python/warren/protocol.py -> monorepo root -> packages/protocol/json
SOURCE_DIR = Path(__file__).resolve().parents[2] / "packages" / "protocol" / "json"


def candidate_dirs() -> list[Path]:
    override = os.environ.get("WARREN_PROTOCOL_JSON")
    return ([Path(override)] if override else []) + [SOURCE_DIR, PACKAGED_DIR]


@lru_cache(maxsize=None)
def protocol_dir() -> Path:
    """The first directory holding all three JSON files."""
    for directory in candidate_dirs():
        if all((directory / name).is_file() for name in FILES):
            return directory
    tried = ", ".join(str(d) for d in candidate_dirs())
    raise ProtocolFilesNotFound(f"none of these directories holds {', '.join(FILES)}: {tried}")


@lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    if name not in FILES:
        raise ValueError(f"unknown protocol file {name!r}")
    loaded: dict[str, Any] = json.loads((protocol_dir() / name).read_text(encoding="utf-8"))
    return loaded


def error_codes() -> dict[str, dict[str, Any]]:
    """`{CODE: {retryable, description}}` from errors.json."""
    return load("errors.json")


def topology_facts() -> dict[str, Any]:
    return load("topology.json")


def schemas() -> dict[str, Any]:
    return load("schemas.json")


def headers() -> dict[str, str]:
    """AMQP header names by role: version, deadline, principal, session, traceparent, deliveryCount."""
    names: dict[str, str] = topology_facts()["headers"]
    return names


def protocol_version() -> int:
    return int(topology_facts()["protocolVersion"])


def registry_defaults() -> dict[str, int]:
    """Registry timing defaults: `{heartbeatMs, ttlMs}` from topology.json."""
    return dict(topology_facts()["registry"])


def limits() -> dict[str, int]:
    """Payload limits shared by every SDK: `{maxReportedIssues, maxIssueText, maxBodyDepth, maxBodyBytes}`."""
    return dict(topology_facts()["limits"])


def default_namespace() -> str:
    return str(topology_facts()["defaultNamespace"])


def _fill(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        for key, replacement in names.items():
            value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, **names) for k, v in value.items()}
    return value


def check_request_type(request_type: str) -> str:
    pattern = topology_facts()["requestTypePattern"]
    if not isinstance(request_type, str) or not re.fullmatch(pattern, request_type):
        raise ConfigError(f"request type {request_type!r} must match {pattern}")
    return request_type


@dataclass(frozen=True)
class Topology:
    """Every broker name for one namespace (see packages/protocol/spec/v1/protocol.md, Hop 2)."""

    namespace: str
    requests_exchange: str
    control_exchange: str
    registry_exchange: str
    dead_letter_exchange: str
    dead_letter_queue: str
    #: The stream every cancel is appended to (packages/protocol/spec/v1/protocol.md, "Cancel message").
    cancel_stream: str = ""

    def request_queue(self, request_type: str) -> str:
        template = topology_facts()["names"]["requestQueue"]
        return str(_fill(template, ns=self.namespace, type=request_type))

    def reply_queue(self, session: str) -> str:
        template = topology_facts()["names"]["replyQueue"]
        return str(_fill(template, ns=self.namespace, session=session))

    def call_queue(self, call: str) -> str:
        """A retained call's own reply queue (docs/decisions/0014-retained-calls.md)."""
        template = topology_facts()["names"]["callQueue"]
        return str(_fill(template, ns=self.namespace, call=call))

    def fast_queue(self, request_type: str) -> str:
        """The fast lane's request queue of a type (docs/decisions/0016-fast-lane.md)."""
        template = topology_facts()["names"]["fastQueue"]
        return str(_fill(template, ns=self.namespace, type=request_type))

    def fast_queue_arguments(self) -> dict[str, Any]:
        return dict(topology_facts()["fastQueueArguments"])

    def request_queue_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = _fill(topology_facts()["requestQueueArguments"], ns=self.namespace)
        return arguments

    def reply_queue_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = _fill(topology_facts()["replyQueueArguments"], ns=self.namespace)
        return arguments

    def cancel_stream_arguments(self) -> dict[str, Any]:
        return dict(topology_facts()["cancelStreamArguments"])


def cancel_stream_reading() -> dict[str, Any]:
    """How workers read the cancel stream: `{markerType, markerWaitMs, prefetch, memoryTtlMs, memoryMaxEntries}`."""
    return dict(topology_facts()["cancelStreamReading"])


def topology(namespace: str | None = None) -> Topology:
    facts = topology_facts()
    ns = default_namespace() if namespace is None else namespace
    if not isinstance(ns, str) or not re.fullmatch(facts["namespacePattern"], ns):
        raise ConfigError(f"namespace {ns!r} must match {facts['namespacePattern']} (lower-case letters, digits, _ and -)")
    names = {key: _fill(template, ns=ns) for key, template in facts["names"].items()}
    return Topology(
        namespace=ns,
        requests_exchange=names["requestsExchange"],
        control_exchange=names["controlExchange"],
        registry_exchange=names["registryExchange"],
        dead_letter_exchange=names["deadLetterExchange"],
        dead_letter_queue=names["deadLetterQueue"],
        cancel_stream=names["cancelStream"],
    )


@lru_cache(maxsize=None)
def _validator(schema_name: str) -> Any:
    import jsonschema

    schema = schemas()[schema_name]
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def validate(schema_name: str, value: Any) -> None:
    """Check `value` against a schema of schemas.json (e.g. "response", "cancelMessage"); raises jsonschema.ValidationError."""
    _validator(schema_name).validate(value)


def is_valid(schema_name: str, value: Any) -> bool:
    return bool(_validator(schema_name).is_valid(value))
