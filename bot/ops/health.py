"""The operations endpoint: `/healthz` (is every part working?) and Prometheus `/metrics`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[bool]]
# A check that hangs (a database that stopped answering) counts as failed.
CHECK_TIMEOUT = 3.0


class HealthServer:
    """Serves the checks it is given by name; keeps no state beyond its runner."""

    def __init__(self, checks: Mapping[str, HealthCheck], metrics: Metrics, host: str, port: int) -> None:
        self.checks = dict(checks)
        self.metrics = metrics
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def status(self) -> dict[str, bool]:
        """Run every check concurrently; an exception or a timeout is a failure."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(name) for name in names))
        return dict(zip(names, results, strict=True))

    async def _run(self, name: str) -> bool:
        try:
            return await asyncio.wait_for(self.checks[name](), CHECK_TIMEOUT)
        except Exception as exc:
            log.warning("health check %s failed: %s", name, type(exc).__name__)
            return False

    def web_app(self) -> web.Application:
        async def healthz(request: web.Request) -> web.Response:
            checks = await self.status()
            healthy = all(checks.values())
            body = {"status": "ok" if healthy else "unhealthy", "checks": checks}
            return web.json_response(body, status=200 if healthy else 503)

        async def metrics(request: web.Request) -> web.Response:
            return web.Response(body=self.metrics.exposition(), content_type="text/plain", charset="utf-8")

        application = web.Application()
        application.router.add_get("/healthz", healthz)
        application.router.add_get("/metrics", metrics)
        return application

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app(), handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("health and metrics on %s", self.address)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def address(self) -> str:
        if self._runner is None or not self._runner.addresses:
            return ""
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"
