"""A handler as registered: its kind, checked signature, declared contract and payload type.

Checked once, at registration, so a typo (`async def h(payload)`) fails at
start-up with the expected signature instead of failing on every delivery.
Four kinds, told apart by how the function is written:

- `async def h(payload, ctx)` → runs on the event loop; its return value is the result;
- `async def h(payload, ctx): ... yield x` → each yielded value is a chunk, the result is `null`;
- `def h(payload, ctx)` → runs on the type's thread pool (`ctx.send_chunk` blocks);
- `def h(payload, ctx): ... yield x` → a generator on the thread pool, each value a chunk.

The payload the handler receives is typed when the contract's `payload=` (or
the handler's own `payload` annotation) is a dataclass: the checked JSON is
turned into an instance (nested dataclasses, lists and dicts of them too).
A TypedDict is a dict at run time, so it is passed as it is.
"""
from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterator, Literal, TypeVar, Union

from .context import Context, SyncContext
from .errors import ConfigError
from .schema import Contract, make_contract

#: What a handler is: called as handler(payload, ctx). A type checker refuses other arities
#: (`async def h(payload)`); registration refuses them again at run time.
Handler = Union[Callable[[Any, Context], object], Callable[[Any, SyncContext], object]]
H = TypeVar("H", bound=Handler)

HandlerKind = Literal["async", "stream", "sync", "sync_stream"]
#: Turns the checked JSON payload into what the handler receives; raises TypeError/ValueError when it cannot.
Convert = Callable[[Any], Any]

EXPECTED = "async def handler(payload, ctx) or def handler(payload, ctx)"


@dataclass(frozen=True)
class HandlerSpec:
    request_type: str
    fn: Callable[..., Any]
    kind: HandlerKind
    #: Declared schemas (announced on the registry), if any.
    contract: Contract | None = None
    #: Issues of a payload against the declared payload schema (None = valid); None = nothing to check.
    check: Callable[[Any], Any] | None = None
    #: JSON payload → the handler's typed payload; None = passed as it is.
    convert: Convert | None = None

    @property
    def is_async(self) -> bool:
        """Runs on the event loop (not on the thread pool)."""
        return self.kind in ("async", "stream")


def _target(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The function that really runs: the function itself, or a callable object's __call__."""
    if inspect.isfunction(fn) or inspect.ismethod(fn) or inspect.isbuiltin(fn):
        return fn
    call: Callable[..., Any] | None = getattr(fn, "__call__", None)  # noqa: B004 - a class instance with __call__
    return call if call is not None and not isinstance(fn, type) else fn


def handler_kind(fn: Callable[..., Any]) -> HandlerKind:
    # The function itself first (inspect sees through functools.partial), then a callable object's __call__.
    for target in (fn, inspect.unwrap(_target(fn))):
        if inspect.isasyncgenfunction(target):
            return "stream"
        if inspect.iscoroutinefunction(target):
            return "async"
        if inspect.isgeneratorfunction(target):
            return "sync_stream"
    return "sync"


def check_signature(request_type: str, fn: Callable[..., Any]) -> None:
    """ConfigError unless `fn(payload, ctx)` is a valid call."""
    if not callable(fn):
        raise ConfigError(f"handler for {request_type!r} must be callable ({EXPECTED}), got {type(fn).__name__}")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have none: nothing to check
        return
    try:
        signature.bind(None, None)
    except TypeError as error:
        name = getattr(fn, "__qualname__", repr(fn))
        raise ConfigError(
            f"handler {name} for {request_type!r} cannot be called as handler(payload, ctx): {error}; "
            f"expected {EXPECTED} (signature found: {signature})"
        ) from None


def _payload_annotation(fn: Callable[..., Any]) -> Any:
    """The annotation of the handler's first parameter (the payload), or None."""
    try:
        target = _target(fn)
        hints = typing.get_type_hints(target)
        parameters = [p for p in inspect.signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except Exception:  # noqa: BLE001 - unresolvable annotations are simply not used
        return None
    return hints.get(parameters[0].name) if parameters else None


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _needs_conversion(tp: Any, seen: tuple[Any, ...] = ()) -> bool:
    if tp in seen:
        return False
    if _is_dataclass_type(tp):
        return True
    return any(_needs_conversion(arg, seen + (tp,)) for arg in typing.get_args(tp) if arg is not Ellipsis)


def converter(tp: Any) -> Convert | None:
    """A function turning JSON into `tp` (dataclasses built from dicts), or None when JSON already is `tp`."""
    if not _needs_conversion(tp):
        return None

    def convert(value: Any) -> Any:
        return _from_json(tp, value)

    return convert


def _from_json(tp: Any, value: Any) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _from_json(args[0], value)
    if _is_dataclass_type(tp):
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {tp.__name__}, got {type(value).__name__}")
        hints = typing.get_type_hints(tp)
        fields = {f.name for f in dataclasses.fields(tp) if f.init}
        unknown = set(value) - fields
        if unknown:
            raise TypeError(f"{tp.__name__} has no field(s) {', '.join(sorted(unknown))}")
        return tp(**{k: _from_json(hints.get(k, Any), v) for k, v in value.items()})
    if origin in (list, set, frozenset, typing.Sequence) or origin is getattr(typing, "Sequence", None):
        if not isinstance(value, list):
            raise TypeError(f"expected an array, got {type(value).__name__}")
        items = [_from_json(args[0], v) for v in value] if args else value
        return origin(items) if origin in (set, frozenset) else items
    if origin is tuple and isinstance(value, list):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_json(args[0], v) for v in value)
        return tuple(_from_json(a, v) for a, v in zip(args, value))
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return {k: _from_json(args[1], v) for k, v in value.items()}
    if origin is Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        last: Exception | None = None
        for option in args:  # the first that fits, in declaration order
            if option is type(None):
                continue
            try:
                return _from_json(option, value)
            except (TypeError, ValueError) as error:
                last = error
        raise TypeError(str(last))
    return value


def make_spec(request_type: str, fn: Callable[..., Any], declared: Contract | None,
              check_for: Callable[[Contract | None], Any]) -> HandlerSpec:
    """Check `fn` and build its spec; the payload type comes from `payload=` when it was a type, else the annotation."""
    check_signature(request_type, fn)
    annotation = _payload_annotation(fn)
    typed = None if declared is None else declared.payload_type
    if typed is None and annotation is not None and _needs_conversion(annotation):
        typed = annotation
        if declared is None or declared.payload is None:  # the annotation is the contract: check payloads against it
            base = declared or Contract()
            declared = dataclasses.replace(base, payload=make_contract(payload=annotation).payload)
    return HandlerSpec(
        request_type=request_type, fn=fn, kind=handler_kind(fn), contract=declared, check=check_for(declared),
        convert=None if typed is None else converter(typed),
    )


async def stream_generator(agen: AsyncIterator[Any], ctx: Context) -> None:
    """An `async def … yield` handler: each value is a chunk; the result is null."""
    async for item in agen:
        await ctx.send_chunk(item)


def stream_generator_in_thread(gen: Iterator[Any], ctx: SyncContext) -> None:
    """A `def … yield` handler on its thread: each value is a chunk; the result is null."""
    for item in gen:
        ctx.send_chunk(item)
