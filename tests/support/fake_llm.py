"""A local OpenAI-compatible endpoint: answers POST /v1/chat/completions the way Ollama, vLLM or a
hosted API do, with a reply, a delay or an error chosen by the test; records every request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web


@dataclass
class FakeLlm:
    content: str = "{}"
    delay: float = 0.0
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    async def completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        await asyncio.sleep(self.delay)
        if self.status != 200:
            error = {"error": {"message": "model overloaded", "type": "server_error"}}
            return web.Response(status=self.status, text=json.dumps(error), content_type="application/json")
        reply = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": self.content},
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
        return web.Response(text=json.dumps(reply), content_type="application/json")


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLlm]:
    """A running fake OpenAI-compatible server on a free loopback port (`fake_llm.url` ends in /v1)."""
    fake = FakeLlm()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.completions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}/v1"
    try:
        yield fake
    finally:
        await runner.cleanup()
