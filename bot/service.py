"""The practice service: the core's front door for adapters and the scheduler (commands, daily cycle)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot import commands as C
from bot.content.bank import Filters, QuestionBank
from bot.content.rubric import Track
from bot.content.taxonomy import TOPICS, Difficulty
from bot.feedback.model import Feedback, FeedbackEngine
from bot.feedback.offline import OfflineEngine
from bot.messages import (
    AnswerCard,
    CardKind,
    Notice,
    NoticeKind,
    Response,
    ScheduleCard,
    UpcomingSlot,
    answer_card,
    question_card,
)
from bot.ops.metrics import Metrics
from bot.practice.answers import answer_form, assess, feedback_card, tidy_answer
from bot.practice.flows import Practice, user_key
from bot.practice.home import Home, HomeSummary
from bot.practice.mock import MockInterviews, is_mock_context
from bot.practice.yourdata import YourData
from bot.records import PostRecord, Subscription, SubscriptionOptions
from bot.schedule.clock import Clock
from bot.schedule.cycle import CycleContext, ScheduleListener, ServiceConfig, new_owner_id
from bot.schedule.daily import DailyCycle
from bot.schedule.rules import (
    DEFAULT_DAYS,
    RevealRule,
    Schedule,
    Slot,
    format_days,
    next_slots,
    skipped_days,
)
from bot.schedule.selection import NoQuestionMatches, Rotation
from bot.schedule.skip_days import SkipDays
from bot.seam import ChatAdapter, Destination
from bot.signin import LINK_LIFETIME, SignInLinks
from bot.store import Store
from bot.text import shown

log = logging.getLogger(__name__)
SKIPS_SHOWN = timedelta(days=60)  # how far ahead the settings list skipped days

# Re-exported: the service is where callers get the configuration and listener types.
__all__ = ["Invocation", "PracticeService", "ScheduleListener", "ServiceConfig", "new_owner_id"]


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who ran a command, where; `is_admin` is decided by the adapter from platform roles."""

    destination: Destination
    user_id: str
    is_admin: bool = False

    @property
    def user_key(self) -> str:
        return user_key(self.destination, self.user_id)

    @property
    def rotation_scope(self) -> str:
        return f"user:{self.user_key}"


