"""When work runs: APScheduler 3 wake-ups at the instants posts and reveals fall due.

The database, not the scheduler, is the source of truth: a wake-up just runs the service's
catch-up (`run_due`), which finds what is due in the store and sends it with bounded concurrency.
One wake-up per distinct instant (not one job per subscription) keeps 10,000 channels posting at
09:00 to one job and one batched fan-out. Wake-ups live in memory, are rebuilt from the store at
start-up, and a periodic reconcile catches anything they missed (a restart, another process's
change). Exactly-once comes from the store's claims, so extra or simultaneous wake-ups are harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.records import PostRecord, Subscription
from bot.schedule.rules import next_slots
from bot.service import PracticeService

log = logging.getLogger(__name__)


class PracticeScheduler:
    """Owns an AsyncIOScheduler: `wake:<instant>` jobs that run the catch-up, and a `reconcile` job."""

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

    def wake_times(self) -> list[datetime]:
        """The instants at which the catch-up is scheduled to run next (soonest first)."""
        times = [job.next_run_time for job in self.scheduler.get_jobs() if job.id.startswith("wake:")]
        return sorted(t for t in times if t is not None)

    async def reschedule_all(self) -> None:
        """Schedule a wake-up for every subscription's next post and every reveal still to come.

        Reveals already due are left to the catch-up that is running or to the next reconcile: a
        wake-up "now" for a reveal another process is sending would spin.
        """
        now = self.service.clock.now()
        for subscription in await self.service.store.list_subscriptions():
            self._schedule(subscription)
        for instant in await self.service.store.reveal_times(after=now):
            self._wake_at(instant)

    # ScheduleListener ---------------------------------------------------------------------------

    async def subscription_changed(self, subscription_id: int) -> None:
        """Wake up at the subscription's next post (a paused or deleted one needs nothing)."""
        subscription = await self.service.store.get_subscription_by_id(subscription_id)
        if subscription is not None and not subscription.paused:
            self._schedule(subscription)

    def _schedule(self, subscription: Subscription) -> None:
        if subscription.destination.platform not in self.service.adapters:
            return
        self._wake_at(next_slots(subscription.schedule, self.service.clock.now(), 1)[0].post_at)

    async def post_sent(self, post: PostRecord) -> None:
        self._wake_at(max(post.reveal_due_at, self.service.clock.now()))

    def _wake_at(self, instant: datetime) -> None:
        # One job per instant: every subscription due then shares it (replace_existing dedupes),
        # and everything already due shares "now".
        now = self.service.clock.now()
        key = "now" if instant <= now else instant.isoformat()
        job_id = f"wake:{key}"
        # A job still waiting for this instant (or, for "now", waiting to run at all) covers the
        # request. A fan-out asks once per post sent and a reschedule once per subscription, and
        # re-adding a job costs APScheduler a signature check, a lock and a log line each time:
        # the largest share of a replica's CPU in benchmarks/replicas.py before this check.
        if self.scheduler.get_job(job_id) is not None:
            return
        self.scheduler.add_job(
            self._wake,
            DateTrigger(run_date=max(instant, now)),
            id=job_id,
            replace_existing=True,
            # Lateness is judged by the service's grace window, not by APScheduler's.
            misfire_grace_time=int(self.service.config.post_grace.total_seconds()),
        )

    # Job bodies: each logs its own failure and never takes the schedule down ---------------------

    async def _wake(self) -> None:
        await self._guarded("wake-up", self.service.run_due)
        await self._guarded("reschedule", self.reschedule_all)

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
