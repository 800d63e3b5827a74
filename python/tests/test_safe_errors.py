"""What a caller sees of a failure: never the exception's text; a reference the operator finds in the log (issue 14)."""
from __future__ import annotations

import logging

import pytest

from warren import AppError, WarrenError, register_handlers



async def test_an_unexpected_exception_reaches_the_caller_as_a_generic_worker_error(gateway, worker_transport, caplog):
    async def connect(payload, ctx):
        raise ConnectionError("could not connect to postgres://admin:hunter2@db.internal:5432/shop")

    handle = await register_handlers({"connect": connect}, service="t", transport=worker_transport)
    with caplog.at_level(logging.ERROR):
        _, final = await gateway.until_final(await gateway.request("connect", None))
    error = final["error"]
    assert error["code"] == "WORKER_ERROR"
    assert "hunter2" not in str(final) and "postgres" not in str(final) and "ConnectionError" not in str(final)
    reference = error["details"]["reference"]
    assert reference in error["message"]
    logged = [r for r in caplog.records if getattr(r, "reference", None) == reference]
    assert len(logged) == 1 and reference in logged[0].getMessage()
    assert logged[0].exc_info is not None and "hunter2" in str(logged[0].exc_info[1])  # the operator sees it all
    await handle.close()


async def test_a_key_error_is_not_its_repr(gateway, worker_transport):
    async def lookup(payload, ctx):
        return {}["missing"]

    handle = await register_handlers({"lookup": lookup}, service="t", transport=worker_transport)
    _, final = await gateway.until_final(await gateway.request("lookup", None))
    assert final["error"]["code"] == "WORKER_ERROR" and "'missing'" not in final["error"]["message"]
    await handle.close()


async def test_a_warren_error_message_is_meant_for_callers(gateway, worker_transport):
    async def picky(payload, ctx):
        raise WarrenError("INVALID_PAYLOAD", "quantity must be at least 1", {"field": "quantity"})

    handle = await register_handlers({"picky": picky}, service="t", transport=worker_transport)
    _, final = await gateway.until_final(await gateway.request("picky", None))
    assert final["error"] == {"code": "INVALID_PAYLOAD", "message": "quantity must be at least 1", "details": {"field": "quantity"}}
    await handle.close()


async def test_an_application_code_travels_in_details(gateway, worker_transport):
    async def buy(payload, ctx):
        raise AppError("OUT_OF_STOCK", "That item is sold out.", {"sku": "A-1"})

    handle = await register_handlers({"buy": buy}, service="t", transport=worker_transport)
    _, final = await gateway.until_final(await gateway.request("buy", None))
    assert final["error"] == {"code": "WORKER_ERROR", "message": "That item is sold out.",
                              "details": {"sku": "A-1", "code": "OUT_OF_STOCK"}}
    await handle.close()


def test_the_error_code_literal_is_the_shared_table():
    from warren.errors import ERROR_CODES
    from warren.protocol import error_codes

    assert set(ERROR_CODES) == set(error_codes())
    with pytest.raises(ValueError):
        WarrenError("MY_CODE", "x")  # type: ignore[arg-type]  # the shared table stays closed: use AppError
