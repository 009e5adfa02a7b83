"""Mock interviews on Discord: `/mlquestion-mock` runs in the person's direct messages (privately in
the channel when they take none), each question answered, given feedback and a follow-up, rated,
then the next, up to the summary; `stop`, restarts, expiry and stale buttons — through discord.py and
the fake Discord. Also the `track` option of `/mlquestion` (issue 15)."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.content.bank import QuestionBank
from bot.content.questions import Question
from bot.content.rubric import Track
from bot.schedule.clock import FakeClock
from bot.service import PracticeService, ServiceConfig
from bot.store import SqlStore
from bot.store.transfer import export_store
from tests.adapters.discord.feedback_support import (
    GOOD,
    POOR,
    answer,
    buttons,
    check_button,
    holding,
    rate_button,
    replies_until_buttons,
    text_of,
)
from tests.support.discord_support import CHANNEL, CONFIGURED, GUILD, MEMBER, config_for, custom_ids
from tests.support.fake_discord import EPHEMERAL, FakeDiscord, Member

MOCK = "mlquestion-mock"


@pytest.fixture
def bank(make_question: Callable[..., Question]) -> QuestionBank:
    """The nine test questions (keras, tensorflow, scikit-learn × easy, medium, hard); the TensorFlow
    ones are in the MLOps track too."""
    questions = []
    for topic in ("keras", "tensorflow", "scikit-learn"):
        for difficulty in ("easy", "medium", "hard"):
            question = make_question(f"{topic}-{difficulty}", topic, difficulty)
            tracks = (Track.MLOPS,) if topic == "tensorflow" else ()
            questions.append(dataclasses.replace(question, tracks=tracks))
    return QuestionBank(questions)


def dms(fake: FakeDiscord, user: Member = MEMBER) -> list[dict[str, Any]]:
    """What the bot sent to the person's DMs on its own (not as replies to their clicks)."""
    channel = fake.dm_channel(user)
    assert channel is not None, "the bot opened no DM channel"
    return fake.in_channel(channel)


async def start(fake: FakeDiscord, user: Member = MEMBER, **options: Any) -> dict[str, Any]:
    """Run `/mlquestion-mock` in the channel; return the bot's reply there."""
    return await fake.reply_to(await fake.command(MOCK, user, CHANNEL, **options))


async def answer_and_rate(fake: FakeDiscord, card: dict[str, Any], text: str, choice: str) -> dict[str, Any]:
    """Answer a mock card, then click `choice` under the feedback; return the reply (the next card
    or the summary)."""
    last = (await replies_until_buttons(fake, await answer(fake, card, MEMBER, text)))[-1]
    button = rate_button(last, choice)
    return await fake.reply_to(await fake.click(holding(fake, button), button, MEMBER))


# Starting -------------------------------------------------------------------------------------------


