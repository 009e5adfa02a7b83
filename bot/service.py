"""The practice service: commands, daily posts and reveals, platform-neutral and clock-driven."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot import commands as C
from bot.bank import Filters, QuestionBank
from bot.clock import Clock
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
from bot.questions import Question
from bot.records import PostRecord, Subscription
from bot.schedule import (
    DEFAULT_DAYS,
    RevealRule,
    Schedule,
    Slot,
    format_days,
    latest_slot,
    next_slots,
)
from bot.seam import ChatAdapter, Destination, DestinationUnavailable
from bot.selection import NoQuestionMatches, Rotation
from bot.store import Store
from bot.taxonomy import TOPICS, Difficulty

log = logging.getLogger(__name__)
PLATFORM_PAUSE_PREFIX = "platform: "


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who ran a command, where; `is_admin` is decided by the adapter from platform roles."""

    destination: Destination
    user_id: str
    is_admin: bool = False

    @property
    def rotation_scope(self) -> str:
        return f"user:{self.destination.platform}:{self.destination.workspace_id or '-'}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    default_zone: ZoneInfo
    default_post_time: time = time(9, 0)
    post_grace: timedelta = timedelta(hours=2)
    lease: timedelta = timedelta(minutes=5)


class ScheduleListener(Protocol):
    """Told when the timing of future work changes (the scheduler implements it)."""

    async def subscription_changed(self, subscription_id: int) -> None: ...

    async def post_sent(self, post: PostRecord) -> None: ...


