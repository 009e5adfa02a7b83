"""The reveal path of the daily cycle: post the model answer in the question's thread, at most once,
then mark the question card as answered.

Due reveals go out a chunk at a time, the way posts do (`posting`): one query reads the chunk's
subscriptions, one transaction claims the chunk, and while a chunk sends the next one is claimed.
Each send reads who replied in its thread, and is recorded as sent, in reads and writes shared with
the sends in flight (`batching`), so a reveal costs a fraction of a store call, not five. A claim
whose send never started (shutting down, or held past half its lease) is given up, to be claimed
again as new (as a retry if it was a retry); one that failed is handed back as a retry, which
looks for the earlier attempt."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.content.questions import Question
from bot.messages import AnswerCard, CardKind, Notice, NoticeKind, RatingPrompt, answer_card, question_card
from bot.records import PostRecord, Subscription
from bot.schedule.batching import GroupCommit
from bot.schedule.cycle import PLATFORM_PAUSE_PREFIX, CycleContext, gather_logged
from bot.schedule.lanes import Lanes
from bot.schedule.posting import CHUNK_ROUNDS, MAX_CHUNK
from bot.seam import ChatAdapter, Delivery, DestinationUnavailable, ThreadRef

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Reveal:
    """A claimed reveal on its way out."""

    post: PostRecord
    thread: ThreadRef
    question_id: str
    adapter: ChatAdapter
    subscription: Subscription | None
    retry: bool
    claimed_at: datetime


async def _settled(task: asyncio.Task[list[str]]) -> list[str]:
    """A chunk's outcomes; its failure (e.g. the database) is logged, not fatal."""
    try:
        return await task
    except Exception:
        log.exception("catch-up item failed: revealing a chunk of answers")
        return []


def _platform_paused(subscription: Subscription | None) -> bool:
    return bool(
        subscription
        and subscription.paused
        and (subscription.paused_reason or "").startswith(PLATFORM_PAUSE_PREFIX)
    )


