"""When work runs: APScheduler 3 jobs for each subscription's next post and each pending reveal.

The database, not the scheduler, is the source of truth: jobs live in memory, are rebuilt from the
store at start-up, and a periodic reconcile job catches anything a job missed (a restart, another
process's subscription change). Exactly-once comes from the store's claims, so a job firing twice
or two processes firing together is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.records import PostRecord, Subscription
from bot.schedule import Slot, next_slots
from bot.service import PracticeService

log = logging.getLogger(__name__)


class PracticeScheduler:
    """Owns an AsyncIOScheduler; keeps one `post:<id>` job per subscription, one `reveal:<id>` per post."""

    def __init__(
        self,
        service: PracticeService,
        reconcile_every: timedelta = timedelta(seconds=60),
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:
        self.service = service
        self.reconcile_every = reconcile_every
        self.scheduler = scheduler or AsyncIOScheduler(timezone="UTC")
        self._inflight: set[asyncio.Task[Any]] = set()
        self._last_reconcile: float | None = None
        self._started = time.monotonic()
        service.listeners.append(self)

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    async def start(self) -> None:
        """Catch up on what fell due while we were down, then schedule what comes next."""
        self.scheduler.start()
        self._started = time.monotonic()
        await self._guarded("start-up catch-up", self.service.run_due)
        await self.reschedule_all()
        self.scheduler.add_job(
            self._reconcile,
            IntervalTrigger(seconds=self.reconcile_every.total_seconds()),
            id="reconcile",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )

    async def stop(self, timeout: float = 8.0) -> None:
        """Stop starting jobs, then let the ones running finish (a send is recorded, not cut)."""
        if not self.scheduler.running:
            return
        # Pause first: APScheduler's asyncio executor cancels running jobs when it shuts down.
        self.scheduler.pause()
        if self._inflight:
            _, pending = await asyncio.wait(set(self._inflight), timeout=timeout)
            for task in pending:
                log.warning("job still running at shutdown, cancelled: %s", task.get_name())
        self.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler completes its shutdown on the next loop turn

    async def reschedule_all(self) -> None:
        """Rebuild every job from the store (picks up changes made by other processes)."""
        active = await self.service.store.list_subscriptions()
        wanted = {f"post:{s.id}" for s in active}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("post:") and job.id not in wanted:
                job.remove()
        for subscription in active:
            self._schedule(subscription)
        for post in await self.service.store.posts_awaiting_reveal():
            await self.post_sent(post)

    # ScheduleListener ---------------------------------------------------------------------------

    async def subscription_changed(self, subscription_id: int) -> None:
        """(Re)schedule the subscription's next post, or drop its job if it is gone or paused."""
        subscription = await self.service.store.get_subscription_by_id(subscription_id)
        if subscription is None or subscription.paused:
            self._remove(f"post:{subscription_id}")
            return
        self._schedule(subscription)

    def _schedule(self, subscription: Subscription) -> None:
        if subscription.destination.platform not in self.service.adapters:
            return
        slot = next_slots(subscription.schedule, self.service.clock.now(), 1)[0]
        self.scheduler.add_job(
            self._post,
            DateTrigger(run_date=slot.post_at),
            args=[subscription.id, slot],
            id=f"post:{subscription.id}",
            replace_existing=True,
            # Lateness is judged by the service's grace window, not by APScheduler's.
            misfire_grace_time=int(self.service.config.post_grace.total_seconds()),
        )

    async def post_sent(self, post: PostRecord) -> None:
        self.scheduler.add_job(
            self._reveal,
            DateTrigger(run_date=max(post.reveal_due_at, self.service.clock.now())),
            args=[post.id],
            id=f"reveal:{post.id}",
            replace_existing=True,
            misfire_grace_time=None,
        )

    # Job bodies: each logs its own failure and never takes the schedule down ---------------------

    async def _post(self, subscription_id: int, slot: Slot) -> None:
        async def body() -> None:
            subscription = await self.service.store.get_subscription_by_id(subscription_id)
            if subscription is not None and not subscription.paused:
                await self.service.post_slot(subscription, slot)

        await self._guarded(f"post subscription={subscription_id}", body)
        await self._guarded(
            f"reschedule subscription={subscription_id}",
            lambda: self.subscription_changed(subscription_id),
        )

    async def _reveal(self, post_id: int) -> None:
        async def body() -> None:
            post = await self.service.store.get_post(post_id)
            if post is not None and post.revealed_at is None:
                await self.service.reveal(post)

        await self._guarded(f"reveal post={post_id}", body)

    async def _reconcile(self) -> None:
        await self._guarded("reconcile", self.service.run_due)
        await self._guarded("reschedule", self.reschedule_all)
        self._last_reconcile = time.monotonic()

    async def healthy(self) -> bool:
        """Running, and the periodic catch-up ran recently (a wedged loop would stop it)."""
        if not self.running or self.scheduler.state == STATE_PAUSED:
            return False
        last = self._last_reconcile if self._last_reconcile is not None else self._started
        return time.monotonic() - last < 3 * self.reconcile_every.total_seconds() + 30

    async def _guarded(self, what: str, body: Callable[[], Awaitable[Any]]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await body()
        except Exception:
            log.exception("scheduled job failed: %s", what)
        finally:
            if task is not None:
                self._inflight.discard(task)

    def _remove(self, job_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job_id)
