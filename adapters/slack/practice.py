"""Practice that sticks, on Slack: thread replies counted, answers revealed and rated, reviews, the
suggestion modal, and people named without notifying them.

`SlackPractice` registers its Bolt listeners on the adapter's app (the same listeners serve HTTP mode
and Socket Mode) and renders core messages that name people (reveals with mentions off, leaderboards).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import render as R
from adapters.slack.answering import SlackAnswering
from adapters.slack.components import (
    RATE_ACTION,
    RATE_ACTION_PREFIX,
    REVIEW_ANSWER_ACTION,
    SHOW_ANSWER_ACTION,
    SUGGEST_CALLBACK,
    SUGGEST_FIELDS,
    parse_rating_value,
    suggest_view,
    suggestion_errors,
)
from adapters.slack.mrkdwn import clean
from adapters.slack.payloads import action, click_destination, input_value, view_metadata
from adapters.slack.workspaces import SlackClients
from bot.messages import Message, Notice, NoticeKind, Response, SuggestForm
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.text import shown

log = logging.getLogger(__name__)

PLATFORM = "slack"
# The manifest's bot events for thread replies (public and private channels); both arrive as `message`.
MESSAGE_EVENTS = ("message.channels", "message.groups")
# Message subtypes a person posts: plain (no subtype), "Also send to #channel", and with files.
# Edits, deletions, joins and bot posts (`bot_message`) are other subtypes and are not replies.
HUMAN_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
# Slack retries an event it thinks we missed; an event id handled here is not counted again.
SEEN_EVENTS = 10_000
# Display names looked up with users.info: how many are kept, how long, how many lookups at once.
NAME_CACHE_SIZE = 2_000
NAME_CACHE_SECONDS = 6 * 3600
NAME_LOOKUPS = 8


def is_thread_reply(event: dict[str, Any]) -> bool:
    """A person's message in a thread: it hangs off another message (`thread_ts` ≠ `ts`)."""
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    return bool(
        event.get("type") == "message"
        and event.get("subtype") in HUMAN_SUBTYPES
        and not event.get("bot_id")
        and all(isinstance(event.get(name), str) and event[name] for name in ("user", "channel", "thread_ts"))
        and thread_ts != ts
    )


