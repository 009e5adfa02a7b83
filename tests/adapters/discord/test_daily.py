"""The daily cycle on Discord: an embed with a thread, the reveal inside it, and what goes wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.messages import AnswerCard, CardKind, QuestionCard, question_card
from bot.records import Subscription
from bot.seam import Delivery
from bot.service import PracticeService
from tests.support.discord_support import (
    CHANNEL,
    GONE_CHANNEL,
    OTHER_CHANNEL,
    POST_AT,
    REVEAL_AT,
    DiscordWorld,
    where,
)
from tests.support.fake_discord import FakeDiscord

THREADS = rf"/channels/{CHANNEL}/messages/\d+/threads"


async def test_the_daily_question_is_an_embed_with_a_thread_for_answers(discord_daily: DiscordWorld) -> None:
    """At post time: one embed (title, topic · difficulty, reveal time), then a day-long thread on it."""
    question = await discord_daily.post_question()
    (embed,) = question["embeds"]
    assert embed["author"]["name"] == "Daily question" and embed["title"].startswith("Title of ")
    assert "Answer in the thread" in embed["description"]
    assert f"<t:{int(REVEAL_AT.timestamp())}:F>" in embed["description"]
    threads = rf"/channels/{CHANNEL}/messages/{question['id']}/threads"
    (thread,) = discord_daily.fake.calls_to("POST", threads)
    assert thread.body["auto_archive_duration"] == 1440
    assert thread.body["name"] == embed["title"]


async def test_the_reveal_is_posted_inside_the_thread(discord_daily: DiscordWorld) -> None:
    """At reveal time the model answer goes to the thread (whose id is the question's message id)."""
    await discord_daily.post_and_reveal()
    question = discord_daily.fake.in_channel(CHANNEL)[0]
    (answer,) = discord_daily.fake.in_channel(int(question["id"]))
    assert answer["embeds"][0]["title"] == f"Model answer: {question['embeds'][0]['title']}"
    assert len(discord_daily.fake.in_channel(CHANNEL)) == 1  # nothing else in the channel itself


async def test_the_question_is_edited_to_say_the_answer_is_out(discord_daily: DiscordWorld) -> None:
    """After the reveal the original embed says the answer is out and links the thread."""
    await discord_daily.post_and_reveal()
    question = discord_daily.fake.in_channel(CHANNEL)[0]
    (edit,) = discord_daily.fake.calls_to("PATCH", rf"/channels/{CHANNEL}/messages/{question['id']}")
    description = edit.body["embeds"][0]["description"]
    assert "The answer is out" in description and f"<#{question['id']}>" in description


async def test_a_rate_limited_reveal_is_retried_and_posted_once(discord_daily: DiscordWorld) -> None:
    """A 429 with retry_after on the answer: discord.py waits, retries, and one answer is posted."""
    fake = discord_daily.fake
    thread = (await discord_daily.post_question())["id"]
    fake.rate_limit_next("POST", rf"/channels/{thread}/messages", retry_after=0.2)
    counts = await discord_daily.run_due_at(REVEAL_AT)
    assert counts == {"reveal-revealed": 1}
    assert [c.status for c in fake.calls_to("POST", rf"/channels/{thread}/messages")] == [429, 200]
    assert len(fake.in_channel(int(thread))) == 1


async def test_without_thread_permission_the_reveal_replies_to_the_question(
    discord_daily: DiscordWorld,
) -> None:
    """A 403 on thread creation keeps the post; the answer then replies to the question message."""
    fake = discord_daily.fake
    fake.fail_next("POST", THREADS, 403, 50013, "Missing Permissions")
    await discord_daily.post_and_reveal()
    question, answer = fake.in_channel(CHANNEL)
    assert str(answer["message_reference"]["message_id"]) == question["id"]
    assert answer["embeds"][0]["title"].startswith("Model answer: ")
    edit = fake.calls_to("PATCH", rf"/channels/{CHANNEL}/messages/{question['id']}")[0]
    assert "in the reply to this message" in edit.body["embeds"][0]["description"]


async def test_missing_thread_permission_is_logged_once_per_channel(
    discord_daily: DiscordWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """Two days without thread permission: two posts, one warning saying what to grant."""
    for day in range(2):
        discord_daily.fake.fail_next("POST", THREADS, 403, 50013, "Missing Permissions")
        await discord_daily.run_due_at(POST_AT + timedelta(days=day))
    warnings = [r.getMessage() for r in caplog.records if "no threads in" in r.getMessage()]
    questions = [m for m in discord_daily.fake.in_channel(CHANNEL) if "message_reference" not in m]
    assert len(questions) == 2
    assert len(warnings) == 1 and "Create Public Threads" in warnings[0]


@pytest.mark.parametrize(
    ("channel", "failure", "reason"),
    [
        (CHANNEL, (403, 50001, "Missing Access"), "platform: forbidden:50001"),
        (GONE_CHANNEL, None, "platform: not_found:10003"),  # never existed: Unknown Channel
    ],
)
async def test_an_unreachable_channel_is_paused_and_others_still_post(
    discord_world: DiscordWorld,
    channel: int,
    failure: tuple[int, int, str] | None,
    reason: str,
) -> None:
    """Forbidden or NotFound pauses that subscription with the code; another channel still gets its post."""
    broken = await discord_world.subscribe(channel)
    await discord_world.subscribe(OTHER_CHANNEL)
    if failure is not None:
        discord_world.fake.fail_next("POST", rf"/channels/{channel}/messages", *failure)
    await discord_world.run_due_at(POST_AT)
    paused = await discord_world.store.get_subscription_by_id(broken.id)
    assert paused is not None and paused.paused and paused.paused_reason == reason
    assert len(discord_world.fake.in_channel(OTHER_CHANNEL)) == 1


async def test_a_retried_post_returns_the_message_an_earlier_attempt_sent(
    discord_bot: DiscordAdapter, discord_service: PracticeService, fake_discord: FakeDiscord
) -> None:
    """A takeover after a crash finds the question by its reference and posts nothing new."""
    card = _daily_card(discord_service)
    first = await discord_bot.post_question(where(), card, Delivery("mlq-post-7"))
    again = await discord_bot.post_question(where(), card, Delivery("mlq-post-7", retry=True))
    assert again == first and first.thread_id == first.message_id
    assert len(fake_discord.in_channel(CHANNEL)) == 1


async def test_a_retried_long_reveal_sends_only_the_missing_parts(
    discord_bot: DiscordAdapter, discord_service: PracticeService, fake_discord: FakeDiscord
) -> None:
    """An answer cut off after its first parts is completed on retry, without repeating any part."""
    thread = await discord_bot.post_question(where(), _daily_card(discord_service))
    assert thread.thread_id is not None
    answer = AnswerCard("keras-easy", "A long answer", (("Answer", "word " * 3000),))
    await discord_bot.post_answer(thread, answer, Delivery("mlq-reveal-7"))
    parts = fake_discord.in_channel(int(thread.thread_id))
    fake_discord.forget(parts[-1])  # the crash came before the last part was sent
    await discord_bot.post_answer(thread, answer, Delivery("mlq-reveal-7", retry=True))
    footers = [m["embeds"][0]["footer"]["text"] for m in fake_discord.in_channel(int(thread.thread_id))]
    assert len(parts) == 4
    assert footers == [f"Part {i} of 4 · ref mlq-reveal-7" for i in range(1, 5)]


def _daily_card(service: PracticeService) -> QuestionCard:
    question = service.bank.get("keras-easy")
    assert question is not None
    return question_card(question, CardKind.DAILY, REVEAL_AT)


async def test_a_deleted_thread_gets_the_answer_as_a_reply_and_the_subscription_stays_active(
    discord_daily: DiscordWorld, discord_subscription: Subscription
) -> None:
    """404 Unknown Channel on the thread (deleted by a moderator) → reply to the question in the channel."""
    fake = discord_daily.fake
    question = await discord_daily.post_question()
    fake.fail_next("POST", rf"/channels/{question['id']}/messages", 404, 10003, "Unknown Channel")
    assert await discord_daily.run_due_at(REVEAL_AT) == {"reveal-revealed": 1}
    _, answer = fake.in_channel(CHANNEL)
    assert str(answer["message_reference"]["message_id"]) == question["id"]
    current = await discord_daily.store.get_subscription_by_id(discord_subscription.id)
    assert current is not None and not current.paused
