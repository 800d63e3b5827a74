"""Results and chunks go through a pluggable JSON encoder with sensible defaults (issue 14)."""
from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import math
import uuid

import pytest

from warren import json_encoder, register_handlers
from warren.encoder import _orjson



class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Line:
    sku: str
    price: decimal.Decimal


VALUE = {
    "at": datetime.datetime(2026, 11, 29, 15, 0, tzinfo=datetime.timezone.utc),
    "day": datetime.date(2026, 11, 29),
    "price": decimal.Decimal("19.99"),
    "tags": {"only"},
    "line": Line("A-1", decimal.Decimal("2.50")),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "colour": Colour.RED,
}
EXPECTED = {
    "at": "2026-11-29T15:00:00+00:00", "day": "2026-11-29", "price": "19.99", "tags": ["only"],
    "line": {"sku": "A-1", "price": "2.50"}, "id": "12345678-1234-5678-1234-567812345678", "colour": "red",
}


async def test_common_python_values_become_json(gateway, worker_transport):
    async def rich(payload, ctx):
        await ctx.send_chunk(VALUE)
        return VALUE

    handle = await register_handlers({"rich": rich}, service="t", transport=worker_transport)
    chunks, final = await gateway.until_final(await gateway.request("rich", None))
    assert chunks[0]["data"] == EXPECTED and final["data"] == EXPECTED
    await handle.close()


async def test_a_custom_default_comes_first_and_a_whole_encoder_can_replace_it(gateway, worker_transport):
    class Money:
        def __init__(self, cents: int) -> None:
            self.cents = cents

    def money(value):
        if isinstance(value, Money):
            return {"cents": value.cents}
        raise TypeError

    async def pay(payload, ctx):
        return {"total": Money(250), "at": datetime.date(2026, 1, 2)}

    handle = await register_handlers({"pay": pay}, service="t", transport=worker_transport, encoder=json_encoder(money))
    _, final = await gateway.until_final(await gateway.request("pay", None))
    assert final["data"] == {"total": {"cents": 250}, "at": "2026-01-02"}
    await handle.close()


async def test_what_cannot_be_encoded_is_a_worker_error_and_nan_is_refused(gateway, worker_transport):
    async def odd(payload, ctx):
        return object() if payload == "object" else math.nan

    handle = await register_handlers({"odd": odd}, service="t", transport=worker_transport)
    for payload in ("object", "nan"):
        _, final = await gateway.until_final(await gateway.request("odd", payload))
        assert final["error"]["code"] == "WORKER_ERROR" and "not JSON" in final["error"]["message"]
    await handle.close()


@pytest.mark.parametrize("use_orjson", [False, pytest.param(True, marks=pytest.mark.skipif(_orjson is None, reason="orjson not installed"))])
def test_both_encoders_give_the_same_bytes(use_orjson):
    encode = json_encoder(use_orjson=use_orjson)
    import json

    assert json.loads(encode(VALUE)) == EXPECTED
    assert encode({"a": [1, 2.5, None, True, "é"]}) == '{"a":[1,2.5,null,true,"é"]}'.encode()
    with pytest.raises(ValueError):
        encode({"x": [math.inf]})
    with pytest.raises(TypeError):
        encode({"x": b"bytes"})
