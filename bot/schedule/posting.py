"""The post path of the daily cycle: claim a chunk of due posts, draw their questions, send them,
record the sends; and on-demand questions shared to a channel.

Every send is preceded by a claim in the store (see the README's design section), so any number
of processes may run this at the same time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime

from bot.content.questions import Question
from bot.messages import CardKind, Notice, NoticeKind, question_card
from bot.records import PostClaim, PostRecord, Subscription
from bot.schedule.batching import GroupCommit
from bot.schedule.cycle import CycleContext, gather_logged
from bot.schedule.lanes import Lanes
from bot.schedule.rules import Slot
from bot.schedule.selection import NoQuestionMatches
from bot.seam import ChatAdapter, Delivery, DestinationUnavailable, ThreadRef
from bot.store.protocol import Draw, PostRequest, SentPost

log = logging.getLogger(__name__)
# Daily posts are claimed in chunks of about this many rounds of concurrent sends (over every limit
# key due), at most MAX_CHUNK.
CHUNK_ROUNDS = 10
MAX_CHUNK = 250


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


class DailyPoster:
    """Sends daily and shared posts, each at most once."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        # Sends starting, and sends accepted, written in batches shared by the sends in flight.
        self._starting: GroupCommit[int, None] = GroupCommit(self._mark_starting)
        self._sent: GroupCommit[SentPost, PostRecord] = GroupCommit(self._mark_sent)

    # Posts --------------------------------------------------------------------------------
    #
    # Due posts go out a chunk at a time: one transaction claims the chunk, one query reads the
    # rotations of its channels, one transaction records the questions drawn. While a chunk is
    # sending, the next one is claimed. Each send is recorded as starting just before it goes and as
    # sent once accepted, in group commits (a write per wave of sends in flight, not per post). A
    # crash so leaves unconfirmed only the sends in flight: their claims are taken over after the
    # lease as retries that look for the message by its delivery key (one history read each, which
    # Slack allows once a minute), while claims whose send never started are simply sent.

    @property
    def chunk_size(self) -> int:
        """Posts claimed together for one limit key: CHUNK_ROUNDS rounds of `send_concurrency` sends."""
        return self.chunk_size_for(1)

    def chunk_size_for(self, keys: int) -> int:
        """Posts claimed together when `keys` limit keys are due: each lane gets its rounds."""
        return max(1, min(MAX_CHUNK, self.ctx.config.send_concurrency * CHUNK_ROUNDS * max(1, keys)))

    async def post_slots(self, items: list[tuple[Subscription, Slot]]) -> list[str]:
        """Post several slots as one chunk (claimed, drawn and recorded together), each at most once;
        return the outcomes (in no particular order)."""
        jobs, outcomes = await self._claim_chunk(items)
        lanes = Lanes(self.ctx.adapters, self.ctx.config.send_concurrency)
        return outcomes + await self._send_chunk(jobs, lanes, stoppable=False)

    async def post_due(
        self, due: list[tuple[Subscription, Slot]], lanes: Lanes, counts: Counter[str]
    ) -> None:
        """Post the due slots (in fair order over their limit keys) chunk by chunk; the next chunk
        is claimed while the last one sends."""
        sending: deque[asyncio.Task[list[str]]] = deque()
        # Retries that must first look for an earlier attempt (one history read a minute on Slack)
        # finish on their own time, outside the window of chunks, so new posts never wait for them.
        recovering: list[asyncio.Task[list[str]]] = []
        size = self.chunk_size_for(len({lanes.key(s.destination) for s, _ in due}))
        try:
            for start in range(0, len(due), size):
                if self.ctx.stopping:
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
                retries = [job for job in jobs if job.claim.attempted]
                if retries:
                    recovering.append(asyncio.create_task(self._send_chunk(retries, lanes, stoppable=True)))
                    jobs = [job for job in jobs if not job.claim.attempted]
                # A chunk other replicas took entirely has nothing to send; counted as one of the two
                # chunks in flight, it would make this replica wait for its last chunk's sends to
                # finish before claiming again, leaving its send slots idle (benchmarks/replicas.py).
                if jobs:
                    sending.append(asyncio.create_task(self._send_chunk(jobs, lanes, stoppable=True)))
            sending.extend(recovering)
            recovering.clear()
            while sending:
                counts.update(await _settled(sending.popleft()))
        finally:
            for task in [*sending, *recovering]:
                task.cancel()

    async def _claim_chunk(self, items: list[tuple[Subscription, Slot]]) -> tuple[list[_Job], list[str]]:
        """Claim the chunk's posts and draw their questions; return the jobs to send and the
        outcomes of the items settled without a send."""
        now = self.ctx.clock.now()
        outcomes: list[str] = []
        wanted: list[tuple[Subscription, Slot, ChatAdapter]] = []
        for subscription, slot in items:
            adapter = self.ctx.adapters.get(subscription.destination.platform)
            since = subscription.active_since
            if adapter is None:
                outcome = "not-mine"
            elif since is not None and slot.post_at < since:
                # Subscribed, changed or resumed after this slot's time: start with the next one.
                outcome = "before-subscription"
            elif now - slot.post_at > self.ctx.config.post_grace:
                await self._skip_missed(subscription, slot, now)
                outcome = "skipped"
            else:
                wanted.append((subscription, slot, adapter))
                continue
            outcomes.append(self._counted(subscription, outcome))
        if not wanted:
            return [], outcomes
        requests = [PostRequest(s.id, slot.local_date, slot.post_at, slot.reveal_at) for s, slot, _ in wanted]
        granted = await self.ctx.store.claim_posts(requests, now, self.ctx.config.lease, self.ctx.owner)
        claims = {(claim.subscription_id, claim.local_date): claim for claim in granted}
        jobs: list[_Job] = []
        for subscription, slot, adapter in wanted:
            claim = claims.get((subscription.id, slot.local_date))
            if claim is None:
                outcomes.append(self._counted(subscription, "already"))
                continue
            question = self.ctx.bank.get(claim.question_id) if claim.question_id else None
            jobs.append(_Job(subscription, slot, adapter, claim, now, question))
        drawing = [job for job in jobs if job.question is None]
        if drawing:
            selections = await self.ctx.rotation.plan(
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
            await self.ctx.store.record_draws(draws, now)
        return jobs, outcomes

    async def _skip_missed(self, subscription: Subscription, slot: Slot, now: datetime) -> None:
        if await self.ctx.store.record_skipped(
            subscription.id,
            slot.local_date,
            slot.post_at,
            slot.reveal_at,
            f"missed by {now - slot.post_at} (grace {self.ctx.config.post_grace})",
        ):
            log.warning(
                "skipped daily post: subscription=%s destination=%s date=%s due=%s late_by=%s",
                subscription.id,
                subscription.destination.key,
                slot.local_date,
                slot.post_at.isoformat(),
                now - slot.post_at,
            )

    async def _send_chunk(self, jobs: list[_Job], lanes: Lanes, stoppable: bool) -> list[str]:
        """Send the claimed posts, each in its limit key's lane (a retry that must first look for an
        earlier attempt in its key's recovery lane); each send is recorded as starting before it
        goes and as sent once accepted, in writes shared with the sends around it (`batching`)."""
        outcomes: list[str] = []
        unsent: list[_Job] = []

        async def send(job: _Job) -> None:
            async with lanes.slot(job.subscription.destination, recovery=job.claim.attempted):
                if (stoppable and self.ctx.stopping) or self._lease_spent(job):
                    unsent.append(job)
                    return
                if job.unmatched is not None:
                    outcome = await self._no_question(job, job.unmatched)
                    outcomes.append(self._counted(job.subscription, outcome))
                    return
                await self._starting.add(job.claim.post_id)
                if stoppable and self.ctx.stopping:  # asked to stop while the mark was written
                    unsent.append(job)
                    return
                thread = await self._send_post(job)
                if thread is None:
                    outcomes.append(self._counted(job.subscription, "failed"))
                    return
                mark = SentPost(job.claim.post_id, thread, self.ctx.clock.now())
                post = await self._sent.add(mark)
            await self._posted(job, mark, post)
            outcomes.append(self._counted(job.subscription, "posted"))

        await gather_logged(send(job) for job in jobs)
        if unsent:
            # Shutting down (or too slow to send inside the lease): give the claims up, so the
            # next pass here or elsewhere claims them again (with no lookup: no send started).
            await self.ctx.store.release_posts(
                [job.claim.post_id for job in unsent], self.ctx.owner, "not sent: claim given up"
            )
            if not self.ctx.stopping:
                log.warning("gave up %d daily post claims older than half their lease", len(unsent))
        return outcomes

    async def _mark_sent(self, marks: list[SentPost]) -> list[PostRecord]:
        return await self.ctx.store.mark_posts_sent(marks)

    async def _mark_starting(self, post_ids: list[int]) -> list[None]:
        await self.ctx.store.mark_posts_sending(post_ids, self.ctx.clock.now())
        return [None] * len(post_ids)

    async def _posted(self, job: _Job, mark: SentPost, post: PostRecord) -> None:
        destination = job.subscription.destination
        lag = (mark.posted_at - job.slot.post_at).total_seconds()
        self.ctx.metrics.post_lag_seconds.labels(destination.platform).observe(max(lag, 0.0))
        self.ctx.metrics.scheduler_lag_seconds.set(lag)
        log.info(
            "posted daily question: subscription=%s destination=%s date=%s question=%s message=%s lag=%.1fs",
            job.subscription.id,
            destination.key,
            job.slot.local_date,
            post.question_id,
            mark.thread.message_id,
            lag,
        )
        for listener in self.ctx.listeners:
            await listener.post_sent(post)

    def _lease_spent(self, job: _Job) -> bool:
        """True if the claim is older than half its lease: another process may soon take it over."""
        return self.ctx.clock.now() - job.claimed_at > self.ctx.config.lease / 2

    def _counted(self, subscription: Subscription, outcome: str) -> str:
        self.ctx.metrics.posts.labels(subscription.destination.platform, outcome).inc()
        return outcome

    async def _no_question(self, job: _Job, exc: NoQuestionMatches) -> str:
        # Not retried: the bank changed under the filters, and only an admin can fix that.
        await self.ctx.store.mark_post_skipped(job.claim.post_id, str(exc))
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
        delivery = Delivery(f"mlq-post-{job.claim.post_id}", retry=job.claim.attempted)
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
                destination,
                question_card(
                    question, CardKind.DAILY, job.slot.reveal_at, check=f"post:{job.claim.post_id}"
                ),
                delivery,
            )
        except DestinationUnavailable as exc:
            await self.ctx.store.mark_post_failed(job.claim.post_id, exc.code)
            await self.ctx.pause_unavailable(subscription, exc)
            return None
        except Exception as exc:
            # Marked failed, it is retried by the next reconcile while inside the grace window.
            await self.ctx.store.mark_post_failed(job.claim.post_id, f"{type(exc).__name__}: {exc}")
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
        if not (self.ctx.practice and subscription.options.weekly_summary):
            return
        if job.slot.local_date.weekday() != min(subscription.schedule.days):
            return
        try:
            summary = await self.ctx.practice.weekly_summary(subscription)
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