class UserNames:
    """Display names by (team, user id) (users.info with the team's token), cached per process:
    bounded and refreshed after a while.

    A failed lookup gives the id itself and is not cached, so the next message tries again.
    """

    def __init__(
        self, clients: SlackClients, size: int = NAME_CACHE_SIZE, seconds: float = NAME_CACHE_SECONDS
    ) -> None:
        self.clients = clients
        self.size = size
        self.seconds = seconds
        self._cache: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
        self._lookups = asyncio.Semaphore(NAME_LOOKUPS)

    async def names(self, user_ids: Iterable[str], team: str | None = None) -> dict[str, str]:
        wanted = list(dict.fromkeys(user_ids))
        found = await asyncio.gather(*(self.name(user, team) for user in wanted))
        return dict(zip(wanted, found, strict=True))

    async def name(self, user_id: str, team: str | None = None) -> str:
        now = time.monotonic()
        key = (team or "", user_id)
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            self._cache.move_to_end(key)
            return cached[0]
        async with self._lookups:
            try:
                info = await (await self.clients.for_team(team)).users_info(user=user_id)
            except SlackApiError as exc:
                log.warning("users.info failed for user=%s: %s", user_id, exc.response.get("error"))
                return user_id
        user = info.get("user") or {}
        profile = user.get("profile") or {}
        name = str(
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
        self._cache[key] = (name, now + self.seconds)
        self._cache.move_to_end(key)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return name


class SlackPractice:
    """The practice listeners and renderers of one Slack adapter (its service, client and app).

    `rated(team, user)` runs after a rating is recorded (the App Home shows the new figures).
    """

    def __init__(
        self,
        service: PracticeService,
        clients: SlackClients,
        answering: SlackAnswering,
        rated: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        self.service = service
        self.clients = clients
        self.answering = answering
        self.rated = rated
        self.names = UserNames(clients)
        self._seen: OrderedDict[str, None] = OrderedDict()

    def register(self, app: AsyncApp) -> None:
        app.event("message")(self._on_message)
        app.action(SHOW_ANSWER_ACTION)(self._on_show_answer)
        app.action(REVIEW_ANSWER_ACTION)(self._on_review_answer)
        app.action(RATE_ACTION)(self._on_rate)
        app.view(SUGGEST_CALLBACK)(self._on_suggest_submit)

    async def render(self, message: Message, team: str | None) -> list[R.SlackMessage]:
        """Render a core message, looking up (in `team`) the names of people it names without notifying."""
        needed = R.names_needed(message)
        return R.render(message, await self.names.names(needed, team) if needed else None)

    # Participation ---------------------------------------------------------------------------------

    async def _on_message(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """Every message event in channels the bot is in: count people's replies in threads."""
        if not is_thread_reply(event):
            return
        parent = event.get("parent_user_id")
        if parent and context.bot_user_id and parent != context.bot_user_id:
            # A thread under someone else's message: not a question of ours, so nothing is stored.
            return
        event_id = str(body.get("event_id") or "")
        if event_id and event_id in self._seen:
            log.info("event %s seen before (a retry): not counted again", event_id)
            return
        destination = Destination(PLATFORM, str(event["channel"]), str(body.get("team_id") or ""))
        await self.service.record_reply(destination, str(event["thread_ts"]), str(event["user"]))
        if event_id:
            self._seen[event_id] = None
            while len(self._seen) > SEEN_EVENTS:
                self._seen.popitem(last=False)

    # Answers and ratings ----------------------------------------------------------------------------

    async def _on_show_answer(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await self._show_answer(body, respond, review=False)

    async def _on_review_answer(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await self._show_answer(body, respond, review=True)

    async def _show_answer(self, body: dict[str, Any], respond: AsyncRespond, review: bool) -> None:
        question_id = clean(str(action(body).get("value") or ""))
        answer = self.service.answer(question_id, review=review)
        if answer is None:
            echo = shown(question_id).replace("`", "'")
            notice = Notice(f"The question `{echo}` is no longer in the bank.", NoticeKind.ERROR)
            await _reply(respond, R.render(notice))
        else:
            await _reply(respond, await self.render(answer, click_destination(body).workspace_id))

    async def _on_rate(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """A rating button: recorded for whoever clicked it, confirmed to them alone."""
        await ack()
        clicked = action(body)
        choice = str(clicked.get("action_id") or "").removeprefix(RATE_ACTION_PREFIX)
        prompt = parse_rating_value(str(clicked.get("value") or ""))
        if prompt is None:
            notice = Notice("That rating button is not one I made; nothing was recorded.", NoticeKind.ERROR)
            await _reply(respond, R.render(notice))
            return
        invocation = Invocation(click_destination(body), str(body["user"]["id"]))
        response = await self.service.rate(invocation, prompt.question_id, prompt.context, choice)
        # In a mock interview the reply is the next question (or the summary), in the direct messages.
        await self.answering.reply_to_click(body, respond, response)
        recorded = not (isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR)
        if recorded and self.rated is not None:
            await self.rated(invocation.destination.workspace_id or "", invocation.user_id)

    # Suggestions ------------------------------------------------------------------------------------

    async def open_suggest_form(self, command: dict[str, Any], form: SuggestForm) -> Notice | None:
        """Open the suggestion modal for a slash command; a notice to reply with if Slack refused."""
        metadata = json.dumps(
            {
                "channel": command.get("channel_id"),
                "team": command.get("team_id"),
                "response_url": command.get("response_url"),
            }
        )
        try:
            client = await self.clients.for_team(str(command.get("team_id") or ""))
            await client.views_open(
                trigger_id=str(command.get("trigger_id") or ""), view=suggest_view(form, metadata)
            )
        except SlackApiError as exc:
            code = str(exc.response.get("error") or "unknown_error")
            self.service.metrics.platform_errors.labels(PLATFORM, code).inc()
            log.warning("views.open failed for user=%s: %s", command.get("user_id"), code)
            return Notice(
                f"The suggestion form didn't open (Slack said `{code}`). Run `/mlquestion suggest` again.",
                NoticeKind.ERROR,
            )
        return None

    async def _on_suggest_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The modal was sent: a bad field keeps it open with the problem under that field."""
        values = (view.get("state") or {}).get("values") or {}
        if not isinstance(values, dict):
            values = {}
        question, answer, topic, difficulty = (input_value(values, name) for name in SUGGEST_FIELDS)
        metadata = view_metadata(view)
        team = str(metadata.get("team") or (body.get("team") or {}).get("id") or "")
        destination = Destination(PLATFORM, str(metadata.get("channel") or ""), team)
        user = str(body["user"]["id"])
        response = await self.service.suggest(
            Invocation(destination, user), question or "", answer or "", topic, difficulty
        )
        message = response.message
        if isinstance(message, Notice) and message.kind is NoticeKind.ERROR:
            await ack(response_action="errors", errors=suggestion_errors(message.text))
            return
        await ack()  # closes the modal
        await self._tell(destination, user, response, metadata.get("response_url"))

    async def _tell(self, destination: Destination, user: str, response: Response, response_url: Any) -> None:
        """An ephemeral message to one person in the channel the form came from.

        chat.postEphemeral needs the bot in the channel; a command works without that, so the
        command's response_url (valid for 30 minutes) is the fallback.
        """
        for message in R.render(response.message):
            try:
                client = await self.clients.for_team(destination.workspace_id)
                await client.chat_postEphemeral(
                    channel=destination.channel_id, user=user, **message.payload()
                )
                continue
            except SlackApiError as exc:
                code = str(exc.response.get("error") or "unknown_error")
                log.info("chat.postEphemeral to %s failed (%s): using response_url", destination.key, code)
            if not response_url:
                return
            webhook = await AsyncWebhookClient(str(response_url)).send(
                response_type="ephemeral", replace_original=False, **message.payload()
            )
            if webhook.status_code != 200:
                log.warning("response_url answered %s: the thanks were not shown", webhook.status_code)


async def _reply(respond: AsyncRespond, messages: list[R.SlackMessage]) -> None:
    """Answer a click privately, below the clicked message (which stays as it was)."""
    for message in messages:
        await respond(response_type="ephemeral", replace_original=False, **message.payload())
