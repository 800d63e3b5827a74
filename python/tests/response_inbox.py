"""What both stand-in gateways of the tests share: reading one request's responses."""
from __future__ import annotations

import asyncio
from typing import Any


class ResponseInbox:
    """Responses by request id, as a stand-in gateway's reply consumer files them."""

    def __init__(self) -> None:
        self.responses: dict[str, asyncio.Queue[dict[str, Any]]] = {}

    def file(self, response: dict[str, Any]) -> None:
        self.responses.setdefault(response["id"], asyncio.Queue()).put_nowait(response)

    async def next(self, request_id: str, timeout: float) -> dict[str, Any]:
        return await asyncio.wait_for(self.responses.setdefault(request_id, asyncio.Queue()).get(), timeout)

    async def until_final(self, request_id: str, timeout: float) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        chunks = []
        while True:
            response = await self.next(request_id, timeout)
            if response["kind"] != "chunk":
                return chunks, response
            chunks.append(response)
