"""The reveal path of the daily cycle: post the model answer in the question's thread, at most once,
then mark the question card as answered."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.content.questions import Question
from bot.messages import AnswerCard, CardKind, Notice, NoticeKind, RatingPrompt, answer_card, question_card
from bot.records import PostRecord
from bot.schedule.cycle import PLATFORM_PAUSE_PREFIX, CycleContext
from bot.seam import Delivery, DestinationUnavailable, ThreadRef

log = logging.getLogger(__name__)


class Revealer:
    """Reveals answers; a reveal is claimed in the store before it is sent."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx

    async def reveal(self, post: PostRecord) -> str:
        """Reveal a posted question's answer in its thread, at most once."""
        outcome = await self._reveal(post)
        platform = post.thread.destination.platform if post.thread else "unknown"
        self.ctx.metrics.reveals.labels(platform, outcome).inc()
        return outcome

    async def _reveal(self, post: PostRecord) -> str:
        if post.thread is None or post.question_id is None:
            return "nothing"
        adapter = self.ctx.adapters.get(post.thread.destination.platform)
        if adapter is None:
            return "not-mine"
        now = self.ctx.clock.now()
        claim = await self.ctx.store.claim_reveal(post.id, now, self.ctx.config.lease, self.ctx.owner)
        if claim is None:
            return "already"
        delivery = Delivery(f"mlq-reveal-{post.id}", retry=claim == "retry")
        question = self.ctx.bank.get(post.question_id)
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
            await self.ctx.store.release_reveal(post.id)
            subscription = await self.ctx.subscription_of(post)
            if subscription is not None:
                await self.ctx.pause_unavailable(subscription, exc)
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
                await adapter.mark_revealed(post.thread, revealed)
            except Exception:
                log.exception("could not mark post=%s as revealed", post.id)
        revealed_at = self.ctx.clock.now()
        await self.ctx.store.mark_reveal_sent(post.id, revealed_at)
        lag = (revealed_at - post.reveal_due_at).total_seconds()
        self.ctx.metrics.scheduler_lag_seconds.set(lag)
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

    async def _answer_card(self, post: PostRecord, thread: ThreadRef, question: Question) -> AnswerCard:
        """The reveal: the model answer, who replied before it, and rating buttons for everyone."""
        repliers = await self.ctx.store.thread_repliers(thread.reply_key, before=self.ctx.clock.now())
        subscription = await self.ctx.subscription_of(post)
        mention = subscription.options.mention_participants if subscription else True
        return answer_card(question, RatingPrompt(question.id, f"post:{post.id}"), tuple(repliers), mention)

    async def blocked(self, post: PostRecord) -> bool:
        subscription = await self.ctx.subscription_of(post)
        return bool(
            subscription
            and subscription.paused
            and (subscription.paused_reason or "").startswith(PLATFORM_PAUSE_PREFIX)
        )
