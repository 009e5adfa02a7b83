"""Slack's side of the conversation: `/mlquestion`, the "Post to channel" button, and the channel
events after which posting there can only fail.

`SlackCommands` registers its Bolt listeners on the adapter's app (the same listeners serve HTTP mode
and Socket Mode); the text after `/mlquestion` goes to the core's grammar as typed.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from adapters.slack import render as R
from adapters.slack.admins import SlackAdmins
from adapters.slack.answering import SlackAnswering
from adapters.slack.components import SHARE_ACTION
from adapters.slack.mrkdwn import clean
from adapters.slack.practice import SlackPractice
from adapters.slack.workspaces import SlackClients
from adapters.slack.yourdata import SlackYourData, forget_message
from bot import commands as C
from bot.messages import DataExport, ForgetConfirm, Notice, NoticeKind, SuggestForm
from bot.schedule.cycle import PLATFORM_PAUSE_PREFIX
from bot.seam import Destination
from bot.service import Invocation, PracticeService

log = logging.getLogger(__name__)

PLATFORM = "slack"
# Channel events after which posting there can only fail.
GONE_EVENTS = (
    "channel_archive",
    "group_archive",
    "channel_deleted",
    "group_deleted",
    "channel_left",
    "group_left",
)
INVITE_HINT = (
    "I'm not a member of this channel, so I can't post its daily question. "
    "Invite me first with `/invite @mlquestion`, then run the command again. Nothing was changed."
)


class SlackCommands:
    """The command, share and channel-event listeners of one Slack adapter.

    Uses the adapter's service, client, practice (which renders and opens the suggestion form),
    answering (which sends mock interviews to direct messages), admins (who may change a channel's
    subscription; the App Home asks the same) and yourdata (which delivers exports). Keeps no state.
    """

    def __init__(
        self,
        service: PracticeService,
        clients: SlackClients,
        practice: SlackPractice,
        answering: SlackAnswering,
        admins: SlackAdmins,
        yourdata: SlackYourData,
    ) -> None:
        self.service = service
        self.clients = clients
        self.practice = practice
        self.answering = answering
        self.admins = admins
        self.yourdata = yourdata

    def register(self, app: AsyncApp) -> None:
        app.command("/mlquestion")(self._on_command)
        app.action(SHARE_ACTION)(self._on_share)
        for event in GONE_EVENTS:
            app.event(event)(self._on_channel_gone)

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        # Acknowledge first: Slack shows an error if the command isn't acked within 3 seconds.
        await ack()
        # Control characters stop here: they would reach replies, the store and the moderators' terminal.
        text = clean(str(body.get("text") or ""))
        destination = Destination(PLATFORM, str(body["channel_id"]), str(body.get("team_id") or ""))
        user = str(body["user_id"])
        is_admin = False
        try:
            command: C.Command | None = C.parse_command(text)
        except C.CommandError:
            command = None  # the service replies with the parse error
        # What was asked, never the words typed: the log keeps no text people send us.
        kind = type(command).__name__ if command is not None else "unparsed"
        log.info("command: destination=%s user=%s command=%s", destination.key, user, kind)
        if isinstance(command, C.ADMIN_COMMANDS):
            is_admin = await self.admins.is_admin(user, destination.workspace_id)
            if (
                is_admin
                and isinstance(command, C.Subscribe | C.Resume)
                and not await self._is_member(destination)
            ):
                await respond(
                    response_type="ephemeral",
                    **R.notice_message(Notice(INVITE_HINT, NoticeKind.ERROR)).payload(),
                )
                return
        responses = await self.service.handle_command(Invocation(destination, user, is_admin), text)
        for response in responses:
            if response.direct:
                continue  # a mock interview: sent together below, to the person's direct messages
            if isinstance(response.message, SuggestForm):
                # A modal, opened with the command's trigger_id (valid for 3 seconds).
                refused = await self.practice.open_suggest_form(body, response.message)
                if refused is not None:
                    await respond(response_type="ephemeral", **R.notice_message(refused).payload())
                continue
            if isinstance(response.message, DataExport):
                await self.yourdata.send_export(user, destination.workspace_id, response.message, respond)
                continue
            if isinstance(response.message, ForgetConfirm):
                await respond(response_type="ephemeral", **forget_message(response.message).payload())
                continue
            kind = "ephemeral" if response.private else "in_channel"
            for message in await self.practice.render(response.message, destination.workspace_id):
                await respond(response_type=kind, **message.payload())
        direct = [response for response in responses if response.direct]
        if direct:
            await self.answering.send_direct(destination.workspace_id, user, direct, respond)

    async def _on_share(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        destination = Destination(
            PLATFORM, str(body["channel"]["id"]), str(body.get("team", {}).get("id") or "")
        )
        # The ephemeral card's ts names the click's message: a second click on it posts nothing.
        container = body.get("container") or {}
        click_id = str(container.get("message_ts") or body.get("trigger_id"))
        invocation = Invocation(destination, str(body["user"]["id"]))
        response = await self.service.share(invocation, _action_value(body), click_id)
        for message in R.render(response.message):
            await respond(response_type="ephemeral", replace_original=False, **message.payload())

    async def _on_channel_gone(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        channel = event.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else channel
        destination = Destination(PLATFORM, str(channel_id), str(body.get("team_id") or ""))
        subscription = await self.service.store.get_subscription(destination)
        if subscription is None or subscription.paused:
            return
        reason = PLATFORM_PAUSE_PREFIX + str(event.get("type"))
        await self.service.store.set_paused(subscription.id, True, reason, self.service.clock.now())
        log.warning(
            "paused subscription=%s destination=%s: slack event %s",
            subscription.id,
            destination.key,
            event.get("type"),
        )

    async def _is_member(self, destination: Destination) -> bool:
        try:
            client = await self.clients.for_team(destination.workspace_id)
            info = await client.conversations_info(channel=destination.channel_id)
        except SlackApiError as exc:
            # A private channel the bot is not in is invisible to it: channel_not_found.
            log.info("conversations.info on %s: %s", destination.key, exc.response.get("error"))
            return False
        channel = info.get("channel") or {}
        return bool(channel.get("is_member") or channel.get("is_im"))


def _action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")
