"""The fake Slack Web API where containers can reach it: on the Docker bridge's address on this host.

A container's 127.0.0.1 is its own, so the fake listens on the host's address on the default bridge
(docker0, e.g. 172.17.0.1): every container reaches the host there through its network's gateway,
and nothing outside this machine does. It runs on an event loop in a thread of its own, so that
synchronous tests (which mostly wait on docker commands) can drive it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from tests.support.docker_engine import Engine, run
from tests.support.slack_support import FakeSlack

T = TypeVar("T")


def bridge_address(engine: Engine) -> str:
    """The host's IPv4 address on Docker's default bridge network."""
    found = json.loads(engine("network", "inspect", "bridge").stdout)[0]
    bridge = found.get("Options", {}).get("com.docker.network.bridge.name", "docker0")
    for config in found.get("IPAM", {}).get("Config") or []:
        if config.get("Gateway"):
            return str(config["Gateway"])
    shown = run(["ip", "-4", "-o", "addr", "show", "dev", bridge], check=False).stdout.split()
    if "inet" in shown:
        return shown[shown.index("inet") + 1].split("/")[0]
    # Docker gives the bridge the first address of its subnet unless told otherwise.
    subnet = ipaddress.ip_network(found["IPAM"]["Config"][0]["Subnet"])
    return str(next(subnet.hosts()))


@dataclass
class BridgedFakeSlack(FakeSlack):
    """FakeSlack listening on `host` (and naming that host in the URLs it hands out)."""

    host: str = "127.0.0.1"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/"

    def response_url(self) -> str:
        return super().response_url().replace("127.0.0.1", self.host, 1)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.port = self._runner.addresses[0][1]


class ThreadedFake:
    """Runs a BridgedFakeSlack on its own loop in a daemon thread; calls hop onto that loop."""

    def __init__(self, host: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-slack", daemon=True)
        self.thread.start()
        self.fake = self.call(self._make(host))
        self.call(self.fake.start())

    async def _make(self, host: str) -> BridgedFakeSlack:
        return BridgedFakeSlack(host=host)  # its asyncio.Condition belongs to this loop

    def call(self, coroutine: Awaitable[T], timeout: float = 30) -> T:
        async def wrapped() -> T:
            return await coroutine

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout)

    def read(self, reader: Callable[[FakeSlack], T]) -> T:
        """Evaluate `reader` on the fake from its own loop (no race with requests being recorded)."""

        async def read() -> T:
            return reader(self.fake)

        return self.call(read())

    def wait_until(self, what: str, condition: Callable[[FakeSlack], bool], timeout: float) -> None:
        try:
            self.call(self.fake.wait_until(lambda: condition(self.fake), timeout), timeout + 5)
        except TimeoutError:
            raise AssertionError(f"{what}: not within {timeout:.0f} s") from None

    def stop(self) -> None:
        self.call(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def messages(fake: FakeSlack) -> list[dict[str, Any]]:
    """Every chat.postMessage the fake took, in order."""
    return [message for posted in fake.messages.values() for message in posted]
