"""Your data on Slack: the export's files in the person's direct messages with the bot, and the
buttons that confirm or cancel `forget-me`.

The export goes through slack-sdk's `files_upload_v2` (files.getUploadURLExternal, the upload
itself, files.completeUploadExternal) into the conversation `conversations.open` gives for the
person: only they and the bot are in it. The command's reply, ephemeral, says where the files went.
A forget click forgets the clicking person (never the one named anywhere in the payload), and
replaces the ephemeral question with what was deleted. Keeps no state.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from adapters.slack import blocks as B
from adapters.slack import render as R
from adapters.slack.mrkdwn import mrkdwn
from adapters.slack.payloads import PLATFORM, click_destination
from adapters.slack.workspaces import NotInstalled, SlackClients
from bot.messages import DataExport, ForgetConfirm, Notice, NoticeKind
from bot.practice.yourdata import cancelled
from bot.service import Invocation, PracticeService

log = logging.getLogger(__name__)

FORGET_ACTION = "mlq_forget"
KEEP_ACTION = "mlq_forget_keep"
EXPORT_SENT = "Your data is in your direct messages with me: only you can see the files there."


def forget_message(confirm: ForgetConfirm) -> R.SlackMessage:
    """The question, then a red confirm button and a cancel button."""
    buttons = ActionsBlock(
        block_id="mlq_forget",
        elements=[
            ButtonElement(
                text=confirm.confirm_label, action_id=FORGET_ACTION, value="forget", style="danger"
            ),
            ButtonElement(text=confirm.cancel_label, action_id=KEEP_ACTION, value="keep"),
        ],
    )
    return B.message([*B.sections(mrkdwn(confirm.text), R.NOTICE_TEXT_BUDGET), buttons], confirm.text)


class SlackYourData:
    """Export delivery and the forget-me buttons (uses the adapter's service and client)."""

    def __init__(self, service: PracticeService, clients: SlackClients) -> None:
        self.service = service
        self.clients = clients

    def register(self, app: AsyncApp) -> None:
        app.action(FORGET_ACTION)(self._on_forget)
        app.action(KEEP_ACTION)(self._on_keep)

    async def send_export(
        self, user: str, team: str | None, export: DataExport, respond: AsyncRespond
    ) -> None:
        """Upload the files to the person's direct messages with the bot (with the token of their
        workspace); say so, or why not."""
        try:
            client = await self.clients.for_team(team)
            opened = await client.conversations_open(users=user)
            channel = str((opened.get("channel") or {}).get("id") or "")
            await client.files_upload_v2(
                channel=channel,
                initial_comment=export.text,
                file_uploads=[
                    {"content": file.content, "filename": file.name, "title": file.name}
                    for file in export.files
                ],
            )
        except SlackApiError as exc:
            code = str(exc.response.get("error") or "unknown_error")
            self.service.metrics.platform_errors.labels(PLATFORM, code).inc()
            log.warning("export to user=%s failed: %s", user, code)
            await _tell(respond, _export_failed(f"Slack said `{code}`"))
            return
        except NotInstalled:
            log.warning("export to user=%s failed: workspace %s is not installed", user, team)
            await _tell(respond, _export_failed("the app is not installed in this workspace"))
            return
        except SlackRequestError:
            # The upload URL refused the bytes; slack-sdk's message would echo the upload URL.
            log.warning("export to user=%s failed: the file upload was refused", user)
            await _tell(respond, _export_failed("the file upload was refused"))
            return
        await _tell(respond, Notice(EXPORT_SENT))

    async def _on_forget(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        invocation = Invocation(click_destination(body), str(body["user"]["id"]))
        response = await self.service.forget(invocation)
        await _replace(respond, response.message)

    async def _on_keep(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await _replace(respond, cancelled().message)


def _export_failed(why: str) -> Notice:
    return Notice(
        f"I couldn't send your export ({why}); nothing was shared. Try again in a minute, or ask an "
        "admin to reinstall the app if it keeps failing (it needs the `files:write` and `im:write` scopes).",
        NoticeKind.ERROR,
    )


async def _tell(respond: AsyncRespond, notice: Notice) -> None:
    await respond(response_type="ephemeral", replace_original=False, **R.notice_message(notice).payload())


async def _replace(respond: AsyncRespond, message: Any) -> None:
    """Put the outcome where the question was (the buttons go, so nothing is clicked twice)."""
    for index, rendered in enumerate(R.render(message)):
        await respond(response_type="ephemeral", replace_original=index == 0, **rendered.payload())