class Revealer:
    """Reveals answers; a reveal is claimed in the store before it is sent."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self._repliers: GroupCommit[str, list[str]] = GroupCommit(self._read_repliers)
        self._sent: GroupCommit[tuple[int, datetime], None] = GroupCommit(self._mark_sent)
        # Subscriptions this process paused since its pass began: their other reveals wait too.
        self._paused: set[int] = set()

    async def reveal(self, post: PostRecord) -> str:
        """Reveal a posted question's answer in its thread, at most once (even if its destination
        is paused: asked for this one post)."""
        jobs, outcomes = await self._claim_chunk([post], skip_blocked=False)
        lanes = Lanes(self.ctx.adapters, self.ctx.config.send_concurrency)
        outcomes += await self._send_chunk(jobs, lanes, stoppable=False)
        return outcomes[0] if outcomes else "already"

    async def reveal_due(self, awaiting: list[PostRecord], lanes: Lanes, counts: Counter[str]) -> None:
        """Reveal the due posts (in fair order over their limit keys) chunk by chunk, skipping those
        of destinations the platform refused; the next chunk is claimed while the last one sends."""
        self._paused.clear()
        keys = {lanes.key(p.thread.destination) for p in awaiting if p.thread is not None}
        size = max(1, min(MAX_CHUNK, self.ctx.config.send_concurrency * CHUNK_ROUNDS * max(1, len(keys))))
        sending: deque[asyncio.Task[list[str]]] = deque()
        try:
            for start in range(0, len(awaiting), size):
                if self.ctx.stopping:
                    break
                # At most two chunks claimed ahead of their sends, so no claim waits long for its send.
                while len(sending) > 1:
                    counts.update(_counted_as_reveals(await _settled(sending.popleft())))
                try:
                    chunk = awaiting[start : start + size]
                    jobs, outcomes = await self._claim_chunk(chunk, skip_blocked=True)
                except Exception:
                    log.exception("catch-up item failed: claiming a chunk of reveals")
                    continue
                counts.update(_counted_as_reveals(outcomes))
                if jobs:
                    sending.append(asyncio.create_task(self._send_chunk(jobs, lanes, stoppable=True)))
            while sending:
                counts.update(_counted_as_reveals(await _settled(sending.popleft())))
        finally:
            for task in sending:
                task.cancel()

    async def _claim_chunk(
        self, posts: list[PostRecord], skip_blocked: bool
    ) -> tuple[list[_Reveal], list[str]]:
        """Claim the chunk's reveals; return the jobs to send and the outcomes settled without a send
        (a post of a destination the platform refused has none: it waits for the destination)."""
        outcomes: list[str] = []
        wanted: list[tuple[PostRecord, ThreadRef, str, ChatAdapter]] = []
        for post in posts:
            adapter = self.ctx.adapters.get(post.thread.destination.platform) if post.thread else None
            if post.thread is None or post.question_id is None:
                outcomes.append(self._counted(post, "nothing"))
            elif adapter is None:
                outcomes.append(self._counted(post, "not-mine"))
            else:
                wanted.append((post, post.thread, post.question_id, adapter))
        ids = {post.subscription_id for post, *_ in wanted if post.subscription_id is not None}
        subscriptions = await self.ctx.store.subscriptions_by_ids(ids) if ids else {}

        def blocked(subscription_id: int | None) -> bool:
            if subscription_id is None:
                return False
            return subscription_id in self._paused or _platform_paused(subscriptions.get(subscription_id))

        wanted = [item for item in wanted if not (skip_blocked and blocked(item[0].subscription_id))]
        if not wanted:
            return [], outcomes
        now = self.ctx.clock.now()
        claims = await self.ctx.store.claim_reveals(
            [item[0].id for item in wanted], now, self.ctx.config.lease, self.ctx.owner
        )
        jobs: list[_Reveal] = []
        for post, thread, question_id, adapter in wanted:
            claim = claims.get(post.id)
            if claim is None:
                outcomes.append(self._counted(post, "already"))
                continue
            sid = post.subscription_id
            subscription = subscriptions.get(sid) if sid is not None else None
            jobs.append(_Reveal(post, thread, question_id, adapter, subscription, claim == "retry", now))
        return jobs, outcomes

    async def _send_chunk(self, jobs: list[_Reveal], lanes: Lanes, stoppable: bool) -> list[str]:
        """Send the claimed reveals, each in its limit key's lane; give up the claims not sent."""
        outcomes: list[str] = []
        unsent: list[_Reveal] = []

        async def send(job: _Reveal) -> None:
            async with lanes.slot(job.thread.destination):
                if (
                    (stoppable and self.ctx.stopping)
                    or (stoppable and job.post.subscription_id in self._paused)
                    or self._lease_spent(job)
                ):
                    unsent.append(job)
                    return
                outcomes.append(self._counted(job.post, await self._send(job)))

        await gather_logged(send(job) for job in jobs)
        if unsent:
            # A claim taken over may follow an attempt that reached the platform: handed back as a
            # retry, so whoever sends it first looks for that attempt. The others are dropped.
            await self.ctx.store.give_up_reveals(
                [job.post.id for job in unsent if not job.retry], self.ctx.owner
            )
            for job in unsent:
                if job.retry:
                    await self.ctx.store.release_reveal(job.post.id)
            if not self.ctx.stopping and any(self._lease_spent(job) for job in unsent):
                log.warning("gave up reveal claims older than half their lease")
        return outcomes

    async def _send(self, job: _Reveal) -> str:
        post, thread, adapter = job.post, job.thread, job.adapter
        now = self.ctx.clock.now()
        delivery = Delivery(f"mlq-reveal-{post.id}", retry=job.retry)
        question = self.ctx.bank.get(job.question_id)
        try:
            if question is None:
                await adapter.post_notice(
                    thread.destination,
                    Notice(
                        f"The answer to `{post.question_id}` is no longer in the bank.",
                        NoticeKind.ERROR,
                    ),
                    thread=thread,
                )
            else:
                answer = await self._answer_card(job, question)
                await adapter.post_answer(thread, answer, delivery)
        except DestinationUnavailable as exc:
            await self.ctx.store.release_reveal(post.id)
            if job.subscription is not None:
                self._paused.add(job.subscription.id)
                await self.ctx.pause_unavailable(job.subscription, exc)
            else:
                # A shared post has no subscription to pause: give up on it rather than retry forever.
                await self.ctx.store.mark_reveal_sent(post.id, now)
                log.error("dropped the reveal of shared post=%s: the platform said %s", post.id, exc.code)
            return "failed"
        except Exception:
            await self.ctx.store.release_reveal(post.id)
            log.exception("reveal failed: post=%s subscription=%s", post.id, post.subscription_id)
            return "failed"
        # The parent is updated before the reveal is recorded: a crash in between repeats only this
        # (idempotent) edit and the answer is found by its delivery key, so nothing is lost.
        if question is not None:
            kind = CardKind.DAILY if post.subscription_id is not None else CardKind.SHARED
            card = question_card(
                question, kind, post.reveal_due_at, shared_by=post.shared_by, check=f"post:{post.id}"
            )
            revealed = replace(card, revealed=True)
            try:
                await adapter.mark_revealed(thread, revealed)
            except Exception:
                log.exception("could not mark post=%s as revealed", post.id)
        revealed_at = self.ctx.clock.now()
        await self._sent.add((post.id, revealed_at))
        lag = (revealed_at - post.reveal_due_at).total_seconds()
        self.ctx.metrics.scheduler_lag_seconds.set(lag)
        log.info(
            "revealed answer: post=%s subscription=%s destination=%s question=%s thread=%s lag=%.1fs",
            post.id,
            post.subscription_id,
            thread.destination.key,
            post.question_id,
            thread.thread_id or thread.message_id,
            lag,
        )
        return "revealed"

    async def _answer_card(self, job: _Reveal, question: Question) -> AnswerCard:
        """The reveal: the model answer, who replied before it, and rating buttons for everyone."""
        repliers = await self._repliers.add(job.thread.reply_key)
        mention = job.subscription.options.mention_participants if job.subscription else True
        prompt = RatingPrompt(question.id, f"post:{job.post.id}")
        return answer_card(question, prompt, tuple(repliers), mention)

    async def _read_repliers(self, thread_keys: list[str]) -> list[list[str]]:
        # Read as the sends go, not when the chunk was claimed: a reply just before the answer counts.
        found = await self.ctx.store.threads_repliers(set(thread_keys), before=self.ctx.clock.now())
        return [found[key] for key in thread_keys]

    async def _mark_sent(self, sent: list[tuple[int, datetime]]) -> list[None]:
        await self.ctx.store.mark_reveals_sent(sent)
        return [None] * len(sent)

    def _lease_spent(self, job: _Reveal) -> bool:
        """True if the claim is older than half its lease: another process may soon take it over."""
        return self.ctx.clock.now() - job.claimed_at > self.ctx.config.lease / 2

    def _counted(self, post: PostRecord, outcome: str) -> str:
        platform = post.thread.destination.platform if post.thread else "unknown"
        self.ctx.metrics.reveals.labels(platform, outcome).inc()
        return outcome


def _counted_as_reveals(outcomes: Iterable[str]) -> Counter[str]:
    return Counter("reveal-" + outcome for outcome in outcomes)
