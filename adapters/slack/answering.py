"""Answering on Slack: "Check my answer", and mock interviews in the person's direct messages.

A click on a card's "Check my answer" (a mock interview's "Answer") opens the answer modal; its
submission goes to the core, and the feedback comes back privately where the click came from: an
ephemeral message in a channel, or a message in the person's direct messages with the bot (the app's
Messages tab, which `chat.postMessage` to a user id reaches with `chat:write` alone). Mock interview
replies (`Response.direct`) go to those direct messages; where Slack refuses, they fall back to
ephemeral messages where the person is, and say so.

The answer text goes from the submission to the core and nowhere else: it is never logged here.
`SlackAnswering` registers its Bolt listeners on the adapter's app (the same listeners serve HTTP mode
and Socket Mode) and keeps no state.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import render as R
from adapters.slack.components import (
    ANSWER_CALLBACK,
    ANSWER_FIELD,
    CHECK_ACTION,
    answer_view,
    parse_prompt_value,
)
from adapters.slack.payloads import PLATFORM, action, click_destination, input_value, view_metadata
from adapters.slack.workspaces import SlackClients
from bot.messages import AnswerForm, Message, MockSummary, Notice, NoticeKind, Response
from bot.practice.answers import tidy_answer
from bot.seam import Destination
from bot.service import Invocation, PracticeService

log = logging.getLogger(__name__)

IN_DIRECT_MESSAGES = "Your mock interview is in your direct messages with me."
SUMMARY_IN_DIRECT_MESSAGES = "The summary of your mock interview is in your direct messages with me."
FORM_ERROR_CHARS = 300  # an error under a modal field is short; ours are one sentence


def in_direct_message(body: dict[str, Any]) -> bool:
    """A click on a message the bot posted in its direct messages with the person: a `D…` channel
    and a message that is not ephemeral (in a conversation between people, our messages can only be
    ephemeral ones, and the bot cannot post there)."""
    container = body.get("container") or {}
    return click_destination(body).channel_id.startswith("D") and not container.get("is_ephemeral")


@dataclass(frozen=True, slots=True)
class PrivateReply:
    """Where a modal's answer goes: the channel (or direct messages) its button was clicked in, for
    `user` alone; `response_url` (the click's) is the fallback where the bot can't post."""

    destination: Destination
    user: str
    direct: bool
    response_url: str | None


class SlackAnswering:
    """The check button and answer modal listeners, and mock interview delivery to direct messages
    (uses the adapter's service and client; keeps no state)."""

    def __init__(self, service: PracticeService, clients: SlackClients) -> None:
        self.service = service
        self.clients = clients

    def register(self, app: AsyncApp) -> None:
        app.action(CHECK_ACTION)(self._on_check)
        app.view(ANSWER_CALLBACK)(self._on_answer_submit)

    # Check my answer --------------------------------------------------------------------------------

    async def _on_check(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The button: open the answer modal with the click's trigger_id, or say privately why not."""
        await ack()
        prompt = parse_prompt_value(str(action(body).get("value") or ""))
        if prompt is None:
            await _tell(respond, Notice("That button is not one I made; nothing to check.", NoticeKind.ERROR))
            return
        destination, user = click_destination(body), str(body["user"]["id"])
        response = await self.service.answer_form(Invocation(destination, user), *prompt)
        form = response.message
        if not isinstance(form, AnswerForm):
            await _tell(respond, form)
            return
        metadata = {
            "question_id": form.question_id,
            "context": form.context,
            "channel": destination.channel_id,
            "team": destination.workspace_id,
            "direct": in_direct_message(body),
            "response_url": body.get("response_url"),
        }
        view = answer_view(form, json.dumps(metadata, separators=(",", ":")))
        try:
            client = await self.clients.for_team(destination.workspace_id)
            await client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except SlackApiError as exc:
            code = self._failed("views.open", user, exc)
            text = f"The answer form didn't open (Slack said `{code}`). Press the button again."
            await _tell(respond, Notice(text, NoticeKind.ERROR))

    async def _on_answer_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The modal was sent. An empty or too long answer keeps it open with the problem under the
        field (nothing typed is lost); otherwise it closes at once and the feedback follows privately
        (a language model may take longer than the 3 seconds Slack waits for the acknowledgement)."""
        state = view.get("state") or {}
        values = state.get("values") if isinstance(state, dict) else None
        answer = input_value(values if isinstance(values, dict) else {}, ANSWER_FIELD) or ""
        problem = tidy_answer(answer)[1]
        if problem is not None:
            await ack(response_action="errors", errors={ANSWER_FIELD: problem[:FORM_ERROR_CHARS]})
            return
        await ack()
        metadata = view_metadata(view)
        team = str(metadata.get("team") or (body.get("team") or {}).get("id") or "")
        reply = PrivateReply(
            Destination(PLATFORM, str(metadata.get("channel") or ""), team),
            str(body["user"]["id"]),
            metadata.get("direct") is True,
            str(metadata["response_url"]) if metadata.get("response_url") else None,
        )
        question_id, context = str(metadata.get("question_id") or ""), str(metadata.get("context") or "")
        invocation = Invocation(reply.destination, reply.user)
        response = await self.service.check_answer(invocation, question_id, context, answer)
        await self.send_private(reply, R.render(response.message))

    async def send_private(self, reply: PrivateReply, messages: Sequence[R.SlackMessage]) -> None:
        """Messages for one person: posted in their direct messages with the bot, or ephemeral in the
        channel; the click's response_url carries what Slack refuses (a channel the bot isn't in)."""
        channel, team = reply.destination.channel_id, reply.destination.workspace_id
        sent = 0
        if reply.direct:
            sent, _ = await self._post_all(team, channel, messages)
        for message in messages[sent:]:
            try:
                client = await self.clients.for_team(team)
                await client.chat_postEphemeral(channel=channel, user=reply.user, **message.payload())
                continue
            except SlackApiError as exc:
                self._failed("chat.postEphemeral", reply.user, exc)
            if reply.response_url is None:
                return
            webhook = await AsyncWebhookClient(reply.response_url).send(
                response_type="ephemeral", replace_original=False, **message.payload()
            )
            if webhook.status_code != 200:
                log.warning(
                    "response_url answered %s: feedback not shown to %s", webhook.status_code, reply.user
                )

    # Replies to clicks, mock interviews --------------------------------------------------------------

    async def reply_to_click(self, body: dict[str, Any], respond: AsyncRespond, response: Response) -> None:
        """Answer a click privately: a mock interview's next step as a message in the direct messages
        the click came from; anything else (an error, or what Slack refuses there) ephemerally below
        it, where it doesn't stay in the conversation."""
        messages = R.render(response.message)
        if response.direct and in_direct_message(body) and not _is_error(response):
            where = click_destination(body)
            sent, _ = await self._post_all(where.workspace_id, where.channel_id, messages)
            messages = messages[sent:]
        for message in messages:
            await respond(response_type="ephemeral", replace_original=False, **message.payload())

    async def send_direct(
        self, team: str | None, user: str, responses: Sequence[Response], respond: AsyncRespond
    ) -> None:
        """A command's direct replies (a mock interview): to the person's direct messages with the bot,
        with a note where they typed it. An error stays where they typed it (nothing started); if
        Slack refuses the direct message, the interview continues here, ephemeral, and says so."""
        messages: list[R.SlackMessage] = []
        for response in responses:
            if _is_error(response):
                await _tell(respond, response.message)
            else:
                messages += R.render(response.message)
        if not messages:
            return
        sent, refusal = await self._post_all(team, user, messages)
        if refusal is None:
            summary = any(isinstance(r.message, MockSummary) for r in responses)
            await _tell(respond, Notice(SUMMARY_IN_DIRECT_MESSAGES if summary else IN_DIRECT_MESSAGES))
            return
        refused = Notice(
            f"I couldn't send you a direct message (Slack said `{refusal}`), so your mock "
            "interview is here instead, visible only to you."
        )
        await _tell(respond, refused)
        for rendered in messages[sent:]:
            await respond(response_type="ephemeral", **rendered.payload())

    async def _post_all(
        self, team: str | None, channel: str, messages: Sequence[R.SlackMessage]
    ) -> tuple[int, str | None]:
        """Post messages in order to a channel or direct message (a user id opens the person's direct
        messages with the bot); return how many Slack took and, if it refused one (then this stops),
        Slack's error code."""
        client = await self.clients.for_team(team)
        for sent, message in enumerate(messages):
            try:
                await client.chat_postMessage(channel=channel, **message.payload())
            except SlackApiError as exc:
                return sent, self._failed("chat.postMessage", channel, exc)
        return len(messages), None

    def _failed(self, method: str, where: str, exc: SlackApiError) -> str:
        """Count and log a refused call (its method, the user or channel, Slack's code; no text)."""
        code = str(exc.response.get("error") or "unknown_error")
        self.service.metrics.platform_errors.labels(PLATFORM, code).inc()
        log.warning("%s for %s failed: %s", method, where, code)
        return code


async def _tell(respond: AsyncRespond, notice: Message) -> None:
    """A core message shown privately below the clicked message (or the typed command)."""
    for message in R.render(notice):
        await respond(response_type="ephemeral", replace_original=False, **message.payload())


def _is_error(response: Response) -> bool:
    return isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
