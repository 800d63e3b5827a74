"""Payload checks against a handler's declared JSON Schema (defence in depth:
the gateway checks the same schema before publishing). A failure becomes
INVALID_PAYLOAD with `details.issues = [{path, message}]`, the paths named
exactly as the gateway and the Node SDK name them (`history.0.role`)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from .schema import Contract

Check = Callable[[Any], "list[dict[str, str]] | None"]


def _path(parts: Any) -> str:
    return ".".join(str(p) for p in parts) or "(root)"


def _issues(error: Any) -> list[dict[str, str]]:
    base = list(error.absolute_path)
    schema, instance = error.schema if isinstance(error.schema, dict) else {}, error.instance
    # Missing and unexpected fields are reported at the field itself, not its parent.
    if error.validator == "required" and isinstance(instance, dict):
        return [{"path": _path(base + [key]), "message": "required"} for key in error.validator_value if key not in instance]
    if error.validator == "additionalProperties" and isinstance(instance, dict) and error.validator_value is False:
        known = set(schema.get("properties", {}))
        extra = [key for key in instance if key not in known]
        if extra:
            return [{"path": _path(base + [key]), "message": "unexpected field"} for key in extra]
    return [{"path": _path(base), "message": error.message}]


@lru_cache(maxsize=256)
def _compiled(schema_text: str) -> Any:
    import json

    import jsonschema

    schema = json.loads(schema_text)
    return jsonschema.validators.validator_for(schema)(schema)


def payload_check(schema: Any) -> Check | None:
    """A function returning the issues of a payload (None when valid); None when nothing is declared."""
    if schema is None or schema is True:
        return None
    import json

    validator = _compiled(json.dumps(schema, sort_keys=True))

    def check(payload: Any) -> list[dict[str, str]] | None:
        issues: list[dict[str, str]] = []
        for error in sorted(validator.iter_errors(payload), key=lambda e: [str(p) for p in e.absolute_path]):
            for issue in _issues(error):
                if issue not in issues:
                    issues.append(issue)
        return issues or None

    return check


def invalid_payload(request_type: str, issues: list[dict[str, str]]) -> dict[str, Any]:
    """The INVALID_PAYLOAD WireError, worded like the gateway's."""
    summary = "; ".join(f"{i['path']}: {i['message']}" for i in issues)
    return {"code": "INVALID_PAYLOAD", "message": f'Invalid payload for "{request_type}": {summary}', "details": {"issues": issues}}


def contract_check(contract: Contract | None) -> Check | None:
    return None if contract is None else payload_check(contract.payload)