async def test_mock_starts_in_the_persons_direct_messages(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """The DM channel is opened for the person, the intro and question 1 go there (with its Answer
    button), and the channel gets only a private "it's in your DMs" with a link."""
    reply = await start(fake_discord, count=3)
    (opened,) = fake_discord.calls_to("POST", "/users/@me/channels")
    intro, card = dms(fake_discord)
    assert str(opened.body["recipient_id"]) == MEMBER.id
    assert reply["flags"] & EPHEMERAL
    assert re.search(
        rf"in your direct messages with me: \S+/channels/@me/{card['channel_id']}/", reply["content"]
    )
    assert (
        "**Mock interview** — 3 questions" in intro["content"]
        and "`/mlquestion-mock stop:True`" in intro["content"]
    )
    assert card["content"] == "Question 1 of 3 · mock interview"
    assert card["embeds"][0]["author"]["name"] == "Mock interview"
    (button,) = buttons(card)
    assert button["label"] == "Answer" and re.fullmatch(r"mlq:ck:m[0-9a-z]+0:[a-z-]+", button["custom_id"])


async def test_with_direct_messages_closed_the_interview_stays_private_in_the_channel(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Discord refuses the DM (403, code 50007): the channel reply says so, and the intro and the
    first question follow there, visible only to the person, with the Answer button."""
    fake_discord.close_dms(MEMBER)
    sent = await fake_discord.command(MOCK, MEMBER, CHANNEL, count=3)
    await fake_discord.wait_calls("POST", r"/webhooks/\d+/.*", 2)
    note = await fake_discord.reply_to(sent)
    intro, card = [call.body for call in fake_discord.calls_to("POST", r"/webhooks/\d+/.*")]
    assert "I can't send you direct messages" in note["content"] and note["flags"] & EPHEMERAL
    assert intro["flags"] == card["flags"] == EPHEMERAL
    assert card["content"] == "Question 1 of 3 · mock interview" and check_button(card).startswith("mlq:ck:m")
    assert dms(fake_discord) == []


async def test_a_track_and_a_count_choose_the_questions(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """`track: mlops count: 3` asks the three TensorFlow questions (the MLOps track), easiest first."""
    await start(fake_discord, track="mlops", count=3)
    assert "MLOps engineer track" in dms(fake_discord)[0]["content"]
    card = dms(fake_discord)[1]
    assert check_button(card).endswith(":tensorflow-easy")


async def test_a_command_error_stays_in_the_channel(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Asking for more questions than the track has is a private error in the channel, no DM."""
    reply = await start(fake_discord, track="mlops", count=4)
    assert reply["flags"] & EPHEMERAL and "The mlops track has 3 questions" in reply["content"]
    assert fake_discord.dm_channel(MEMBER) is None


# Running it -----------------------------------------------------------------------------------------


async def test_an_answer_in_the_dm_gets_feedback_and_a_follow_up(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Answer in the DM: the feedback is an ordinary message there (not ephemeral), with the progress,
    the model answer, the interviewer's follow-up and the suggested rating pre-chosen."""
    await start(fake_discord, count=3)
    card = dms(fake_discord)[1]
    replies = await replies_until_buttons(fake_discord, await answer(fake_discord, card, MEMBER, GOOD))
    assert all(not (body.get("flags") or 0) & EPHEMERAL for body in replies)
    assert replies[0]["content"] == "Question 1 of 3 · mock interview"
    text = "\n".join(text_of(body) for body in replies)
    assert "✓ Scale features for distance-based models" in text and "Model answer: Title of" in text
    assert "Follow-up question\na follow-up" in text
    nailed = next(b for b in buttons(replies[-1]) if b["label"] == "Nailed it")
    assert nailed["style"] == 1 and nailed["custom_id"].startswith("mlq:rt:n:m")


async def test_a_whole_interview_ends_with_a_summary_and_feeds_the_review_schedule(
    discord_bot: DiscordAdapter, discord_store: SqlStore, fake_discord: FakeDiscord
) -> None:
    """Three questions answered and rated in the DM, each rating bringing the next question, then
    the summary; the three ratings are in the person's review schedule."""
    await start(fake_discord, count=3)
    card = dms(fake_discord)[1]
    second = await answer_and_rate(fake_discord, card, GOOD, "nailed")
    assert second["content"] == "Recorded **Nailed it**. Question 2 of 3 · mock interview"
    assert not second["flags"] & EPHEMERAL
    third = await answer_and_rate(fake_discord, second, POOR, "missed")
    assert third["content"].endswith("Question 3 of 3 · mock interview")
    summary = await answer_and_rate(fake_discord, third, GOOD, "partly")
    (embed,) = summary["embeds"]
    assert embed["title"] == "Mock interview finished" and custom_ids(summary) == []
    assert [line.rsplit("**", 2)[1] for line in embed["description"].splitlines()[:3]] == [
        "Nailed it",
        "Missed it",
        "Partly",
    ]
    assert "`/mlquestion-review`" in embed["description"]
    ratings = await discord_store.user_ratings(f"discord:{GUILD}:{MEMBER.id}")
    assert sorted(r.rating for r in ratings) == ["missed", "nailed", "partly"]
    assert {r.context.split(":")[0] for r in ratings} == {"mock"}


async def test_stop_ends_the_interview_with_its_summary_in_the_dm(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """`/mlquestion-mock stop: true` sends the summary (nothing rated yet) to the DM."""
    await start(fake_discord, count=3)
    reply = await start(fake_discord, stop=True)
    summary = dms(fake_discord)[-1]
    assert reply["flags"] & EPHEMERAL and "in your direct messages" in reply["content"]
    assert summary["embeds"][0]["title"] == "Mock interview stopped"
    assert "**not rated**" in summary["embeds"][0]["description"]


async def test_stop_without_an_interview_says_so_privately(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    reply = await start(fake_discord, stop=True)
    assert reply["flags"] & EPHEMERAL and "No mock interview is going" in reply["content"]
    assert fake_discord.dm_channel(MEMBER) is None


async def test_a_slow_check_in_the_dm_is_deferred_in_the_open_and_answered_there(
    discord_service: PracticeService, fake_discord: FakeDiscord
) -> None:
    """When the answer takes long to check (deferral forced here), the DM shows "thinking" publicly
    (a DM has no one else to hide it from) and the feedback replaces it, buttons under the last part."""
    adapter = DiscordAdapter(discord_service, config_for(fake_discord, defer_after=0))
    discord_service.register_adapter(adapter)
    await adapter.start()
    try:
        await start(fake_discord, count=3)
        sent = await answer(fake_discord, dms(fake_discord)[1], MEMBER, GOOD)
        replies = await replies_until_buttons(fake_discord, sent)
    finally:
        await adapter.stop()
    deferral = fake_discord.callback(sent).body
    assert deferral["type"] == 5 and not (deferral.get("data") or {}).get("flags")
    assert replies[0]["embeds"][0]["title"].startswith("Feedback on your answer: ")
    assert fake_discord.calls_to("PATCH", rf"/webhooks/\d+/{re.escape(sent.token)}/messages/@original")


# Stale, expired and someone else's ------------------------------------------------------------------


async def test_the_answer_button_works_after_a_restart(
    discord_bot: DiscordAdapter,
    discord_store: SqlStore,
    fake_discord: FakeDiscord,
    bank: QuestionBank,
    clock: FakeClock,
) -> None:
    """A new process (new service and adapter on the same database) takes the DM's Answer click and
    the submitted answer: the session is in the store, the button's custom_id carries the rest."""
    await start(fake_discord, count=3)
    card = dms(fake_discord)[1]
    await discord_bot.stop()
    service = PracticeService(
        bank, discord_store, clock, {}, ServiceConfig(default_zone=ZoneInfo("Europe/Berlin"))
    )
    restarted = DiscordAdapter(service, config_for(fake_discord))
    service.register_adapter(restarted)
    await restarted.start()
    try:
        replies = await replies_until_buttons(fake_discord, await answer(fake_discord, card, MEMBER, GOOD))
    finally:
        await restarted.stop()
    assert replies[0]["embeds"][0]["title"].startswith("Feedback on your answer: ")


async def test_an_interview_idle_for_31_minutes_has_expired(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    """Answer clicked 31 minutes after the last step: a private "expired", no form."""
    await start(fake_discord, count=3)
    card = dms(fake_discord)[1]
    clock.advance(timedelta(minutes=31))
    sent = await fake_discord.click(card, check_button(card), MEMBER)
    reply = await fake_discord.reply_to(sent)
    assert fake_discord.callback(sent).body["type"] == 4
    assert reply["flags"] & EPHEMERAL and "expired after 30 idle minutes" in reply["content"]


async def test_a_rating_for_an_earlier_question_is_refused(
    discord_bot: DiscordAdapter, discord_store: SqlStore, fake_discord: FakeDiscord
) -> None:
    """Question 1 rated, then its feedback's button clicked again: refused privately, not recorded."""
    await start(fake_discord, count=3)
    card = dms(fake_discord)[1]
    last = (await replies_until_buttons(fake_discord, await answer(fake_discord, card, MEMBER, GOOD)))[-1]
    nailed = rate_button(last, "nailed")
    await fake_discord.reply_to(await fake_discord.click(holding(fake_discord, nailed), nailed, MEMBER))
    again = await fake_discord.reply_to(
        await fake_discord.click(holding(fake_discord, nailed), nailed, MEMBER)
    )
    assert again["flags"] & EPHEMERAL and "earlier question of this mock interview" in again["content"]
    assert len(await discord_store.user_ratings(f"discord:{GUILD}:{MEMBER.id}")) == 1


async def test_someone_elses_interview_button_is_refused(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Another member clicking the person's Answer button (a forged click) gets a private refusal."""
    fake_discord.close_dms(MEMBER)
    sent = await fake_discord.command(MOCK, MEMBER, CHANNEL, count=3)
    await fake_discord.reply_to(sent)
    await fake_discord.wait_calls("POST", r"/webhooks/\d+/.*", 2)
    button = check_button(fake_discord.calls_to("POST", r"/webhooks/\d+/.*")[1].body)
    reply = await fake_discord.reply_to(
        await fake_discord.click(holding(fake_discord, button), button, CONFIGURED)
    )
    assert reply["flags"] & EPHEMERAL and "someone else's mock interview" in reply["content"]


async def test_a_non_mock_button_in_a_dm_is_refused(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """In DMs only a mock interview's buttons count: an `ask:` check button there opens nothing."""
    await start(fake_discord, count=3)
    card = dms(fake_discord)[1]
    forged = dict(
        card,
        components=[
            {"type": 1, "components": [dict(buttons(card)[0], custom_id="mlq:ck:a20261123:keras-easy")]}
        ],
    )
    reply = await fake_discord.reply_to(
        await fake_discord.click(forged, "mlq:ck:a20261123:keras-easy", MEMBER)
    )
    assert reply["flags"] & EPHEMERAL and "only take a mock interview's buttons" in reply["content"]


async def test_a_mock_interviews_answers_are_never_stored_or_logged(
    discord_bot: DiscordAdapter,
    discord_store: SqlStore,
    fake_discord: FakeDiscord,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A whole three-question interview at DEBUG, every answer carrying a unique marker: no log record
    and nothing in the exported store holds it (the session keeps ratings, never answers)."""
    marker = "mk9-mock-private-answer-77"
    with caplog.at_level(logging.DEBUG):
        await start(fake_discord, count=3)
        card = dms(fake_discord)[1]
        for choice in ("nailed", "partly", "missed"):
            card = await answer_and_rate(fake_discord, card, f"{GOOD} {marker}", choice)
    assert card["embeds"][0]["title"] == "Mock interview finished"
    assert all(marker not in caplog.handler.format(record) for record in caplog.records)
    assert marker not in json.dumps(await export_store(discord_store))


# /mlquestion track (issue 15) -----------------------------------------------------------------------


async def test_ask_with_a_track_draws_a_question_of_that_track(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """`/mlquestion track: mlops` draws one of the MLOps track's (TensorFlow) questions."""
    reply = await fake_discord.reply_to(
        await fake_discord.command("mlquestion", MEMBER, CHANNEL, track="mlops")
    )
    assert re.fullmatch(r"mlq:answer:tensorflow-(easy|medium|hard)", custom_ids(reply)[0])