def new_owner_id() -> str:
    """Return an id naming this process in claims (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
    ) -> None:
        self.bank = bank
        self.store = store
        self.clock = clock
        self.adapters = dict(adapters)
        self.config = config
        self.rotation = rotation or Rotation(bank, store)
        self.owner = owner or new_owner_id()
        self.listeners: list[ScheduleListener] = []

    def register_adapter(self, adapter: ChatAdapter) -> None:
        """Add a platform adapter (adapters are built after the service they hold)."""
        self.adapters[adapter.platform] = adapter

    # Commands -----------------------------------------------------------------------------------

    async def handle_command(self, invocation: Invocation, text: str) -> list[Response]:
        """Parse and run one `/mlquestion` command; user errors come back as replies, not raises."""
        try:
            command = C.parse_command(text)
        except C.CommandError as exc:
            return [_error(str(exc))]
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
        return [await self._lifecycle(invocation.destination, command)]

    async def ask(self, invocation: Invocation, filters: Filters) -> Response:
        """Draw the caller's next on-demand question."""
        try:
            selection = await self.rotation.next(
                invocation.rotation_scope, filters, self.clock.now()
            )
        except NoQuestionMatches as exc:
            return _error(str(exc))
        return Response(question_card(selection.question, CardKind.ON_DEMAND))

    def answer(self, question_id: str) -> AnswerCard | None:
        """Return the model answer of a question (for "Show answer" buttons)."""
        question = self.bank.get(question_id)
        return answer_card(question) if question else None

    async def subscribe(self, destination: Destination, change: C.Subscribe) -> Response:
        """Create or update the channel's subscription; unspecified parts keep their values."""
        current = await self.store.get_subscription(destination)
        base = (
            current.schedule
            if current
            else Schedule(
                self.config.default_post_time, self.config.default_zone, DEFAULT_DAYS, RevealRule()
            )
        )
        schedule = Schedule(
            post_time=change.post_time or base.post_time,
            zone=change.zone or base.zone,
            days=change.days or base.days,
            reveal=change.reveal or base.reveal,
        )
        filters = (
            change.filters
            if change.filters is not None
            else (current.filters if current else Filters())
        )
        if not self.bank.matching(filters):
            return _error(str(NoQuestionMatches(filters)) + " Nothing was changed.")
        subscription = await self.store.save_subscription(
            destination, schedule, filters, self.clock.now()
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
            text = (
                "Unsubscribed: no more daily questions here. Questions already posted still reveal."
            )
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
        upcoming = next_slots(schedule, self.clock.now(), 3)
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
        )

    def _topics_text(self) -> str:
        stats = self.bank.stats()
        lines = ["Topics (questions in the bank):"]
        lines += [f"• `{t.slug}` — {t.label} ({stats.by_topic.get(t.slug, 0)})" for t in TOPICS]
        lines.append("Difficulties: " + ", ".join(f"`{d.value}`" for d in Difficulty))
        return "\n".join(lines)

    async def _changed(self, subscription_id: int) -> None:
        for listener in self.listeners:
            await listener.subscription_changed(subscription_id)

    # Daily posts --------------------------------------------------------------------------------

    async def post_slot(self, subscription: Subscription, slot: Slot) -> str:
        """Post one slot's question at most once; return what happened (for logs and tests)."""
        adapter = self.adapters.get(subscription.destination.platform)
        if adapter is None:
            return "not-mine"
        now = self.clock.now()
        if now - slot.post_at > self.config.post_grace:
            if await self.store.record_skipped(
                subscription.id,
                slot.local_date,
                slot.post_at,
                slot.reveal_at,
                f"missed by {now - slot.post_at} (grace {self.config.post_grace})",
            ):
                log.warning(
                    "skipped daily post: subscription=%s destination=%s date=%s due=%s late_by=%s",
                    subscription.id,
                    subscription.destination.key,
                    slot.local_date,
                    slot.post_at.isoformat(),
                    now - slot.post_at,
                )
            return "skipped"
        claim = await self.store.claim_post(
            subscription.id,
            slot.local_date,
            slot.post_at,
            slot.reveal_at,
            now,
            self.config.lease,
            self.owner,
        )
        if claim is None:
            return "already"
        question = self.bank.get(claim.question_id) if claim.question_id else None
        new_cycle = False
        if question is None:
            try:
                selection = await self.rotation.next(
                    subscription.rotation_scope, subscription.filters, now
                )
            except NoQuestionMatches as exc:
                await self.store.mark_post_failed(claim.post_id, str(exc))
                log.error("no question for subscription=%s: %s", subscription.id, exc)
                return "failed"
            question, new_cycle = selection.question, selection.new_cycle
            await self.store.set_post_question(claim.post_id, question.id)
        return await self._send_post(
            adapter, subscription, slot, claim.post_id, question, new_cycle
        )

    async def _send_post(
        self,
        adapter: ChatAdapter,
        subscription: Subscription,
        slot: Slot,
        post_id: int,
        question: Question,
        new_cycle: bool,
    ) -> str:
        destination = subscription.destination
        try:
            if new_cycle:
                await adapter.post_notice(
                    destination,
                    Notice(
                        "Every question for this channel's filters has been asked once: "
                        "a new cycle starts today.",
                        NoticeKind.NEW_CYCLE,
                    ),
                )
            thread = await adapter.post_question(
                destination, question_card(question, CardKind.DAILY, slot.reveal_at)
            )
        except DestinationUnavailable as exc:
            await self.store.mark_post_failed(post_id, exc.code)
            await self._pause_unavailable(subscription, exc)
            return "failed"
        except Exception as exc:
            # Marked failed, it is retried by the next reconcile while inside the grace window.
            await self.store.mark_post_failed(post_id, f"{type(exc).__name__}: {exc}")
            log.exception(
                "daily post failed: subscription=%s destination=%s date=%s",
                subscription.id,
                destination.key,
                slot.local_date,
            )
            return "failed"
        await self.store.mark_post_sent(post_id, thread, self.clock.now())
        log.info(
            "posted daily question: subscription=%s destination=%s date=%s question=%s message=%s",
            subscription.id,
            destination.key,
            slot.local_date,
            question.id,
            thread.message_id,
        )
        post = await self.store.get_post(post_id)
        if post is not None:
            for listener in self.listeners:
                await listener.post_sent(post)
        return "posted"

    async def _pause_unavailable(
        self, subscription: Subscription, exc: DestinationUnavailable
    ) -> None:
        await self.store.set_paused(
            subscription.id, True, PLATFORM_PAUSE_PREFIX + exc.code, self.clock.now()
        )
        log.error(
            "paused subscription=%s destination=%s: the platform said %s",
            subscription.id,
            subscription.destination.key,
            exc.code,
        )

    # Reveals ------------------------------------------------------------------------------------

    async def reveal(self, post: PostRecord) -> str:
        """Reveal a posted question's answer in its thread, at most once."""
        if post.thread is None or post.question_id is None:
            return "nothing"
        adapter = self.adapters.get(post.thread.destination.platform)
        if adapter is None:
            return "not-mine"
        now = self.clock.now()
        if not await self.store.claim_reveal(post.id, now, self.config.lease, self.owner):
            return "already"
        question = self.bank.get(post.question_id)
        try:
            if question is None:
                await adapter.post_notice(
                    post.thread.destination,
                    Notice(
                        f"The answer to `{post.question_id}` is no longer in the bank.",
                        NoticeKind.ERROR,
                    ),
                    thread=post.thread,
                )
            else:
                await adapter.post_answer(post.thread, answer_card(question))
        except DestinationUnavailable as exc:
            await self.store.release_reveal(post.id)
            subscription = await self.store.get_subscription_by_id(post.subscription_id)
            if subscription is not None:
                await self._pause_unavailable(subscription, exc)
            return "failed"
        except Exception:
            await self.store.release_reveal(post.id)
            log.exception("reveal failed: post=%s subscription=%s", post.id, post.subscription_id)
            return "failed"
        await self.store.mark_reveal_sent(post.id, self.clock.now())
        log.info(
            "revealed answer: post=%s subscription=%s question=%s",
            post.id,
            post.subscription_id,
            post.question_id,
        )
        if question is not None:
            revealed = replace(
                question_card(question, CardKind.DAILY, post.reveal_due_at), revealed=True
            )
            try:
                await adapter.mark_revealed(post.thread, revealed)
            except Exception:
                log.exception("could not mark post=%s as revealed", post.id)
        return "revealed"

    # Catch-up -----------------------------------------------------------------------------------

    async def run_due(self) -> dict[str, int]:
        """Post every slot that is due (or skip it if missed) and reveal every due answer.

        Run at start-up and periodically; claims make it safe in any number of processes.
        """
        now = self.clock.now()
        counts: dict[str, int] = {}
        subscriptions = [
            s
            for s in await self.store.list_subscriptions()
            if s.destination.platform in self.adapters
        ]
        done = await self.store.post_keys(now.date() - timedelta(days=9))
        for subscription in subscriptions:
            slot = latest_slot(subscription.schedule, now)
            if slot is None or (subscription.id, slot.local_date) in done:
                continue
            outcome = await self.post_slot(subscription, slot)
            counts[outcome] = counts.get(outcome, 0) + 1
        for post in await self.store.posts_awaiting_reveal():
            if post.reveal_due_at > now:
                break
            if await self._reveal_blocked(post):
                continue
            outcome = await self.reveal(post)
            counts["reveal-" + outcome] = counts.get("reveal-" + outcome, 0) + 1
        return counts

    async def _reveal_blocked(self, post: PostRecord) -> bool:
        subscription = await self.store.get_subscription_by_id(post.subscription_id)
        return bool(
            subscription
            and subscription.paused
            and (subscription.paused_reason or "").startswith(PLATFORM_PAUSE_PREFIX)
        )


def _error(text: str) -> Response:
    return Response(Notice(text, NoticeKind.ERROR))
