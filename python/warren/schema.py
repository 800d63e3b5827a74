"""Handler contracts: the JSON Schemas of a request type's payload, chunks and result.

A schema is given as a JSON Schema dict, or as a Python type turned into one:
a dataclass, a TypedDict, str/int/float/bool/None, list[X], dict[str, X],
tuple[...], Literal[...], Optional/Union, an Enum, or Any. The worker
announces the schemas on the registry (the gateway checks payloads against
them, `warren codegen` turns them into TypeScript) and checks each payload
itself before the handler runs.

    @contract(payload=ChatPayload, chunk={"type": "object", ...}, description="...")
    async def chat(payload, ctx): ...
"""
from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Mapping as AbcMapping, Sequence as AbcSequence
from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping, TypeVar, Union

from .errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE = "__warren_contract__"


@dataclass(frozen=True)
class Contract:
    """JSON Schemas of one request type (None = not declared) and its description."""

    payload: dict[str, Any] | bool | None = None
    chunk: dict[str, Any] | bool | None = None
    result: dict[str, Any] | bool | None = None
    description: str | None = None
    #: The Python type `payload` was given as (a dataclass is built from the JSON for the handler); not announced.
    payload_type: Any = dataclasses.field(default=None, compare=False, repr=False)

    def announcement(self, request_type: str) -> dict[str, Any]:
        """The type's entry in a registry announcement (schemas.json `announcement.types[]`)."""
        entry: dict[str, Any] = {"type": request_type}
        if self.description is not None:
            entry["description"] = self.description
        for name in ("payload", "chunk", "result"):
            value = getattr(self, name)
            if value is not None:
                entry[name] = value
        return entry


def make_contract(*, payload: Any = None, chunk: Any = None, result: Any = None, description: str | None = None) -> Contract:
    """Build a Contract, converting types to JSON Schema and checking dicts are valid JSON Schemas (at start-up)."""
    if description is not None and not isinstance(description, str):
        raise ConfigError(f"description must be a string, got {type(description).__name__}")
    return Contract(
        payload=to_json_schema(payload, "payload"),
        chunk=to_json_schema(chunk, "chunk"),
        result=to_json_schema(result, "result"),
        description=description,
        payload_type=None if payload is None or isinstance(payload, (bool, AbcMapping)) else payload,
    )


def contract(*, payload: Any = None, chunk: Any = None, result: Any = None, description: str | None = None) -> Callable[[F], F]:
    """Decorator: declare the handler's schemas; the handler is returned unchanged."""
    declared = make_contract(payload=payload, chunk=chunk, result=result, description=description)

    def attach(fn: F) -> F:
        try:
            setattr(fn, ATTRIBUTE, declared)
        except (AttributeError, TypeError):
            raise ConfigError(f"cannot attach a contract to {fn!r}; pass contracts={{type: ...}} to register_handlers instead") from None
        return fn

    return attach


def contract_of(fn: Any) -> Contract | None:
    found = getattr(fn, ATTRIBUTE, None)
    return found if isinstance(found, Contract) else None


def to_json_schema(spec: Any, what: str = "schema") -> dict[str, Any] | bool | None:
    """A JSON Schema from a dict (checked), a bool, a Python type, or None (not declared)."""
    if spec is None:
        return None
    if isinstance(spec, bool):
        return spec
    if isinstance(spec, AbcMapping):
        schema: dict[str, Any] = json.loads(json.dumps(dict(spec)))  # a plain, JSON-safe copy
        check_schema(schema, what)
        return schema
    return _type_schema(spec, (), what)


def check_schema(schema: Any, what: str = "schema") -> None:
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        raise ConfigError(f"{what} is not a valid JSON Schema: {error.message}") from None


def _describe(tp: Any) -> dict[str, Any]:
    doc = (getattr(tp, "__doc__", None) or "").strip()
    # A dataclass without a docstring gets its signature as one: not a description.
    if not doc or doc.startswith(f"{getattr(tp, '__name__', '')}("):
        return {}
    return {"description": " ".join(doc.split())}


def _json_default(value: Any) -> dict[str, Any]:
    try:
        return {"default": json.loads(json.dumps(value))}  # as it travels: tuples become lists
    except (TypeError, ValueError):
        return {}


def _type_schema(tp: Any, seen: tuple[Any, ...], what: str) -> dict[str, Any]:
    if tp in seen:  # a recursive type: accept anything below the loop
        return {}
    origin, args = typing.get_origin(tp), typing.get_args(tp)

    def nested(t: Any) -> dict[str, Any]:
        return _type_schema(t, seen + (tp,), what)

    if tp is Any or tp is object:
        return {}
    if tp is None or tp is type(None):
        return {"type": "null"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if origin is typing.Annotated:
        base = nested(args[0])
        notes = [a for a in args[1:] if isinstance(a, str)]
        return {**base, "description": notes[0]} if notes else base
    if origin is Literal:
        return {"enum": list(args)}
    if origin is Union or origin is types.UnionType:
        options = [nested(a) for a in args]
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": nested(args[0])}
        return {"type": "array", "prefixItems": [nested(a) for a in args], "items": False}
    if origin in (list, set, frozenset, AbcSequence, typing.Sequence) or tp in (list, set, frozenset):
        return {"type": "array", "items": nested(args[0])} if args else {"type": "array"}
    if origin in (dict, AbcMapping, typing.Mapping) or tp is dict:
        return {"type": "object", "additionalProperties": nested(args[1])} if len(args) == 2 else {"type": "object"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [member.value for member in tp]}
    if typing.is_typeddict(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        required_keys = getattr(tp, "__required_keys__", frozenset(hints))
        schema = {"type": "object", **_describe(tp), "properties": {k: nested(v) for k, v in hints.items()}}
        return {**schema, "required": [k for k in hints if k in required_keys]} if required_keys else schema
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp, include_extras=True)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for f in dataclasses.fields(tp):
            prop = nested(hints.get(f.name, Any))
            if isinstance(f.metadata.get("description"), str):
                prop = {**prop, "description": f.metadata["description"]}
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
            elif f.default is not dataclasses.MISSING:
                prop = {**prop, **_json_default(f.default)}
            properties[f.name] = prop
        shape: dict[str, Any] = {"type": "object", **_describe(tp), "properties": properties}
        return {**shape, "required": required} if required else shape
    raise ConfigError(f"{what}: cannot turn {tp!r} into a JSON Schema; pass a JSON Schema dict instead")


def contracts_from(handlers: Mapping[str, Any], given: Mapping[str, Any] | None) -> dict[str, Contract]:
    """Each type's contract: from `given` ({type: Contract or dict of payload/chunk/result/description}), else the handler's decorator."""
    out: dict[str, Contract] = {}
    for request_type, spec in (given or {}).items():
        if request_type not in handlers:
            raise ConfigError(f"contracts names {request_type!r}, which has no handler")
        if isinstance(spec, Contract):
            out[request_type] = spec
        elif isinstance(spec, AbcMapping):
            unknown = set(spec) - {"payload", "chunk", "result", "description"}
            if unknown:
                raise ConfigError(f"contract of {request_type!r}: unknown key(s) {', '.join(sorted(unknown))}; use payload, chunk, result, description")
            out[request_type] = make_contract(**spec)
        else:
            raise ConfigError(f"contract of {request_type!r} must be a dict or warren.Contract, got {type(spec).__name__}")
    for request_type, fn in handlers.items():
        if request_type not in out and contract_of(fn) is not None:
            out[request_type] = contract_of(fn)  # type: ignore[assignment]
    return out
