"""Which token a Web API call uses: the one bot token, or the bot token of the call's workspace.

Every call the adapter makes names the workspace (Slack team) it is for — the team of a
subscription's channel for daily posts and reveals, the team a command or click came from for
replies — and asks `SlackClients.for_team` for its client. In single-workspace mode that is always
the client of SLACK_BOT_TOKEN; once installed through OAuth it is a client with that team's bot
token from slack-sdk's installation store, refreshed first when token rotation is on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# A team's bot row is read again after this long, so a token another replica refreshed or an
# uninstall another replica handled is seen; within it a fan-out reads the store once per team.
BOT_CACHE_SECONDS = 30.0


class NotInstalled(Exception):
    """The workspace has no bot token: never installed, uninstalled, or its token revoked or
    refused at refresh. Calls for it cannot be made until someone installs the app again."""

    def __init__(self, team_id: str | None, reason: str = "not_installed") -> None:
        super().__init__(f"the app is not installed in team {team_id or '-'} ({reason})")
        self.team_id = team_id
        self.reason = reason


class SlackClients:
    """Hands out the Web API client for a team.

    With no installation store (single-workspace mode) every team gets `base`. With one, a team gets
    a client carrying its bot token; calls share `base`'s connection pool, base URL and retry
    handlers. When a token has a refresh token and expires within `rotate_minutes`, it is refreshed
    with `rotator` and saved before use (one refresh at a time per team in this process). Keeps
    each team's bot for BOT_CACHE_SECONDS (`clock` is monotonic seconds, injected for tests).
    """

    def __init__(
        self,
        base: AsyncWebClient,
        installations: AsyncInstallationStore | None = None,
        rotator: AsyncTokenRotator | None = None,
        rotate_minutes: int = 120,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = base
        self.installations = installations
        self.rotator = rotator
        self.rotate_minutes = rotate_minutes
        self.clock = clock
        self._bots: dict[str, tuple[Bot, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def multi_workspace(self) -> bool:
        return self.installations is not None

    async def for_team(self, team_id: str | None) -> AsyncWebClient:
        """The client for `team_id`'s calls; NotInstalled if that team has no bot token."""
        if self.installations is None:
            return self.base
        if not team_id:
            raise NotInstalled(team_id)
        bot = await self._bot(self.installations, team_id)
        return AsyncWebClient(
            token=bot.bot_token,
            base_url=self.base.base_url,
            timeout=self.base.timeout,
            session=self.base.session,
            retry_handlers=self.base.retry_handlers,
            logger=self.base.logger,
        )

    def forget(self, team_id: str) -> None:
        """Drop what is remembered of a team (its tokens were deleted)."""
        self._bots.pop(team_id, None)

    async def _bot(self, installations: AsyncInstallationStore, team_id: str) -> Bot:
        cached = self._bots.get(team_id)
        if cached is not None and cached[1] > self.clock() and not self._expiring(cached[0]):
            return cached[0]
        async with self._locks.setdefault(team_id, asyncio.Lock()):
            bot = await installations.async_find_bot(enterprise_id=None, team_id=team_id)
            if bot is None or not bot.bot_token:
                self.forget(team_id)
                raise NotInstalled(team_id)
            if self._expiring(bot):
                bot = await self._refresh(installations, team_id, bot)
            self._bots[team_id] = (bot, self.clock() + BOT_CACHE_SECONDS)
            return bot

    def _expiring(self, bot: Bot) -> bool:
        expires = bot.bot_token_expires_at
        return (
            bool(bot.bot_refresh_token)
            and expires is not None
            and expires <= time.time() + (self.rotate_minutes * 60)
        )

    async def _refresh(self, installations: AsyncInstallationStore, team_id: str, bot: Bot) -> Bot:
        """Exchange the refresh token for a new bot token and save it (token rotation)."""
        if self.rotator is None:
            raise NotInstalled(team_id, "token_rotation_not_configured")
        try:
            refreshed = await self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self.rotate_minutes
            )
        except SlackTokenRotationError as exc:
            # Another replica may have refreshed it a moment ago, spending the refresh token we read.
            latest = await installations.async_find_bot(enterprise_id=None, team_id=team_id)
            if latest is not None and latest.bot_token and latest.bot_token != bot.bot_token:
                log.info("the bot token of team %s was refreshed by another process", team_id)
                return latest
            code = str(exc.api_error.response.get("error") or "unknown_error")
            log.warning("refreshing the bot token of team %s failed: %s", team_id, code)
            raise NotInstalled(team_id, code) from None
        if refreshed is None:
            return bot
        await installations.async_save_bot(refreshed)
        log.info("refreshed the bot token of team %s", team_id)
        return refreshed
