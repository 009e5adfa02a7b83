"""Installing the app to any number of workspaces: Bolt's OAuth flow on our database.

"Add to Slack" (`install_path`) sends the browser to Slack with a one-time state, also set as a
cookie; Slack sends it back to `redirect_path` with a code, which is exchanged for the team's bot
token once the state is found in the store and matches the cookie (Bolt's `AsyncOAuthFlow`). Tokens
and states live in slack-sdk's async SQLAlchemy stores, on the tables of migration 0007 in the
bot's own database, through the store's async engine (slack-sdk ships async stores, so nothing runs
in a thread). When a workspace uninstalls the app or revokes its bot token, its tokens are deleted
and its subscriptions paused; an admin resumes each channel with `/mlquestion resume` after
installing again.

The OAuth endpoints are plain browser GETs over HTTP, so this needs HTTP mode: Socket Mode apps
cannot receive Slack's redirect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.workspaces import SlackClients
from bot.schedule.cycle import PLATFORM_PAUSE_PREFIX
from bot.service import PracticeService

log = logging.getLogger(__name__)

PLATFORM = "slack"


@dataclass(frozen=True, slots=True)
class SlackOAuthConfig:
    """The app's OAuth credentials and the install flow's addresses (see Settings)."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    redirect_uri: str | None = None
    install_path: str = "/slack/install"
    redirect_path: str = "/slack/oauth_redirect"
    state_seconds: int = 600
    rotation_minutes: int = 120

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"SlackOAuthConfig(client_id={self.client_id!r}, scopes={self.scopes!r})"


def oauth_settings(config: SlackOAuthConfig, engine: AsyncEngine) -> AsyncOAuthSettings:
    """Bolt's OAuth settings with the installation and state stores on `engine`."""
    return AsyncOAuthSettings(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scopes=list(config.scopes),
        user_scopes=[],
        redirect_uri=config.redirect_uri,
        install_path=config.install_path,
        redirect_uri_path=config.redirect_path,
        installation_store=AsyncSQLAlchemyInstallationStore(client_id=config.client_id, engine=engine),
        # The bots table is what `SlackClients` reads and what revocation clears: Bolt reads it too.
        installation_store_bot_only=True,
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=config.state_seconds, engine=engine),
        state_expiration_seconds=config.state_seconds,
        token_rotation_expiration_minutes=config.rotation_minutes,
    )


def workspace_clients(base: AsyncWebClient, settings: AsyncOAuthSettings) -> SlackClients:
    """The per-team clients of a multi-workspace app: tokens from the installation store, refreshed
    with the app's credentials (refresh calls go through `base`, which carries no token)."""
    rotator = AsyncTokenRotator(
        client_id=settings.client_id, client_secret=settings.client_secret, client=base
    )
    return SlackClients(
        base, settings.installation_store, rotator, settings.token_rotation_expiration_minutes
    )


class Revocations:
    """The `app_uninstalled` and `tokens_revoked` listeners: delete the team's tokens, pause its
    subscriptions. Uses the service's store and clock and the adapter's clients; keeps no state."""

    def __init__(self, service: PracticeService, clients: SlackClients) -> None:
        self.service = service
        self.clients = clients

    def register(self, app: AsyncApp) -> None:
        app.event("app_uninstalled")(self._on_uninstalled)
        app.event("tokens_revoked")(self._on_tokens_revoked)

    async def _on_uninstalled(self, context: AsyncBoltContext) -> None:
        await self._remove(context, "app_uninstalled")

    async def _on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
        if (tokens or {}).get("bot"):
            # The bot token is all the bot uses: without it the install can do nothing.
            await self._remove(context, "tokens_revoked")
            return
        store = self.clients.installations
        for user in (tokens or {}).get("oauth") or []:
            if store is not None:
                await store.async_delete_installation(
                    enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=str(user)
                )

    async def _remove(self, context: AsyncBoltContext, why: str) -> None:
        team = context.team_id
        if not team or self.clients.installations is None:
            log.warning("slack %s without a team id: nothing deleted", why)
            return
        await self.clients.installations.async_delete_all(enterprise_id=context.enterprise_id, team_id=team)
        self.clients.forget(team)
        now = self.service.clock.now()
        paused = await self.service.store.pause_workspace(PLATFORM, team, PLATFORM_PAUSE_PREFIX + why, now)
        log.warning(
            "slack team %s: %s; its tokens are deleted and %d subscription(s) paused", team, why, paused
        )
