"""The daily cycle: post each subscription's question once per local date, reveal it once.

Every send is preceded by a claim in the store (see the README's design section), so any number
of processes may run this at the same time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import Counter, deque
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.content.bank import QuestionBank
from bot.content.questions import Question
from bot.messages import (
    AnswerCard,
    CardKind,
    Notice,
    NoticeKind,
    RatingPrompt,
    answer_card,
    question_card,
)
from bot.ops.metrics import Metrics
from bot.practice.flows import Practice
from bot.records import PostClaim, PostRecord, Subscription
from bot.schedule.clock import Clock
from bot.schedule.rules import Slot, latest_slot
from bot.schedule.selection import NoQuestionMatches, Rotation
from bot.seam import ChatAdapter, Delivery, Destination, DestinationUnavailable, ThreadRef
from bot.store import Store
from bot.store.protocol import Draw, PostRequest, SentPost

log = logging.getLogger(__name__)
PLATFORM_PAUSE_PREFIX = "platform: "
# Daily posts are claimed in chunks of about this many rounds of concurrent sends, at most MAX_CHUNK.
CHUNK_ROUNDS = 10
MAX_CHUNK = 250


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    default_zone: ZoneInfo
    default_post_time: time = time(9, 0)
    post_grace: timedelta = timedelta(hours=2)
    lease: timedelta = timedelta(minutes=5)
    share_reveal_after: timedelta = timedelta(hours=1)
    send_concurrency: int = 10


class ScheduleListener(Protocol):
    """Told when the timing of future work changes (the scheduler implements it)."""

    async def subscription_changed(self, subscription_id: int) -> None: ...

    async def post_sent(self, post: PostRecord) -> None: ...


def new_owner_id() -> str:
    """Return an id naming this process in claims (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(slots=True)
class _Job:
    """A claimed daily post on its way out."""

    subscription: Subscription
    slot: Slot
    adapter: ChatAdapter
    claim: PostClaim
    claimed_at: datetime
    question: Question | None = None
    new_cycle: bool = False
    unmatched: NoQuestionMatches | None = None


async def _settled(task: asyncio.Task[list[str]]) -> list[str]:
    """A chunk's outcomes; its failure (e.g. the database) is logged, not fatal."""
    try:
        return await task
    except Exception:
        log.exception("catch-up item failed: sending a chunk of daily posts")
        return []


class DailyCycle:
    """Sends daily posts and reveals; keeps no state beyond its collaborators (shared with the service)."""

    def __init__(
        self,
        bank: QuestionBank,
        store: Store,
        clock: Clock,
        adapters: dict[str, ChatAdapter],
        config: ServiceConfig,
        rotation: Rotation,
        owner: str,
        listeners: list[ScheduleListener],
        metrics: Metrics,
        practice: Practice | None = None,
    ) -> None:
        self.bank = bank
        self.store = store
        self.clock = clock
        self.adapters = adapters
        self.config = config
        self.rotation = rotation
        self.owner = owner
        self.listeners = listeners
        self.metrics = metrics
        self.practice = practice
        # Set on shutdown: catch-up loops stop taking new work; sends already started finish.
        self.stopping = False
        # One catch-up pass at a time per process; a request during a pass asks for one more after it.
        self._pass = asyncio.Lock()
        self._again = False

    # Posts --------------------------------------------------------------------------------
    #
    # Due posts go out a chunk at a time: one transaction claims the chunk, one query reads the
    # rotations of its channels, one transaction records the questions drawn, and one records the
    # sends, so the database costs a few commits per chunk instead of four per post. While a chunk
    # is sending, the next one is claimed. A "sent" mark recorded at the end of its chunk leaves the
    # same window as a crash right after a send: the claim is taken over after its lease as a retry,
    # and the adapter finds the message by its delivery key instead of posting it again.

    @property
    def chunk_size(self) -> int:
        """Posts claimed together: about CHUNK_ROUNDS rounds of `send_concurrency` sends."""
        return max(1, min(MAX_CHUNK, self.config.send_concurrency * CHUNK_ROUNDS))

    async def post_slot(self, subscription: Subscription, slot: Slot) -> str:
        """Post one slot's question at most once; return what happened (for logs, metrics and tests)."""
        outcomes = await self.post_slots([(subscription, slot)])
        return outcomes[0] if outcomes else "released"

    async def post_slots(self, items: list[tuple[Subscription, Slot]]) -> list[str]:
        """Post several slots as one chunk (claimed, drawn and recorded together), each at most once;
        return the outcomes (in no particular order)."""
        jobs, outcomes = await self._claim_chunk(items)
        limit = asyncio.Semaphore(self.config.send_concurrency)
        return outcomes + await self._send_chunk(jobs, limit, stoppable=False)

    async def _post_due(
        self, due: list[tuple[Subscription, Slot]], limit: asyncio.Semaphore, counts: Counter[str]
    ) -> None:
        """Post the due slots chunk by chunk; the next chunk is claimed while the last one sends."""
        sending: deque[asyncio.Task[list[str]]] = deque()
        size = self.chunk_size
        try:
            for start in range(0, len(due), size):
                if self.stopping:
                    break
                # At most two chunks claimed ahead of their sends, so no claim waits long for its send.
                while len(sending) > 1:
                    counts.update(await _settled(sending.popleft()))
                try:
                    jobs, outcomes = await self._claim_chunk(due[start : start + size])
                except Exception:
                    log.exception("catch-up item failed: claiming a chunk of daily posts")
                    continue
                counts.update(outcomes)
                sending.append(asyncio.create_task(self._send_chunk(jobs, limit, stoppable=True)))
            while sending:
                counts.update(await _settled(sending.popleft()))
        finally:
            for task in sending:
                task.cancel()

    async def _claim_chunk(self, items: list[tuple[Subscription, Slot]]) -> tuple[list[_Job], list[str]]:
        """Claim the chunk's posts and draw their questions; return the jobs to send and the
        outcomes of the items settled without a send."""
        now = self.clock.now()
        outcomes: list[str] = []
        wanted: list[tuple[Subscription, Slot, ChatAdapter]] = []
        for subscription, slot in items:
            adapter = self.adapters.get(subscription.destination.platform)
            since = subscription.active_since
            if adapter is None:
                outcome = "not-mine"
            elif since is not None and slot.post_at < since:
                # Subscribed, changed or resumed after this slot's time: start with the next one.
                outcome = "before-subscription"
            elif now - slot.post_at > self.config.post_grace:
                await self._skip_missed(subscription, slot, now)
                outcome = "skipped"
            else:
                wanted.append((subscription, slot, adapter))
                continue
            outcomes.append(self._counted(subscription, outcome))
        if not wanted:
            return [], outcomes
        requests = [PostRequest(s.id, slot.local_date, slot.post_at, slot.reveal_at) for s, slot, _ in wanted]
        granted = await self.store.claim_posts(requests, now, self.config.lease, self.owner)
        claims = {(claim.subscription_id, claim.local_date): claim for claim in granted}
        jobs: list[_Job] = []
        for subscription, slot, adapter in wanted:
            claim = claims.get((subscription.id, slot.local_date))
            if claim is None:
                outcomes.append(self._counted(subscription, "already"))
                continue
            question = self.bank.get(claim.question_id) if claim.question_id else None
            jobs.append(_Job(subscription, slot, adapter, claim, now, question))
        drawing = [job for job in jobs if job.question is None]
        if drawing:
            selections = await self.rotation.plan(
                [(job.subscription.rotation_scope, job.subscription.filters) for job in drawing]
            )
            draws: list[Draw] = []
            for job, selection in zip(drawing, selections, strict=True):
                if isinstance(selection, NoQuestionMatches):
                    job.unmatched = selection
                    continue
                job.question, job.new_cycle = selection.question, selection.new_cycle
                scope = job.subscription.rotation_scope
                draws.append(Draw(job.claim.post_id, scope, selection.question.id, selection.cycle))
            await self.store.record_draws(draws, now)
        return jobs, outcomes

    async def _skip_missed(self, subscription: Subscription, slot: Slot, now: datetime) -> None:
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

    async def _send_chunk(self, jobs: list[_Job], limit: asyncio.Semaphore, stoppable: bool) -> list[str]:
        """Send the claimed posts, `limit` at a time; record the sends in one transaction at the end."""
        outcomes: list[str] = []
        sent: list[tuple[_Job, SentPost]] = []
        unsent: list[_Job] = []

        async def send(job: _Job) -> None:
            async with limit:
                if (stoppable and self.stopping) or self._lease_spent(job):
                    unsent.append(job)
                    return
                if job.unmatched is not None:
                    outcome = await self._no_question(job, job.unmatched)
                    outcomes.append(self._counted(job.subscription, outcome))
                    return
                thread = await self._send_post(job)
                if thread is None:
                    outcomes.append(self._counted(job.subscription, "failed"))
                else:
                    sent.append((job, SentPost(job.claim.post_id, thread, self.clock.now())))

        await self._all(send(job) for job in jobs)
        if unsent:
            # Shutting down (or too slow to send inside the lease): give the claims up, so the
            # next pass here or elsewhere claims them again as retries.
            await self.store.release_posts(
                [job.claim.post_id for job in unsent], self.owner, "not sent: claim given up"
            )
            if not self.stopping:
                log.warning("gave up %d daily post claims older than half their lease", len(unsent))
        if not sent:
            return outcomes
        records = await self.store.mark_posts_sent([mark for _, mark in sent])
        for (job, mark), post in zip(sent, records, strict=True):
            destination = job.subscription.destination
            lag = (mark.posted_at - job.slot.post_at).total_seconds()
            self.metrics.post_lag_seconds.labels(destination.platform).observe(max(lag, 0.0))
            self.metrics.scheduler_lag_seconds.set(lag)
            log.info(
                "posted daily question: subscription=%s destination=%s date=%s question=%s message=%s "
                "lag=%.1fs",
                job.subscription.id,
                destination.key,
                job.slot.local_date,
                post.question_id,
                mark.thread.message_id,
                lag,
            )
            for listener in self.listeners:
                await listener.post_sent(post)
            outcomes.append(self._counted(job.subscription, "posted"))
        return outcomes

    def _lease_spent(self, job: _Job) -> bool:
        """True if the claim is older than half its lease: another process may soon take it over."""
        return self.clock.now() - job.claimed_at > self.config.lease / 2

    def _counted(self, subscription: Subscription, outcome: str) -> str:
        self.metrics.posts.labels(subscription.destination.platform, outcome).inc()
        return outcome

    async def _no_question(self, job: _Job, exc: NoQuestionMatches) -> str:
        # Not retried: the bank changed under the filters, and only an admin can fix that.
        await self.store.mark_post_skipped(job.claim.post_id, str(exc))
        log.error("no question for subscription=%s: %s", job.subscription.id, exc)
        await self._tell(
            job.adapter,
            job.subscription,
            f"No daily question today: {exc} An admin can change the filters with `/mlquestion subscribe`.",
        )
        return "skipped"

    async def _send_post(self, job: _Job) -> ThreadRef | None:
        """Send the post (and a new cycle's notice); None if it failed (recorded, maybe paused)."""
        subscription, destination = job.subscription, job.subscription.destination
        question = job.question
        if question is None:
            raise RuntimeError(f"post={job.claim.post_id} has no question to send")
        delivery = Delivery(f"mlq-post-{job.claim.post_id}", retry=job.claim.taken_over)
        try:
            if job.new_cycle:
                await job.adapter.post_notice(
                    destination,
                    Notice(
                        "Every question for this channel's filters has been asked once: "
                        "a new cycle starts today.",
                        NoticeKind.NEW_CYCLE,
                    ),
                )
            if not delivery.retry:  # a retry may follow a summary that was sent: at most once
                await self._weekly_summary(job)
            return await job.adapter.post_question(
                destination, question_card(question, CardKind.DAILY, job.slot.reveal_at), delivery
            )
        except DestinationUnavailable as exc:
            await self.store.mark_post_failed(job.claim.post_id, exc.code)
            await self._pause_unavailable(subscription, exc)
            return None
        except Exception as exc:
            # Marked failed, it is retried by the next reconcile while inside the grace window.
            await self.store.mark_post_failed(job.claim.post_id, f"{type(exc).__name__}: {exc}")
            log.exception(
                "daily post failed: subscription=%s destination=%s date=%s",
                subscription.id,
                destination.key,
                job.slot.local_date,
            )
            return None

    async def _weekly_summary(self, job: _Job) -> None:
        """Before the first question of the subscription's week, last week's figures (if opted in)."""
        subscription = job.subscription
        if not (self.practice and subscription.options.weekly_summary):
            return
        if job.slot.local_date.weekday() != min(subscription.schedule.days):
            return
        try:
            summary = await self.practice.weekly_summary(subscription)
            if summary is not None:
                await job.adapter.post_notice(subscription.destination, summary)
        except DestinationUnavailable:
            raise
        except Exception:
            # The question matters more than its summary: log and post the question anyway.
            log.exception("weekly summary failed: subscription=%s", subscription.id)

    async def _tell(self, adapter: ChatAdapter, subscription: Subscription, text: str) -> None:
        try:
            await adapter.post_notice(subscription.destination, Notice(text, NoticeKind.ERROR))
        except Exception:
            log.exception("could not post a notice to subscription=%s", subscription.id)

    async def _pause_unavailable(self, subscription: Subscription, exc: DestinationUnavailable) -> None:
        await self.store.set_paused(subscription.id, True, PLATFORM_PAUSE_PREFIX + exc.code, self.clock.now())
        log.error(
            "paused subscription=%s destination=%s: the platform said %s",
            subscription.id,
            subscription.destination.key,
            exc.code,
        )

    # Shared posts -------------------------------------------------------------------------------

    async def share(
        self,
        destination: Destination,
        question: Question,
        user_id: str,
        share_key: str,
        reveal_after: timedelta,
    ) -> tuple[str, PostRecord | None]:
        """Post an on-demand question to a channel once per `share_key`; reveal it like a daily one.

        Returns the outcome ("posted", "already", "unavailable:<code>", "failed") and the post.
        """
        adapter = self.adapters.get(destination.platform)
        if adapter is None:
            return "failed", None
        now = self.clock.now()
        reveal_at = now + reveal_after
        post_id = await self.store.claim_shared_post(
            share_key, question.id, user_id, now, reveal_at, self.config.lease, self.owner
        )
        if post_id is None:
            return "already", None
        card = question_card(question, CardKind.SHARED, reveal_at, shared_by=user_id)
        try:
            thread = await adapter.post_question(destination, card, Delivery(f"mlq-post-{post_id}"))
        except DestinationUnavailable as exc:
            await self.store.release_shared_post(post_id)
            return f"unavailable:{exc.code}", None
        except Exception:
            await self.store.release_shared_post(post_id)
            log.exception("shared post failed: destination=%s question=%s", destination.key, question.id)
            return "failed", None
        post = await self.store.mark_post_sent(post_id, thread, self.clock.now())
        log.info(
            "shared question: destination=%s question=%s user=%s message=%s post=%s",
            destination.key,
            question.id,
            user_id,
            thread.message_id,
            post_id,
        )
        self.metrics.posts.labels(destination.platform, "shared").inc()
        for listener in self.listeners:
            await listener.post_sent(post)
        return "posted", post

    # Reveals ------------------------------------------------------------------------------------

    async def reveal(self, post: PostRecord) -> str:
        """Reveal a posted question's answer in its thread, at most once."""
        outcome = await self._reveal(post)
        platform = post.thread.destination.platform if post.thread else "unknown"
        self.metrics.reveals.labels(platform, outcome).inc()
        return outcome

    async def _reveal(self, post: PostRecord) -> str:
        if post.thread is None or post.question_id is None:
            return "nothing"
        adapter = self.adapters.get(post.thread.destination.platform)
        if adapter is None:
            return "not-mine"
        now = self.clock.now()
        claim = await self.store.claim_reveal(post.id, now, self.config.lease, self.owner)
        if claim is None:
            return "already"
        delivery = Delivery(f"mlq-reveal-{post.id}", retry=claim == "retry")
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
                answer = await self._answer_card(post, post.thread, question)
                await adapter.post_answer(post.thread, answer, delivery)
        except DestinationUnavailable as exc:
            await self.store.release_reveal(post.id)
            subscription = await self._subscription_of(post)
            if subscription is not None:
                await self._pause_unavailable(subscription, exc)
            else:
                # A shared post has no subscription to pause: give up on it rather than retry forever.
                await self.store.mark_reveal_sent(post.id, now)
                log.error("dropped the reveal of shared post=%s: the platform said %s", post.id, exc.code)
            return "failed"
        except Exception:
            await self.store.release_reveal(post.id)
            log.exception("reveal failed: post=%s subscription=%s", post.id, post.subscription_id)
            return "failed"
        # The parent is updated before the reveal is recorded: a crash in between repeats only this
        # (idempotent) edit and the answer is found by its delivery key, so nothing is lost.
        if question is not None:
            kind = CardKind.DAILY if post.subscription_id is not None else CardKind.SHARED
            card = question_card(question, kind, post.reveal_due_at, shared_by=post.shared_by)
            revealed = replace(card, revealed=True)
            try:
                await adapter.mark_revealed(post.thread, revealed)
            except Exception:
                log.exception("could not mark post=%s as revealed", post.id)
        revealed_at = self.clock.now()
        await self.store.mark_reveal_sent(post.id, revealed_at)
        lag = (revealed_at - post.reveal_due_at).total_seconds()
        self.metrics.scheduler_lag_seconds.set(lag)
        log.info(
            "revealed answer: post=%s subscription=%s destination=%s question=%s thread=%s lag=%.1fs",
            post.id,
            post.subscription_id,
            post.thread.destination.key,
            post.question_id,
            post.thread.thread_id or post.thread.message_id,
            lag,
        )
        return "revealed"

    # Catch-up -----------------------------------------------------------------------------------

    async def run_due(self) -> dict[str, int]:
        """Post every slot that is due (or skip it if missed) and reveal every due answer.

        Run at start-up, at wake-ups and periodically; claims make it safe in any number of
        processes. Within a process passes don't overlap: a call during a pass returns at once and
        makes the running pass go round once more, so bursts of wake-ups cost one extra pass.
        """
        if self._pass.locked():
            self._again = True
            return {}
        counts: Counter[str] = Counter()
        async with self._pass:
            while True:
                self._again = False
                counts.update(await self._run_due_once())
                if not self._again or self.stopping:
                    return dict(counts)

    async def _run_due_once(self) -> dict[str, int]:
        """One pass. Sends run `send_concurrency` at a time, so a fan-out to many channels is
        bounded by the platform's latency, not by one send after another."""
        now = self.clock.now()
        counts: Counter[str] = Counter()
        limit = asyncio.Semaphore(self.config.send_concurrency)
        subscriptions = [
            s for s in await self.store.list_subscriptions() if s.destination.platform in self.adapters
        ]
        done = await self.store.post_keys(now.date() - timedelta(days=9))
        due = [
            (subscription, slot)
            for subscription in subscriptions
            if (slot := latest_slot(subscription.schedule, now)) is not None
            and (subscription.id, slot.local_date) not in done
        ]

        async def reveal(post: PostRecord) -> None:
            async with limit:
                if not self.stopping and not await self._reveal_blocked(post):
                    counts["reveal-" + await self.reveal(post)] += 1

        await self._post_due(due, limit, counts)
        awaiting = [p for p in await self.store.posts_awaiting_reveal() if p.reveal_due_at <= now]
        await self._all(reveal(p) for p in awaiting)
        return dict(counts)

    async def _all(self, work: Iterable[Coroutine[Any, Any, None]]) -> None:
        """Run the work concurrently; a failure of one item (e.g. the database) is logged, not fatal."""
        for result in await asyncio.gather(*work, return_exceptions=True):
            if isinstance(result, BaseException):
                log.error("catch-up item failed", exc_info=result)

    async def _answer_card(self, post: PostRecord, thread: ThreadRef, question: Question) -> AnswerCard:
        """The reveal: the model answer, who replied before it, and rating buttons for everyone."""
        repliers = await self.store.thread_repliers(thread.reply_key, before=self.clock.now())
        subscription = await self._subscription_of(post)
        mention = subscription.options.mention_participants if subscription else True
        return answer_card(question, RatingPrompt(question.id, f"post:{post.id}"), tuple(repliers), mention)

    async def _subscription_of(self, post: PostRecord) -> Subscription | None:
        if post.subscription_id is None:
            return None
        return await self.store.get_subscription_by_id(post.subscription_id)

    async def _reveal_blocked(self, post: PostRecord) -> bool:
        subscription = await self._subscription_of(post)
        return bool(
            subscription
            and subscription.paused
            and (subscription.paused_reason or "").startswith(PLATFORM_PAUSE_PREFIX)
        )
