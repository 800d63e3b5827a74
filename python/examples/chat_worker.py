"""Chat demo: request type `chat`, payload `{ message, history? }`.

Streams a scripted reply token by token at a human pace (chunks
`{ "token": " word" }`), then returns `{ "reply": full text }`.

    /usr/bin/python3 python/examples/chat_worker.py      # or, from python/: python -m examples.chat_worker
"""
from __future__ import annotations

import asyncio
import random
import re
import sys
from pathlib import Path
from typing import Any, TypedDict

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examples._env import worker_from_env  # noqa: E402
from warren import Context, Handler, WarrenError, contract  # noqa: E402

#: Seconds between tokens, drawn uniformly from this range (a human typing pace).
TOKEN_DELAY_S = (0.04, 0.08)
OPENERS = ["Good question.", "Happy to help.", "Let me think about that.", "Sure thing."]
BODIES = [
    "Warren carried your message from the browser over Socket.IO to the gateway, through RabbitMQ, to this Python worker.",
    "Every word you see arrives as its own chunk, numbered so nothing is shown twice or out of order.",
    "If you cancel now, the worker stops typing and answers CANCELLED instead of finishing this sentence.",
]


# The contract, announced on the registry: the gateway checks payloads against
# it and `npx warren codegen` turns it into TypeScript. The payload is a JSON
# Schema dict (it needs minLength/pattern); chunk and result are TypedDicts.
CHAT_PAYLOAD = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "minLength": 1, "pattern": "\\S", "description": "What the user just said."},
        "history": {
            "type": "array",
            "description": "Earlier turns, oldest first.",
            "items": {
                "type": "object",
                "properties": {"role": {"enum": ["user", "assistant"]}, "text": {"type": "string"}},
                "required": ["role", "text"],
            },
        },
        "variant": {"type": "integer", "minimum": 0, "maximum": 999, "description": "Another wording of the same turn (Regenerate)."},
    },
    "required": ["message"],
}


class ChatChunk(TypedDict):
    """One token of the reply, with its leading space."""

    token: str


class ChatReply(TypedDict):
    """The whole reply: the tokens joined."""

    reply: str


NAME = re.compile(r"\bmy name is ([A-Za-z][\w'-]{0,30})", re.IGNORECASE)
RECALL = re.compile(r"\b(remember|what did i (say|ask|write)|earlier|before)\b", re.IGNORECASE)


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return f'"{text[:limit]}{"…" if len(text) > limit else ""}"'


def recall(message: str, history: list[Any]) -> str:
    """The sentence that shows the bot read the conversation: a name it was told, what was said before."""
    said = [str(turn.get("text", "")) for turn in history if isinstance(turn, dict) and turn.get("role") == "user"]
    names = [m.group(1) for m in (NAME.search(text) for text in [*said, message]) if m]
    name = names[-1] if names else None
    if not said:
        return f'Nice to meet you, {name}.' if name else "This is the start of our conversation."
    greeting = f"{name}, " if name else ""
    if RECALL.search(message):
        listed = ", then ".join(_quote(text, 40) for text in said[-3:])
        return f"{greeting.capitalize() or ''}I remember: you said {listed}. This is message {len(said) + 1} from you."
    return f"{greeting.capitalize() or ''}this is message {len(said) + 1} from you; just before it you said {_quote(said[-1])}."


def compose_reply(message: str, history: list[Any], variant: int = 0) -> str:
    """A scripted, deterministic reply (no model needed): it depends only on the conversation.

    `variant` (Regenerate) shifts the wording, so each regeneration reads differently."""
    pick = random.Random(f"{len(history)}:{message}")
    opener = OPENERS[(pick.randrange(len(OPENERS)) + variant) % len(OPENERS)]
    body = BODIES[(pick.randrange(len(BODIES)) + variant) % len(BODIES)]
    memory = recall(message, history)
    memory = memory[0].upper() + memory[1:]
    return f'{opener} You said {_quote(message, 80)}. {memory} {body}'


def tokens(text: str) -> list[str]:
    """Words with their leading space, so joining the tokens gives the text back."""
    return re.findall(r"\s*\S+", text)


def check_payload(payload: Any) -> tuple[str, list[Any]]:
    issues: list[dict[str, str]] = []
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), str) or not payload["message"].strip():
        issues.append({"path": "message", "message": "expected a non-empty string"})
    elif not isinstance(payload.get("history", []), list):
        issues.append({"path": "history", "message": "expected an array"})
    if issues:
        summary = "; ".join(f"{i['path']}: {i['message']}" for i in issues)
        raise WarrenError("INVALID_PAYLOAD", summary, {"issues": issues})
    return payload["message"], payload.get("history", [])


def variant_of(payload: Any) -> int:
    """Regenerate asks for another wording of the same turn."""
    variant = payload.get("variant", 0) if isinstance(payload, dict) else 0
    return variant if isinstance(variant, int) and not isinstance(variant, bool) and 0 <= variant < 1000 else 0


@contract(payload=CHAT_PAYLOAD, chunk=ChatChunk, result=ChatReply,
          description="A scripted assistant (no model) that reads the conversation so far; its reply streams word by word.")
async def chat(payload: Any, ctx: Context) -> ChatReply:
    message, history = check_payload(payload)
    reply = compose_reply(message, history, variant_of(payload))
    ctx.log.info("replying with %d tokens", len(tokens(reply)))
    for token in tokens(reply):
        await asyncio.sleep(random.uniform(*TOKEN_DELAY_S))
        await ctx.send_chunk({"token": token})
    return {"reply": reply}


HANDLERS: dict[str, Handler] = {"chat": chat}


def main() -> None:
    worker = worker_from_env("chat-demo")
    worker.handler("chat")(chat)
    worker.run()


if __name__ == "__main__":
    main()
