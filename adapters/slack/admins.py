"""Who administers channels on Slack: the one check behind admin commands and the App Home's admin
section, so both always agree."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class SlackAdmins:
    """Workspace admins and owners (from users.info), and users named in MLQ_ADMIN_USER_IDS.

    Asks Slack each time (roles change, and a cached "admin" would outlive a demotion); keeps no state.
    """

    def __init__(self, client: AsyncWebClient, admin_user_ids: frozenset[str]) -> None:
        self.client = client
        self.admin_user_ids = admin_user_ids

    async def is_admin(self, user_id: str) -> bool:
        if user_id in self.admin_user_ids:
            return True
        try:
            info = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for user=%s: %s", user_id, exc.response.get("error"))
            return False
        user = info.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
