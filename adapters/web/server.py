"""The dashboard's HTTP server (aiohttp), run by the bot process when MLQ_WEB_PORT is set."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from adapters.web import auth, moderation, pages
from adapters.web.context import CONTEXT, Context, WebConfig
from adapters.web.render import templates
from bot.ops.settings import Settings
from bot.service import PracticeService

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
# Forms carry at most a suggestion (3,000 + 4,000 characters) and a few fields.
MAX_BODY = 64 * 1024


def web_config(settings: Settings) -> WebConfig:
    """The dashboard's settings; drafts go where `mlq content accept` puts them by default."""
    return WebConfig(
        host=settings.web_host,
        port=settings.web_port or 0,
        base_url=settings.web_url,
        drafts_dir=Path("content/suggested"),
        bank_dir=settings.content_dir,
        admin_user_ids=frozenset(settings.admin_user_ids),
    )


class DashboardServer:
    """Serves the dashboard for one service; keeps no state beyond its runner (sessions are in the store)."""

    def __init__(self, service: PracticeService, config: WebConfig) -> None:
        self.service = service
        self.config = config
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        application = web.Application(middlewares=[auth.guard], client_max_size=MAX_BODY)
        application[CONTEXT] = Context(self.service, self.config, templates())
        routes = application.router
        routes.add_get("/", pages.you)
        routes.add_get("/channels", pages.channels)
        routes.add_get("/channels/{channel_id}", pages.channel)
        routes.add_get("/channels/{channel_id}/participation.csv", pages.participation_download)
        routes.add_get("/suggestions", moderation.queue)
        routes.add_get("/suggestions/{suggestion_id}", moderation.show)
        routes.add_post("/suggestions/{suggestion_id}/save", moderation.save)
        routes.add_post("/suggestions/{suggestion_id}/accept", moderation.accept)
        routes.add_post("/suggestions/{suggestion_id}/reject", moderation.reject)
        routes.add_get("/signin/{token}", auth.signin_page)
        routes.add_post("/signin", auth.signin)
        routes.add_post("/signout", auth.signout)
        routes.add_static("/static/", STATIC, append_version=False)
        return application

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app(), handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.host, self.config.port).start()
        log.info("web dashboard on %s (links point at %s)", self.address, self.config.base_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def address(self) -> str:
        """Where it listens (the port chosen when configured as 0)."""
        if self._runner is None or not self._runner.addresses:
            return ""
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"
