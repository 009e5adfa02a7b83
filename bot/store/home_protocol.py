"""The store operations behind a person's home view (Slack's App Home): their channels, the
workspace's subscriptions, their recent mock interviews."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from bot.records import MockSession, Subscription


class HomeStore(Protocol):
    async def workspace_subscriptions(
        self, platform: str, workspace_id: str | None, channel_ids: Collection[str] | None = None
    ) -> list[Subscription]:
        """Return the subscriptions of a workspace (paused ones too), by channel id: all of them, or
        those of `channel_ids`."""
        ...

    async def channels_taken_part(self, user_key: str, platform: str, workspace_id: str | None) -> set[str]:
        """Return the ids of the workspace's channels where the person replied in a question's
        thread or rated a question under its reveal (any time, subscribed now or not)."""
        ...

    async def recent_mocks(self, user_key: str, limit: int) -> list[MockSession]:
        """Return the person's latest mock interviews (ended or not), newest first."""
        ...
