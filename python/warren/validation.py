"""Payload checks against a handler's declared JSON Schema (defence in depth:
the gateway checks the same schema before publishing). A failure becomes
INVALID_PAYLOAD with `details.issues = [{path, message}]`, the paths named
exactly as the gateway and the Node SDK name them (`history.0.role`).

Like the gateway, only the first `maxReportedIssues` issues are reported (each
cut to `maxIssueText` characters), with the total in `details.issueCount`, and
de-duplication is linear: a payload with 100 000 bad items costs time in
proportion to its size, and its answer stays small."""
from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any, Callable

from .errors import WarrenError
from .protocol import limits
from .schema import Contract

Check = Callable[[Any], "list[dict[str, str]] | None"]

#: Schema errors looked at, at most, per payload; past it the answer is partial.
MAX_SCANNED = 1000


class IssueList(list[dict[str, Any]]):
    """Issues of one payload; `partial` when only the first MAX_SCANNED errors were looked at."""

    partial = False


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
        issues = IssueList()
        seen: set[tuple[str, str]] = set()
        # iter_errors is lazy: stop after MAX_SCANNED errors, so a payload that
        # is wrong in 200 000 places costs no more than one wrong in 1 000.
        errors = list(itertools.islice(validator.iter_errors(payload), MAX_SCANNED + 1))
        if len(errors) > MAX_SCANNED:
            errors = errors[:MAX_SCANNED]
            issues.partial = True
        for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
            for issue in _issues(error):
                key = (issue["path"], issue["message"])
                if key not in seen:
                    seen.add(key)
                    issues.append(issue)
        return issues or None

    return check


#: Issues named in the error's message (all reported ones are in details), as in the gateway.
NAMED_IN_MESSAGE = 5


def _clip(text: str) -> str:
    most = int(limits()["maxIssueText"])
    return text if len(text) <= most else text[: most - 1] + "\u2026"


def invalid_payload(request_type: str, issues: list[dict[str, str]]) -> dict[str, Any]:
    """The INVALID_PAYLOAD WireError, worded like the gateway's: the first issues and their count."""
    count = len(issues)
    partial = bool(getattr(issues, "partial", False))
    reported = [{"path": _clip(i["path"]), "message": _clip(i["message"])} for i in issues[: int(limits()["maxReportedIssues"])]]
    named = "; ".join(f"{i['path']}: {i['message']}" for i in reported[:NAMED_IN_MESSAGE])
    if partial:
        more = f" ({count} found in the part checked; the rest of the payload was not checked)"
    else:
        more = f" (and {count - NAMED_IN_MESSAGE} more; {count} in all)" if count > NAMED_IN_MESSAGE else ""
    details: dict[str, Any] = {"issues": reported, "issueCount": count}
    if partial:
        details["partial"] = True
    return WarrenError("INVALID_PAYLOAD", f'Invalid payload for "{_clip(request_type)}": {named}{more}', details).to_wire()


def contract_check(contract: Contract | None) -> Check | None:
    return None if contract is None else payload_check(contract.payload)
