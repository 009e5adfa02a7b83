"""Slack's App Home: the core's HomeSummary drawn as a home tab view, published when someone opens it.

`home_view` is pure and keeps the view inside Block Kit's limits for any amount of data: each list
shows its first rows (the core orders them most useful first) and ends with "…and N more", every
section stays under 3,000 characters, and the whole view far under 100 blocks. `SlackHome` registers
the listeners: `app_home_opened` publishes the view (views.publish needs no scope), and its "Start
a review" button sends the person's most overdue question to their direct messages with the app,
where the review goes on as from `/mlquestion review`. After a rating the view is published again
for people who opened it in this process (bounded), since their figures just changed.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from adapters.slack import render as R
from adapters.slack.admins import SlackAdmins
from adapters.slack.mrkdwn import MAX_SECTION_TEXT, date_token, escape, split_text, truncate
from adapters.slack.payloads import PLATFORM
from adapters.slack.workspaces import NotInstalled, SlackClients
from bot.practice.home import ChannelHome, HomeSummary, MockRun, SubscriptionHome
from bot.practice.progress import Mastery
from bot.seam import Destination
from bot.service import Invocation, PracticeService

log = logging.getLogger(__name__)

HOME_REVIEW_ACTION = "mlq_home_review"
HOME_EVENTS = ("app_home_opened",)  # the manifest's bot event for the Home tab
# Rows shown per list; the rest are counted. With at most SECTIONS_PER_LIST sections each, the
# view stays near 30 blocks (Slack allows 100 in a home tab).
MASTERY_SHOWN = 20
CHANNELS_SHOWN = 20
SUBSCRIPTIONS_SHOWN = 60
SECTIONS_PER_LIST = 3
LABEL_CHARS = 80  # a topic or track label, or a paused reason, as shown in one line
# People whose view this process published: they get it again after a rating (bounded, oldest out).
OPENED_KEPT = 10_000
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")


def home_view(summary: HomeSummary) -> dict[str, Any]:
    """The home tab view (views.publish's `view`); slack_sdk checks Block Kit's limits on to_dict()."""
    blocks: list[Block] = [HeaderBlock(text="Your ML interview practice")]
    blocks += [_streak(summary), _reviews(summary)]
    blocks += _list(
        "Topic mastery",
        [_mastery_line(m) for m in summary.mastery[:MASTERY_SHOWN]],
        len(summary.mastery),
        "Rate your answers (*Nailed it* · *Partly* · *Missed it*) to see your topics here, weakest first.",
        "topics",
        summary.dashboard_url,
    )
    blocks += _list(
        "Your channels",
        [_channel_line(c) for c in summary.channels[:CHANNELS_SHOWN]],
        len(summary.channels),
        "Answer a daily question in its thread (or rate it) and its channel shows up here with your streak.",
        "channels",
        summary.dashboard_url,
        extra=summary.more_channels,
    )
    blocks += _list(
        "Recent mock interviews",
        [_mock_line(m) for m in summary.mocks],
        len(summary.mocks),
        "`/mlquestion mock` starts one in your direct messages with me.",
        "interviews",
        None,
    )
    if summary.subscriptions is not None:
        blocks += _list(
            "Channels' daily questions (admins)",
            [_subscription_line(s) for s in summary.subscriptions[:SUBSCRIPTIONS_SHOWN]],
            len(summary.subscriptions),
            "No channel has a daily question yet: `/mlquestion subscribe 09:00 Europe/London` in one.",
            "channels",
            summary.dashboard_url,
        )
    blocks.append(DividerBlock())
    blocks.append(_context(_footer(summary)))
    view: dict[str, Any] = View(type="home", blocks=blocks).to_dict()
    return view


def _streak(summary: HomeSummary) -> SectionBlock:
    best = summary.best_streak
    if best is None or best.longest_streak == 0:
        text = "*Streak:* none yet. Reply to a daily question in its thread (or rate it) to start one."
    else:
        text = (
            f"*Streak:* {_plural(best.current_streak, 'daily question')} in a row in "
            f"{_channel(best.destination)} (longest {best.longest_streak})."
        )
    return SectionBlock(text=MarkdownTextObject(text=text))


def _reviews(summary: HomeSummary) -> SectionBlock:
    if summary.reviews_due:
        return SectionBlock(
            text=MarkdownTextObject(
                text=f"*Reviews due:* {_plural(summary.reviews_due, 'question')} to practise again "
                "before you forget them."
            ),
            accessory=ButtonElement(
                text="Start a review", action_id=HOME_REVIEW_ACTION, value="review", style="primary"
            ),
        )
    if summary.next_review_at is not None:
        text = f"*Reviews due:* none. The next one is due {date_token(summary.next_review_at)}."
    else:
        text = "*Reviews due:* none yet. Questions you rate come back here when you are about to forget them."
    return SectionBlock(text=MarkdownTextObject(text=text))


def _list(
    title: str,
    lines: Sequence[str],
    total: int,
    empty: str,
    noun: str,
    dashboard_url: str | None,
    extra: int = 0,
) -> list[Block]:
    """A divider, a header and `lines` (the first rows of `total`, formatted) in at most
    SECTIONS_PER_LIST sections, then how many more there are (and where to see them all)."""
    kept = list(lines)
    more = total - len(kept) + extra
    if not total and not extra:
        kept = [empty]
    chunks = split_text("\n".join(kept), MAX_SECTION_TEXT)
    if len(chunks) > SECTIONS_PER_LIST:
        more += sum(chunk.count("\n") + 1 for chunk in chunks[SECTIONS_PER_LIST:])
        chunks = chunks[:SECTIONS_PER_LIST]
    blocks: list[Block] = [DividerBlock(), HeaderBlock(text=title)]
    blocks += [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks]
    if more:
        where = f" — all of them on the <{dashboard_url}|web dashboard>" if dashboard_url else ""
        blocks.append(_context(f"…and {more:,} more {noun}{where}."))
    return blocks


def _mastery_line(mastery: Mastery) -> str:
    label = escape(truncate(mastery.label, LABEL_CHARS))
    return (
        f"• *{label}*: {round(mastery.score * 100)}% — {mastery.nailed} nailed, {mastery.partly} partly, "
        f"{mastery.missed} missed ({mastery.rated} of {mastery.questions} questions rated)"
    )


def _channel_line(channel: ChannelHome) -> str:
    when = f"next question {date_token(channel.next_post_at)}" if channel.next_post_at else "paused"
    streak = f"streak {channel.current_streak} (longest {channel.longest_streak})"
    return f"• {_channel(channel.destination)} — {when} · {streak}"


def _mock_line(mock: MockRun) -> str:
    track = escape(truncate(mock.track, LABEL_CHARS)) if mock.track else "mixed topics"
    score = f", {round(mock.score * 100)}%" if mock.score is not None else ""
    started = date_token(mock.started_at, "{date_short_pretty}")
    return f"• {started} · {track} · {mock.rated} of {mock.questions} rated{score} · {mock.status}"


def _subscription_line(row: SubscriptionHome) -> str:
    if row.next_post_at is not None:
        when = f"next post {date_token(row.next_post_at)}"
    else:
        when = f"paused ({escape(truncate(row.paused_reason or 'paused', LABEL_CHARS))})"
    return f"• {_channel(row.destination)} — {escape(row.schedule)} · {when}"


def _footer(summary: HomeSummary) -> str:
    updated = date_token(summary.now, "{date_short_pretty} at {time}")
    dashboard = (
        f"<{summary.dashboard_url}|Web dashboard> (`/mlquestion dashboard` signs you in) · "
        if summary.dashboard_url
        else ""
    )
    return f"{dashboard}`/mlquestion stats` · `/mlquestion help` · updated {updated}"


def _channel(destination: Destination) -> str:
    """A channel link Slack draws with its name; an id that is not a channel id is shown as text."""
    channel_id = destination.channel_id
    return f"<#{channel_id}>" if _CHANNEL_ID.fullmatch(channel_id) else escape(channel_id)


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


class SlackHome:
    """The App Home listeners of one Slack adapter (its service, client and admin check)."""

    def __init__(self, service: PracticeService, clients: SlackClients, admins: SlackAdmins) -> None:
        self.service = service
        self.clients = clients
        self.admins = admins
        self._opened: OrderedDict[tuple[str, str], None] = OrderedDict()

    def register(self, app: AsyncApp) -> None:
        for event in HOME_EVENTS:
            app.event(event)(self._on_opened)
        app.action(HOME_REVIEW_ACTION)(self._on_review)

    async def publish(self, team: str, user: str) -> bool:
        """Build the person's summary and publish it as their home tab; False if Slack refused."""
        is_admin = await self.admins.is_admin(user, team)
        summary = await self.service.home(Invocation(_direct(team, user), user, is_admin))
        try:
            client = await self.clients.for_team(team)
            await client.views_publish(user_id=user, view=home_view(summary))
        except NotInstalled:
            log.warning("views.publish for user=%s: workspace %s is not installed", user, team)
            return False
        except SlackApiError as exc:
            code = str(exc.response.get("error") or "unknown_error")
            self.service.metrics.platform_errors.labels(PLATFORM, code).inc()
            log.warning("views.publish for user=%s failed: %s", user, code)
            return False
        log.info("home published: user=%s admin=%s channels=%d", user, is_admin, len(summary.channels))
        self._opened[(team, user)] = None
        self._opened.move_to_end((team, user))
        while len(self._opened) > OPENED_KEPT:
            self._opened.popitem(last=False)
        return True

    async def refresh(self, team: str, user: str) -> None:
        """Publish the view again after a change (a rating), if this process showed it to them."""
        if (team, user) in self._opened:
            await self.publish(team, user)

    async def _on_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        # The Messages tab sends app_home_opened too: only the Home tab needs a view.
        if event.get("tab") != "home" or not isinstance(event.get("user"), str):
            return
        await self.publish(str(body.get("team_id") or ""), event["user"])

    async def _on_review(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """ "Start a review": the most overdue question, in the person's direct messages with the app
        (a click in the home tab has no channel to answer in), as `/mlquestion review` gives it."""
        await ack()
        user = str(body["user"]["id"])
        team = str((body.get("team") or {}).get("id") or body["user"].get("team_id") or "")
        responses = await self.service.handle_command(Invocation(_direct(team, user), user), "review")
        try:
            client = await self.clients.for_team(team)
        except NotInstalled:
            log.warning("a review for user=%s: workspace %s is not installed", user, team)
            return
        for response in responses:
            for message in R.render(response.message):
                try:
                    await client.chat_postMessage(channel=user, **message.payload())
                except SlackApiError as exc:
                    code = str(exc.response.get("error") or "unknown_error")
                    self.service.metrics.platform_errors.labels(PLATFORM, code).inc()
                    log.warning("chat.postMessage to user=%s (a review) failed: %s", user, code)
                    return


def _direct(team: str, user: str) -> Destination:
    """Where the home tab's actions answer: the person's direct messages with the app (a user id,
    which chat.postMessage turns into that conversation)."""
    return Destination(PLATFORM, user, team)
