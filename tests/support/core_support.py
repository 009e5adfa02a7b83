"""The core's test world: the service with a recording adapter behind it, its store and fake clock,
and the daily cycle of the fake channel C1 driven by that clock (see `world` and `daily` in
tests/core/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.content.bank import Filters
from bot.messages import QuestionCard, Response
from bot.records import DEFAULT_OPTIONS, PostRecord, Subscription, SubscriptionOptions
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import SqlStore
from tests.support.fakes import RecordingAdapter

MONDAY = date(2026, 11, 23)


def post_at(day: date) -> datetime:
    """09:00 in Berlin (UTC+1 in winter)."""
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)


def reveal_at(day: date) -> datetime:
    """The reveal of that day's 09:00 Berlin post, 6 h later."""
    return post_at(day) + timedelta(hours=6)


@dataclass
class CoreWorld:
    """The service (recording adapter "fake"), its store and fake clock, and the channel C1 of
    workspace T1 with its 09:00 Berlin weekday schedule, revealed 6 h later.

    Keeps no state of its own: what happened is in the adapter, the store and the clock.
    """

    service: PracticeService
    adapter: RecordingAdapter
    store: SqlStore
    clock: FakeClock
    channel: Destination
    schedule: Schedule

    # The daily cycle ---------------------------------------------------------------------------------

    async def subscribe(
        self,
        options: SubscriptionOptions = DEFAULT_OPTIONS,
        *,
        filters: Filters | None = None,
        schedule: Schedule | None = None,
    ) -> Subscription:
        """Subscribe C1 now, to the 09:00 Berlin weekday schedule unless told otherwise."""
        return await self.store.save_subscription(
            self.channel, schedule or self.schedule, filters or Filters(), self.clock.now(), options
        )

    async def run_due(self) -> dict[str, int]:
        """Run what is due now; return the service's counts."""
        return await self.service.run_due()

    async def run_due_at(self, when: datetime) -> dict[str, int]:
        """Set the clock to `when` and run what is due; return the service's counts."""
        self.clock.set(when)
        return await self.service.run_due()

    async def post_day(self, day: date = MONDAY) -> PostRecord:
        """Run that day's 09:00 post; return C1's post, which must be that day's."""
        await self.run_due_at(post_at(day))
        subscription = await self.store.get_subscription(self.channel)
        assert subscription is not None, "C1 is not subscribed"
        post = await self.store.latest_post(subscription.id)
        assert post is not None and post.local_date == day, f"no post on {day}"
        return post

    async def reveal(self, day: date = MONDAY) -> None:
        """Run that day's reveal, 6 h after the post."""
        await self.run_due_at(reveal_at(day))

    async def revealed_post(self, day: date = MONDAY) -> PostRecord:
        """Post that day's question and reveal it; return the post."""
        post = await self.post_day(day)
        await self.reveal(day)
        return post

    async def reply(self, post: PostRecord, user: str) -> None:
        """`user` replies in the post's thread (only who and where reach the core)."""
        assert post.thread is not None
        thread = post.thread
        await self.service.record_reply(thread.destination, thread.thread_id or thread.message_id, user)

    # People ----------------------------------------------------------------------------------------

    def key(self, user: str, where: Destination | None = None) -> str:
        """The store's key for `user` of C1's workspace (or of `where`'s)."""
        return Invocation(where or self.channel, user).user_key

    async def command(self, user: str, text: str, where: Destination | None = None) -> list[object]:
        """`user` runs `/mlquestion <text>` in C1 (or `where`); return the replies' messages."""
        invocation = Invocation(where or self.channel, user)
        return [response.message for response in await self.service.handle_command(invocation, text)]

    async def rate(
        self, user: str, question_id: str, context: str, choice: str, where: Destination | None = None
    ) -> Response:
        """`user` clicks a rating button in C1 (or `where`)."""
        return await self.service.rate(Invocation(where or self.channel, user), question_id, context, choice)

    async def rate_post(
        self, user: str, post: PostRecord, choice: str, where: Destination | None = None
    ) -> Response:
        """`user` clicks a rating button under the post's reveal, in C1 (or `where`)."""
        assert post.question_id is not None, f"post {post.id} has no question"
        return await self.rate(user, post.question_id, f"post:{post.id}", choice, where)

    async def check(self, user: str, card: QuestionCard, answer: str) -> Response:
        """`user` sends `answer` through the card's Check my answer form, in C1."""
        assert card.check is not None, f"the card of {card.question_id} has no check button"
        invocation = Invocation(self.channel, user)
        return await self.service.check_answer(invocation, card.question_id, card.check.context, answer)
