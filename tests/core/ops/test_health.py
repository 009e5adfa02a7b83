"""/healthz and /metrics: every part reported, the database's loss and return seen, counters exposed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest

from bot.ops.health import HealthServer
from bot.ops.metrics import Metrics
from bot.records import Subscription
from bot.schedule.clock import FakeClock
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import open_store
from tests.conftest import postgres_schema
from tests.support.tcp_proxy import TcpProxy


async def _get(server: HealthServer, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client, client.get(server.address + path) as response:
        return response.status, await response.text()


@pytest.fixture
async def serve() -> AsyncIterator[list[HealthServer]]:
    servers: list[HealthServer] = []
    yield servers
    for server in servers:
        await server.stop()


async def _started(serve: list[HealthServer], server: HealthServer) -> HealthServer:
    await server.start()
    serve.append(server)
    return server


async def test_healthz_is_200_when_every_check_passes(serve: list[HealthServer]) -> None:
    async def ok() -> bool:
        return True

    server = await _started(serve, HealthServer({"store": ok, "slack": ok}, Metrics(), "127.0.0.1", 0))
    status, body = await _get(server, "/healthz")
    assert status == 200 and '"store": true' in body and '"slack": true' in body


async def test_a_disconnected_adapter_makes_healthz_503_and_names_it(serve: list[HealthServer]) -> None:
    async def ok() -> bool:
        return True

    async def down() -> bool:
        return False

    server = await _started(serve, HealthServer({"store": ok, "discord": down}, Metrics(), "127.0.0.1", 0))
    status, body = await _get(server, "/healthz")
    assert status == 503 and '"discord": false' in body and '"unhealthy"' in body


async def test_a_check_that_raises_counts_as_failed(serve: list[HealthServer]) -> None:
    async def broken() -> bool:
        raise ConnectionRefusedError

    server = await _started(serve, HealthServer({"store": broken}, Metrics(), "127.0.0.1", 0))
    assert (await _get(server, "/healthz"))[0] == 503


async def test_healthz_turns_unhealthy_when_postgres_goes_away_and_healthy_when_it_returns(
    serve: list[HealthServer],
) -> None:
    """The store reaches PostgreSQL through a proxy we cut and restore: 200 → 503 → 200."""
    async with postgres_schema() as (url, connect_args):
        parts = urlsplit(url)
        proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        await proxy.start()
        proxied = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
        store = await open_store(proxied, connect_args={**connect_args, "timeout": 2})
        try:
            server = await _started(serve, HealthServer({"store": store.ping}, Metrics(), "127.0.0.1", 0))
            assert (await _get(server, "/healthz"))[0] == 200
            await proxy.cut()
            assert (await _get(server, "/healthz"))[0] == 503
            await proxy.start()
            assert (await _get(server, "/healthz"))[0] == 200
        finally:
            await proxy.cut()
            await store.close()


async def test_metrics_count_posts_and_commands_in_prometheus_format(
    serve: list[HealthServer],
    service: PracticeService,
    subscription: Subscription,
    destination: Destination,
    clock: FakeClock,
) -> None:
    """A daily post and a command show up as mlq_posts_total and mlq_commands_total."""
    clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    await service.run_due()
    await service.handle_command(Invocation(destination, "U1"), "keras")
    server = await _started(serve, HealthServer({}, service.metrics, "127.0.0.1", 0))
    status, body = await _get(server, "/metrics")
    assert status == 200
    assert 'mlq_posts_total{outcome="posted",platform="fake"} 1.0' in body
    assert 'mlq_commands_total{command="ask",platform="fake"} 1.0' in body
    assert 'mlq_command_seconds_count{platform="fake"} 1.0' in body
    assert "mlq_post_lag_seconds_bucket" in body and "mlq_scheduler_lag_seconds" in body
