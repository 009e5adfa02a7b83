"""Who administers channels on Slack: the one check behind admin commands and the App Home's admin
section, so both always agree."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from adapters.slack.workspaces import NotInstalled, SlackClients

log = logging.getLogger(__name__)


class SlackAdmins:
    """Workspace admins and owners (from users.info), and users named in MLQ_ADMIN_USER_IDS.

    Asks Slack each time (roles change, and a cached "admin" would outlive a demotion); keeps no state.
    """

    def __init__(self, clients: SlackClients, admin_user_ids: frozenset[str]) -> None:
        self.clients = clients
        self.admin_user_ids = admin_user_ids

    async def is_admin(self, user_id: str, team: str | None) -> bool:
        """Asked in `team`, with that workspace's token (its users.info knows its own admins)."""
        if user_id in self.admin_user_ids:
            return True
        try:
            info = await (await self.clients.for_team(team)).users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for user=%s: %s", user_id, exc.response.get("error"))
            return False
        except NotInstalled:
            log.warning("users.info for user=%s: workspace %s is not installed", user_id, team)
            return False
        user = info.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