class PracticeService:
    """Holds no state of its own beyond its collaborators; all durable state is in the store."""

    def __init__(
        self,
        bank: QuestionBank,
        store: Store,
        clock: Clock,
        adapters: Mapping[str, ChatAdapter],
        config: ServiceConfig,
        rotation: Rotation | None = None,
        owner: str | None = None,
        metrics: Metrics | None = None,
        feedback: FeedbackEngine | None = None,
        signin: SignInLinks | None = None,
    ) -> None:
        self.bank = bank
        self.store = store
        self.clock = clock
        self.adapters = dict(adapters)
        self.config = config
        self.rotation = rotation or Rotation(bank, store)
        self.owner = owner or new_owner_id()
        self.listeners: list[ScheduleListener] = []
        self.metrics = metrics or Metrics()
        self.practice = Practice(bank, store, clock)
        self.feedback = feedback or OfflineEngine()
        self.signin = signin  # None: the web dashboard is off
        self.mock = MockInterviews(bank, self.practice, clock, self.feedback)
        self.yourdata = YourData(bank, store, clock)
        self.homes = Home(bank, store, clock, signin.base_url if signin is not None else None)
        self.daily = DailyCycle(
            CycleContext(
                bank,
                store,
                clock,
                self.adapters,
                config,
                self.rotation,
                self.owner,
                self.listeners,
                self.metrics,
                self.practice,
            )
        )

    def register_adapter(self, adapter: ChatAdapter) -> None:
        """Add a platform adapter (adapters are built after the service they hold)."""
        self.adapters[adapter.platform] = adapter

    # Commands -----------------------------------------------------------------------------------

    async def handle_command(self, invocation: Invocation, text: str) -> list[Response]:
        """Parse and run one `/mlquestion` command; user errors come back as replies, not raises."""
        platform = invocation.destination.platform
        started = time.perf_counter()
        try:
            command = C.parse_command(text)
        except C.CommandError as exc:
            self.metrics.commands.labels(platform, "invalid").inc()
            return [_error(str(exc))]
        name = type(command).__name__.lower()
        self.metrics.commands.labels(platform, name).inc()
        try:
            return await self._run(invocation, command)
        finally:
            self.metrics.command_seconds.labels(platform).observe(time.perf_counter() - started)
            log.info(
                "command: destination=%s user=%s command=%s admin=%s",
                invocation.destination.key,
                invocation.user_id,
                name,
                invocation.is_admin,
            )

    async def _run(self, invocation: Invocation, command: C.Command) -> list[Response]:
        if isinstance(command, C.ADMIN_COMMANDS) and not invocation.is_admin:
            return [
                _error(
                    "Only workspace or server admins (and configured users) can change this "
                    "channel's subscription. Nothing was changed."
                )
            ]
        if isinstance(command, C.Ask):
            return [await self.ask(invocation, command.filters)]
        if isinstance(command, C.Help):
            return [Response(Notice(C.USAGE))]
        if isinstance(command, C.ListTopics):
            return [Response(Notice(self._topics_text()))]
        if isinstance(command, C.Subscribe):
            return [await self.subscribe(invocation.destination, command)]
        if isinstance(command, C.ShowSettings):
            return [await self.settings(invocation.destination)]
        if isinstance(command, C.Review):
            return [await self.practice.review(invocation.destination, invocation.user_id)]
        if isinstance(command, C.Stats):
            return [await self.practice.stats(invocation.destination, invocation.user_id)]
        if isinstance(command, C.Leaderboard):
            return [await self.practice.leaderboard(invocation.destination, command.period)]
        if isinstance(command, C.LeaderboardOptOut):
            return [
                await self.practice.set_optout(invocation.destination, invocation.user_id, command.opted_out)
            ]
        if isinstance(command, C.Suggest):
            return [self.practice.suggest_form()]
        if isinstance(command, C.Mock):
            return await self.mock.start(
                invocation.destination, invocation.user_id, command.track, command.count
            )
        if isinstance(command, C.MockStop):
            return [await self.mock.stop(invocation.destination, invocation.user_id)]
        if isinstance(command, C.Link):
            return [await self.practice.link(invocation.destination, invocation.user_id, command.code)]
        if isinstance(command, C.Unlink):
            return [await self.practice.unlink(invocation.destination, invocation.user_id)]
        if isinstance(command, C.Dashboard):
            return [self.dashboard(invocation)]
        if isinstance(command, C.Export):
            return [await self.yourdata.export(invocation.destination, invocation.user_id)]
        if isinstance(command, C.ForgetMe):
            return [self.yourdata.forget_prompt()]
        return [await self._lifecycle(invocation.destination, command)]

    async def ask(self, invocation: Invocation, filters: Filters) -> Response:
        """Draw the caller's next on-demand question."""
        try:
            # Where one process owns the user, the card goes out before its pick is written: a
            # crash in between can only offer this private question again.
            adapter = self.adapters.get(invocation.destination.platform)
            selection = await self.rotation.next(
                invocation.rotation_scope,
                filters,
                self.clock.now(),
                record_later=bool(adapter and adapter.sole_handler),
            )
        except NoQuestionMatches as exc:
            return _error(str(exc))
        check = self.practice.prompt(selection.question.id, "ask").context
        return Response(question_card(selection.question, CardKind.ON_DEMAND, check=check))

    async def share(self, invocation: Invocation, question_id: str, click_id: str) -> Response:
        """Post an on-demand question to the caller's channel ("Post to channel"), once per click.

        `click_id` identifies the button press on the platform (a retried delivery carries the same).
        """
        question = self.bank.get(question_id)
        if question is None:
            gone = shown(question_id)
            return _error(f"The question `{gone}` is no longer in the bank; ask for another one.")
        self.metrics.commands.labels(invocation.destination.platform, "share").inc()
        key = f"{invocation.destination.key}:{invocation.user_id}:{click_id}"
        delay = self.config.share_reveal_after
        outcome, _ = await self.daily.share(invocation.destination, question, invocation.user_id, key, delay)
        if outcome == "posted":
            when = RevealRule(after=delay).describe()
            return Response(Notice(f"Posted to the channel; the answer is revealed in its thread {when}."))
        if outcome == "already":
            return Response(Notice("That question is already posted to the channel."))
        if outcome.startswith("unavailable:"):
            code = outcome.split(":", 1)[1]
            return _error(
                f"I can't post in this channel (the platform said `{code}`). "
                "Invite me to the channel first, then try again."
            )
        return _error("Posting to the channel failed; nothing was posted. Please try again in a minute.")

    def dashboard(self, invocation: Invocation) -> Response:
        """A private one-time link to the web dashboard, bound to the caller here (never logged)."""
        if self.signin is None:
            return _error(
                "The web dashboard is not switched on here: an operator sets `MLQ_WEB_PORT` "
                "(and `MLQ_WEB_BASE_URL`) to serve it."
            )
        link = self.signin.issue(invocation.destination, invocation.user_id, invocation.is_admin)
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        return Response(
            Notice(
                f"Your dashboard: {link}\n"
                f"The link signs you in once, within {minutes} minutes, and only as you: don't share it. "
                "Sign out there when you are done."
            )
        )

    async def forget(self, invocation: Invocation) -> Response:
        """`forget-me` was confirmed: delete everything kept about the confirming person."""
        self.metrics.commands.labels(invocation.destination.platform, "forget").inc()
        response = await self.yourdata.forget(invocation.destination, invocation.user_id)
        log.info("forgotten: destination=%s user=%s", invocation.destination.key, invocation.user_id)
        return response

    async def home(self, invocation: Invocation) -> HomeSummary:
        """The caller's home (Slack's App Home): streaks, reviews, mastery, mock interviews, and
        every subscription of the workspace when the adapter found them an admin."""
        self.metrics.commands.labels(invocation.destination.platform, "home").inc()
        return await self.homes.summary(invocation.destination, invocation.user_id, invocation.is_admin)

    def answer(self, question_id: str, review: bool = False) -> AnswerCard | None:
        """Return the model answer of a question (for "Show answer" buttons), with rating buttons
        (`review`: the question came from `/mlquestion review`)."""
        question = self.bank.get(question_id)
        if question is None:
            return None
        return answer_card(question, rating=self.practice.prompt(question.id, "review" if review else "ask"))

    # Practice -------------------------------------------------------------------------------------

    async def rate(self, invocation: Invocation, question_id: str, context: str, choice: str) -> Response:
        """A rating button was clicked: record it for the clicking user only (private reply). In a
        mock interview the reply is the next question (or the summary), for their direct messages."""
        self.metrics.commands.labels(invocation.destination.platform, "rate").inc()
        destination, user_id = invocation.destination, invocation.user_id
        if is_mock_context(context):
            response = await self.mock.rate(destination, user_id, question_id, context, choice)
        else:
            response = await self.practice.rate(destination, user_id, question_id, context, choice)
        # The three values come from a click's payload (or a typed `/rate`): quoted and clipped.
        log.info(
            "rating: destination=%s user=%s question=%.60r context=%.40r rating=%.20r",
            invocation.destination.key,
            invocation.user_id,
            question_id,
            context,
            choice,
        )
        return response

    async def answer_form(self, invocation: Invocation, question_id: str, context: str) -> Response:
        """A "Check my answer" (or mock "Answer") button was clicked: the form to open, or why not."""
        question = self.bank.get(question_id)
        if question is None:
            return _error(f"The question `{shown(question_id)}` is no longer in the bank.")
        if is_mock_context(context):
            problem = await self.mock.form_for(invocation.destination, invocation.user_id, context)
        else:
            problem = (await self.practice.check_context(invocation.destination, question_id, context))[1]
        if problem is not None:
            return _error(f"{problem}.")
        if question.rubric is None:
            return _error(
                f"“{question.title}” has no answer rubric yet, so I can't check answers to it. "
                "Its model answer is under the question once it is revealed."
            )
        return Response(answer_form(question, context))

    async def check_answer(
        self, invocation: Invocation, question_id: str, context: str, answer: str
    ) -> Response:
        """An answer form was submitted: private feedback with the suggested rating pre-chosen.

        The answer goes to the feedback engine and nowhere else: it is not stored and not logged.
        """
        platform = invocation.destination.platform
        self.metrics.commands.labels(platform, "check").inc()
        if is_mock_context(context):
            response = await self.mock.check(
                invocation.destination, invocation.user_id, question_id, context, answer
            )
        else:
            response = await self._check(invocation, question_id, context, answer)
        log.info(
            "answer checked: destination=%s user=%s question=%.60r context=%.40r reply=%s",
            invocation.destination.key,
            invocation.user_id,
            question_id,
            context,
            type(response.message).__name__,
        )
        return response

    async def _check(self, invocation: Invocation, question_id: str, context: str, answer: str) -> Response:
        question = self.bank.get(question_id)
        if question is None:
            return _error(
                f"The question `{shown(question_id)}` is no longer in the bank; nothing was checked."
            )
        problem = (await self.practice.check_context(invocation.destination, question_id, context))[1]
        if problem is not None:
            return _error(f"{problem}; nothing was checked.")
        text, problem = tidy_answer(answer)
        if problem is not None:
            return _error(problem)
        result = await assess(self.feedback, question, text)
        if not isinstance(result, Feedback):
            return result
        return Response(feedback_card(question, result, context))

    async def record_reply(self, destination: Destination, root_id: str, user_id: str) -> None:
        """Someone replied in a thread (the adapter passes its channel and root); the text is not kept."""
        await self.practice.record_reply(destination, root_id, user_id)

    async def suggest(
        self,
        invocation: Invocation,
        question: str,
        answer: str,
        topic: str | None = None,
        difficulty: str | None = None,
    ) -> Response:
        """A suggestion form was submitted."""
        self.metrics.commands.labels(invocation.destination.platform, "suggest").inc()
        return await self.practice.suggest(
            invocation.destination, invocation.user_id, question, answer, topic, difficulty
        )

    async def subscribe(self, destination: Destination, change: C.Subscribe) -> Response:
        """Create or update the channel's subscription; unspecified parts keep their values."""
        current = await self.store.get_subscription(destination)
        base = (
            current.schedule
            if current
            else Schedule(self.config.default_post_time, self.config.default_zone, DEFAULT_DAYS, RevealRule())
        )
        skip = SkipDays(
            base.skip.country if change.holidays is None else (change.holidays or None),
            base.skip.dates if change.skip_dates is None else change.skip_dates,
        )
        schedule = Schedule(
            post_time=change.post_time or base.post_time,
            zone=change.zone or base.zone,
            days=change.days or base.days,
            reveal=change.reveal or base.reveal,
            skip=skip,
        )
        filters = (
            change.filters if change.filters is not None else (current.filters if current else Filters())
        )
        if not self.bank.matching(filters):
            return _error(str(NoQuestionMatches(filters)) + " Nothing was changed.")
        old = current.options if current else SubscriptionOptions()
        options = SubscriptionOptions(
            old.mention_participants if change.mentions is None else change.mentions,
            old.weekly_summary if change.weekly_summary is None else change.weekly_summary,
        )
        subscription = await self.store.save_subscription(
            destination, schedule, filters, self.clock.now(), options
        )
        await self._changed(subscription.id)
        heading = "Subscription updated" if current else "Subscribed"
        return Response(self._schedule_card(subscription, heading), private=False)

    async def settings(self, destination: Destination) -> Response:
        subscription = await self.store.get_subscription(destination)
        if subscription is None:
            return Response(
                Notice(
                    "This channel has no daily question yet. An admin can start one with "
                    "`/mlquestion subscribe 09:00 Europe/London` (see `/mlquestion help`)."
                )
            )
        return Response(self._schedule_card(subscription, "Daily question settings"))

    async def _lifecycle(
        self, destination: Destination, command: C.Unsubscribe | C.Pause | C.Resume
    ) -> Response:
        subscription = await self.store.get_subscription(destination)
        if subscription is None:
            return _error("This channel is not subscribed; nothing to change.")
        now = self.clock.now()
        if isinstance(command, C.Unsubscribe):
            await self.store.delete_subscription(subscription.id)
            text = "Unsubscribed: no more daily questions here. Questions already posted still reveal."
        elif isinstance(command, C.Pause):
            await self.store.set_paused(subscription.id, True, "paused by an admin", now)
            text = "Paused: no daily questions until `/mlquestion resume`."
        else:
            await self.store.set_paused(subscription.id, False, None, now)
            text = "Resumed: the daily question is back on."
        await self._changed(subscription.id)
        return Response(Notice(text), private=False)

    def _schedule_card(self, subscription: Subscription, heading: str) -> ScheduleCard:
        schedule = subscription.schedule
        now = self.clock.now()
        upcoming = next_slots(schedule, now, 3)
        skipped = skipped_days(schedule, now, now + SKIPS_SHOWN)
        options = subscription.options
        return ScheduleCard(
            heading=heading,
            post_time=schedule.post_time.strftime("%H:%M"),
            zone=schedule.zone.key,
            days=format_days(schedule.days),
            reveal=schedule.reveal.describe(),
            filters=subscription.filters.describe(),
            paused=subscription.paused,
            paused_reason=subscription.paused_reason,
            upcoming=tuple(UpcomingSlot(s.post_at, s.reveal_at) for s in upcoming),
            skips=schedule.skip.describe(),
            skipped_soon=tuple((day.isoformat(), reason) for day, reason in skipped),
            options=(
                f"reveal {'mentions' if options.mention_participants else 'names without mentioning'} "
                "who answered; weekly summary "
                f"{'on the first day of the week' if options.weekly_summary else 'off'}"
            ),
        )

    def _topics_text(self) -> str:
        stats = self.bank.stats()
        lines = ["Topics (questions in the bank):"]
        lines += [f"• `{t.slug}` — {t.label} ({stats.by_topic.get(t.slug, 0)})" for t in TOPICS]
        lines.append("Difficulties: " + ", ".join(f"`{d.value}`" for d in Difficulty))
        by_track = stats.by_track
        lines.append(
            "Tracks (`/mlquestion track NAME`): "
            + ", ".join(f"`{t.value}` ({by_track.get(t.value, 0)})" for t in Track)
        )
        return "\n".join(lines)

    async def _changed(self, subscription_id: int) -> None:
        for listener in self.listeners:
            await listener.subscription_changed(subscription_id)

    # The daily cycle ------------------------------------------------------------------------------

    async def post_slot(self, subscription: Subscription, slot: Slot) -> str:
        """Post one slot's question at most once (see DailyCycle)."""
        return await self.daily.post_slot(subscription, slot)

    async def reveal(self, post: PostRecord) -> str:
        """Reveal a posted question's answer at most once (see DailyCycle)."""
        return await self.daily.reveal(post)

    def begin_shutdown(self) -> None:
        """Stop starting daily sends (the ones in flight finish); called on SIGTERM or Ctrl-C."""
        self.daily.stopping = True

    async def run_due(self) -> dict[str, int]:
        """Post and reveal whatever is due (see DailyCycle)."""
        return await self.daily.run_due()


def _error(text: str) -> Response:
    return Response(Notice(text, NoticeKind.ERROR))
