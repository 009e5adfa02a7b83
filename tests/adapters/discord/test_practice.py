"""Practice that sticks on Discord: thread replies counted and named, rating buttons, reviews, stats,
leaderboards, the suggestion form and holiday settings — through discord.py and the fake Discord."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.components import decode_context, encode_context, rating_view, view_for
from bot.messages import AnswerCard, Notice, RatingPrompt
from bot.records import SubscriptionOptions
from bot.schedule.clock import FakeClock
from bot.seam import Destination, ThreadRef
from bot.service import Invocation, PracticeService
from bot.store import SqlStore
from tests.support.discord_support import (
    ADMIN,
    CHANNEL,
    CONFIGURED,
    GUILD,
    MEMBER,
    POST_AT,
    DiscordWorld,
    custom_ids,
    rate_button,
    where,
)
from tests.support.fake_discord import EPHEMERAL, FakeDiscord, Member, message_problems

ANOTHER_BOT = Member("1300000000000000150", "otherbot", 0)
A_WEBHOOK = Member("1300000000000000160", "Captain Hook", 0)


def user_key(user: Member) -> str:
    return f"discord:{GUILD}:{user.id}"


# Participation ---------------------------------------------------------------------------------------


async def test_thread_replies_are_counted_and_mentioned_in_the_reveal(discord_daily: DiscordWorld) -> None:
    """Two people answer in the thread; the reveal says "2 people answered" and may notify just them."""
    thread = await discord_daily.question_thread()
    await discord_daily.fake.user_message(thread, MEMBER)
    await discord_daily.fake.user_message(thread, CONFIGURED)
    await discord_daily.fake.user_message(thread, MEMBER, "and a second thought")
    await discord_daily.counted(thread, MEMBER, CONFIGURED)
    answer, sent = await discord_daily.reveal(thread)
    assert answer["content"] == f"2 people answered: <@{MEMBER.id}>, <@{CONFIGURED.id}>"
    assert sorted(str(u) for u in sent["allowed_mentions"]["users"]) == sorted([MEMBER.id, CONFIGURED.id])
    assert sent["allowed_mentions"]["parse"] == []  # no @everyone, no roles


async def test_with_mentions_off_the_reveal_names_people_without_notifying_them(
    discord_world: DiscordWorld,
) -> None:
    """`mentions off`: the names are there, and allowed_mentions lets nobody be notified."""
    await discord_world.subscribe(options=SubscriptionOptions(mention_participants=False))
    thread = await discord_world.question_thread()
    await discord_world.answered_by(thread, MEMBER)
    answer, sent = await discord_world.reveal(thread)
    assert answer["content"] == f"1 person answered: <@{MEMBER.id}>"
    assert sent["allowed_mentions"]["parse"] == [] and not sent["allowed_mentions"].get("users")


async def test_messages_from_bots_webhooks_and_the_bot_itself_are_not_counted(
    discord_daily: DiscordWorld,
) -> None:
    """Only people count: another bot, a webhook and the bot's own notice in the thread do not."""
    thread = await discord_daily.question_thread()
    await discord_daily.fake.user_message(thread, ANOTHER_BOT, bot=True)
    await discord_daily.fake.user_message(thread, A_WEBHOOK, webhook=True)
    ref = ThreadRef(where(), str(thread), str(thread))
    await discord_daily.bot.post_notice(where(), Notice("A note from the bot"), thread=ref)
    await discord_daily.answered_by(thread, MEMBER)  # handled after the others
    messages = [data for event, data in discord_daily.fake.events if event == "MESSAGE_CREATE"]
    assert len(messages) == 5  # the question, the other bot, the webhook, the notice and MEMBER arrived


async def test_replies_in_a_thread_the_bot_did_not_open_are_ignored(discord_daily: DiscordWorld) -> None:
    """Someone else's thread in the channel costs nothing: its replies are not written anywhere."""
    thread = await discord_daily.question_thread()
    theirs = await discord_daily.fake.add_thread(CHANNEL, MEMBER)
    await discord_daily.fake.user_message(int(theirs["id"]), CONFIGURED)
    await discord_daily.answered_by(thread, MEMBER)  # handled after the other
    assert await discord_daily.store.replied_threads(user_key(CONFIGURED)) == set()


async def test_message_text_is_never_requested_or_received(discord_daily: DiscordWorld) -> None:
    """Without the privileged MESSAGE_CONTENT intent a reply arrives without its text, and still counts."""
    thread = await discord_daily.question_thread()
    await discord_daily.fake.user_message(thread, MEMBER, "my private reasoning")
    await discord_daily.counted(thread, MEMBER)
    events = discord_daily.fake.events
    (event,) = [d for e, d in events if e == "MESSAGE_CREATE" and d["author"]["id"] == MEMBER.id]
    assert event["content"] == ""


async def test_a_thread_opened_before_a_restart_still_counts_replies(discord_daily: DiscordWorld) -> None:
    """After a restart the thread's parent comes from GUILD_CREATE's active threads."""
    thread = await discord_daily.question_thread()
    async with discord_daily.restarted():
        await discord_daily.answered_by(thread, MEMBER)


# Rating ---------------------------------------------------------------------------------------------


async def test_the_reveal_has_the_three_rating_buttons(discord_daily: DiscordWorld) -> None:
    """Nailed it · Partly · Missed it under the answer, each naming the post and the question."""
    answer = await discord_daily.revealed_answer()
    (row,) = answer["components"]
    assert [b["label"] for b in row["components"]] == ["Nailed it", "Partly", "Missed it"]
    (post,) = await discord_daily.store.destination_posts(where())
    assert all(
        re.fullmatch(rf"mlq:rt:[npm]:p{post.id}:{post.question_id}", c) for c in custom_ids(answer)
    )  # post ids below 10 read the same in base 36


async def test_a_rating_is_recorded_for_the_person_who_clicked(discord_daily: DiscordWorld) -> None:
    """A click answers privately and stores the clicker's rating for that post."""
    answer = await discord_daily.revealed_answer()
    sent = await discord_daily.fake.click(answer, rate_button(answer, "nailed"), MEMBER)
    reply = await discord_daily.fake.reply_to(sent)
    (post,) = await discord_daily.store.destination_posts(where())
    (rating,) = await discord_daily.store.user_ratings(user_key(MEMBER))
    assert (rating.rating, rating.context, rating.post_id) == ("nailed", f"post:{post.id}", post.id)
    assert discord_daily.fake.callback(sent).body["data"]["flags"] == EPHEMERAL
    assert (
        re.match(r"Recorded \**Nailed it\**", reply["content"]) and "`/mlquestion-review`" in reply["content"]
    )


async def test_a_second_click_changes_the_rating(discord_daily: DiscordWorld) -> None:
    """Nailed it, then Missed it on the same answer: one rating, now missed; the card was re-planned."""
    answer = await discord_daily.revealed_answer()
    await discord_daily.rate(answer, "nailed", MEMBER)
    first = await discord_daily.store.review_card(user_key(MEMBER), answer_question(answer))
    reply = await discord_daily.rate(answer, "missed", MEMBER)
    (rating,) = await discord_daily.store.user_ratings(user_key(MEMBER))
    card = await discord_daily.store.review_card(user_key(MEMBER), answer_question(answer))
    assert rating.rating == "missed" and re.match(r"Changed your rating to \**Missed it\**", reply["content"])
    assert first is not None and card is not None and card.due < first.due


def answer_question(message: dict[str, Any]) -> str:
    return custom_ids(message)[0].rsplit(":", 1)[1]


async def test_another_persons_click_records_only_their_own_rating(discord_daily: DiscordWorld) -> None:
    """Everyone clicks the same public buttons; each click is stored under the clicker only."""
    answer = await discord_daily.revealed_answer()
    await discord_daily.rate(answer, "nailed", MEMBER)
    await discord_daily.rate(answer, "missed", CONFIGURED)
    assert [r.rating for r in await discord_daily.store.user_ratings(user_key(MEMBER))] == ["nailed"]
    assert [r.rating for r in await discord_daily.store.user_ratings(user_key(CONFIGURED))] == ["missed"]


async def test_rating_buttons_work_after_a_restart(discord_daily: DiscordWorld) -> None:
    """A click on yesterday's reveal is handled by a freshly started process."""
    answer = await discord_daily.revealed_answer()
    async with discord_daily.restarted():
        await discord_daily.rate(answer, "partly", MEMBER)
    assert [r.rating for r in await discord_daily.store.user_ratings(user_key(MEMBER))] == ["partly"]


async def test_show_answer_on_an_asked_question_has_rating_buttons(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    """The private model answer of `/mlquestion` carries the buttons, dated today (`ask:`)."""
    asked = await fake_discord.reply_to(await fake_discord.command("mlquestion", MEMBER, CHANNEL))
    answer = await fake_discord.reply_to(await fake_discord.click(asked, custom_ids(asked)[0], MEMBER))
    question = custom_ids(asked)[0].removeprefix("mlq:answer:")
    today = clock.now().strftime("%Y%m%d")
    assert custom_ids(answer) == [f"mlq:rt:{c}:a{today}:{question}" for c in "npm"]
    assert answer["flags"] & EPHEMERAL


def test_the_longest_rating_custom_id_fits_and_reads_back() -> None:
    """An 81-character question id with the largest post id, or a date, stays within 100 characters."""
    for context in ("post:999999999999", "ask:2026-11-25", "review:2026-11-25", "post:7"):
        assert decode_context(encode_context(context)) == context
        components = rating_view(RatingPrompt("a" * 81, context)).to_components()
        assert message_problems({"components": components}) == []


def test_a_context_that_cannot_go_in_a_button_leaves_the_buttons_out() -> None:
    """An answer whose rating context this adapter does not know still renders, without ratings."""
    card = AnswerCard("keras-easy", "T", (("Answer", "x"),), rating=RatingPrompt("keras-easy", "later:1"))
    assert view_for(card) is None


# Reviews -------------------------------------------------------------------------------------------


async def rate_asked_question(fake: FakeDiscord, user: Member, choice: str) -> str:
    """`/mlquestion`, Show answer, then a rating; return the question id."""
    asked = await fake.reply_to(await fake.command("mlquestion", user, CHANNEL))
    answer = await fake.reply_to(await fake.click(asked, custom_ids(asked)[0], user))
    await fake.reply_to(await fake.click(answer, rate_button(answer, choice), user))
    return custom_ids(asked)[0].removeprefix("mlq:answer:")


async def test_review_brings_back_an_overdue_question_days_later(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    """Missed it today → two days later `/mlquestion-review` shows that question privately, with
    Show answer (as a review), Check my answer and the rating buttons, all dated that day."""
    question = await rate_asked_question(fake_discord, MEMBER, "missed")
    clock.advance(timedelta(days=2))
    sent = await fake_discord.command("mlquestion-review", MEMBER, CHANNEL)
    reply = await fake_discord.reply_to(sent)
    (embed,) = reply["embeds"]
    today = clock.now().strftime("%Y%m%d")
    assert fake_discord.callback(sent).body["data"]["flags"] == EPHEMERAL
    assert embed["author"]["name"] == "Review" and embed["title"] == f"Title of {question}"
    assert "Due for review since <t:" in embed["description"]
    assert custom_ids(reply) == [f"mlq:review:{question}", f"mlq:ck:r{today}:{question}"] + [
        f"mlq:rt:{c}:r{today}:{question}" for c in "npm"
    ]


async def test_show_answer_on_a_review_rates_as_a_review(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore, clock: FakeClock
) -> None:
    """The review card's Show answer gives the answer with `review:` buttons; rating it counts."""
    question = await rate_asked_question(fake_discord, MEMBER, "missed")
    clock.advance(timedelta(days=2))
    card = await fake_discord.reply_to(await fake_discord.command("mlquestion-review", MEMBER, CHANNEL))
    answer = await fake_discord.reply_to(await fake_discord.click(card, f"mlq:review:{question}", MEMBER))
    assert answer["embeds"][0]["title"] == f"Model answer: Title of {question}"
    await fake_discord.reply_to(await fake_discord.click(answer, rate_button(answer, "nailed"), MEMBER))
    contexts = [r.context for r in await discord_store.user_ratings(user_key(MEMBER))]
    assert contexts == [f"ask:{POST_AT:%Y-%m-%d}", f"review:{clock.now():%Y-%m-%d}"]


async def test_review_with_nothing_due_says_when_the_next_one_is(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    """Nailed it today: nothing is due yet, and the reply says in how many days."""
    await rate_asked_question(fake_discord, MEMBER, "nailed")
    reply = await fake_discord.reply_to(await fake_discord.command("mlquestion-review", MEMBER, CHANNEL))
    assert reply["flags"] & EPHEMERAL
    assert re.search(
        r"Nothing to review right now\. Your next review is due within (a day|\d+ days)", reply["content"]
    )
    assert custom_ids(reply) == []


# Stats and leaderboards ----------------------------------------------------------------------------


async def test_stats_are_private(discord_daily: DiscordWorld) -> None:
    """`/mlquestion-stats` answers only the caller (flag 64) with their streak and answers."""
    thread = await discord_daily.question_thread()
    await discord_daily.answered_by(thread, MEMBER)
    sent = await discord_daily.fake.command("mlquestion-stats", MEMBER, CHANNEL)
    reply = await discord_daily.fake.reply_to(sent)
    assert discord_daily.fake.callback(sent).body["data"]["flags"] == EPHEMERAL
    (embed,) = reply["embeds"]
    assert embed["title"] == "Your practice"
    assert "**Streak** 1 in a row (longest 1)" in embed["description"]
    assert "**Answered** 1 in question threads" in embed["description"]


async def test_the_leaderboard_leaves_out_someone_who_opted_out(discord_daily: DiscordWorld) -> None:
    """Two people answered; one opts out; the public board names the other without notifying them."""
    fake = discord_daily.fake
    thread = await discord_daily.question_thread()
    await discord_daily.answered_by(thread, MEMBER, CONFIGURED)
    optout = await fake.reply_to(
        await fake.command("mlquestion-leaderboard-optout", CONFIGURED, CHANNEL, optout="on")
    )
    sent = await fake.command("mlquestion-leaderboard", MEMBER, CHANNEL, period="week")
    board = await fake.reply_to(sent)
    assert optout["flags"] & EPHEMERAL and "off the leaderboards" in optout["content"]
    assert not board["flags"] & EPHEMERAL
    assert f"1. <@{MEMBER.id}> · 1 question" in board["content"] and CONFIGURED.id not in board["content"]
    assert fake.callback(sent).body["data"]["allowed_mentions"]["parse"] == []
    assert "`/mlquestion-leaderboard-optout on`" in board["content"]


# Suggestions --------------------------------------------------------------------------------------


async def test_suggest_opens_a_form_with_question_answer_topic_and_difficulty(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """A MODAL callback (type 9): four labelled text inputs, question and answer as required paragraphs."""
    data = await fake_discord.form_opened(await fake_discord.command("mlquestion-suggest", MEMBER, CHANNEL))
    assert data["custom_id"] == "mlq:suggest" and data["title"]
    inputs = {c["component"]["custom_id"]: c["component"] for c in data["components"]}
    assert list(inputs) == ["question", "answer", "topic", "difficulty"]
    assert [inputs[k]["style"] for k in inputs] == [2, 2, 1, 1]  # paragraph, paragraph, short, short
    assert [inputs[k]["required"] for k in inputs] == [True, True, False, False]
    assert (inputs["question"]["max_length"], inputs["answer"]["max_length"]) == (3000, 4000)


async def test_a_submitted_suggestion_is_stored(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    """MODAL_SUBMIT (interaction type 5) → stored with who suggested it; a private thank-you."""
    values = {"question": "What is dropout?", "answer": "Randomly zeroing units.", "topic": "keras"}
    sent = await fake_discord.submit_form("mlq:suggest", values | {"difficulty": ""}, MEMBER, CHANNEL)
    reply = await fake_discord.reply_to(sent)
    (suggestion,) = await discord_store.list_suggestions()
    assert (suggestion.question, suggestion.answer, suggestion.topic) == (
        "What is dropout?",
        "Randomly zeroing units.",
        "keras",
    )
    assert suggestion.user_key == user_key(MEMBER) and suggestion.difficulty is None
    assert reply["flags"] & EPHEMERAL and f"Suggestion #{suggestion.id} is saved" in reply["content"]


async def test_an_empty_answer_is_refused_and_the_text_given_back(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    """Nothing is stored; the private error names the problem and a follow-up holds what was typed."""
    question = "Explain **batch norm** in two lines."
    values = {"question": question, "answer": "   ", "topic": "keras", "difficulty": "hard"}
    sent = await fake_discord.submit_form("mlq:suggest", values, MEMBER, CHANNEL)
    reply = await fake_discord.reply_to(sent)
    (echo,) = await fake_discord.wait_calls("POST", rf"/webhooks/\d+/{sent.token}")
    assert await discord_store.list_suggestions() == []
    assert reply["flags"] & EPHEMERAL and "the answer is empty" in reply["content"]
    assert echo.body["flags"] & EPHEMERAL
    assert "topic `keras`" in echo.body["content"] and "difficulty `hard`" in echo.body["content"]
    assert echo.body["embeds"][0]["description"] == f"```\n{question}\n```"


async def test_a_form_submitted_after_a_restart_is_stored(discord_world: DiscordWorld) -> None:
    """The form is read from the submit itself, so one opened before a restart still arrives."""
    fake = discord_world.fake
    await fake.form_opened(await fake.command("mlquestion-suggest", MEMBER, CHANNEL))
    async with discord_world.restarted():
        values = {"question": "Why a validation set?", "answer": "To choose without peeking."}
        await fake.reply_to(await fake.submit_form("mlq:suggest", values, MEMBER, CHANNEL))
    assert [s.question for s in await discord_world.store.list_suggestions()] == ["Why a validation set?"]


# Subscription options -----------------------------------------------------------------------------


async def test_subscribe_options_map_onto_the_core(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    """holidays, skip (commas and spaces), mentions off and weekly on land in the subscription."""
    options = {"holidays": "DE", "skip": "2026-12-24, 2026-12-31", "mentions": "off", "weekly": "on"}
    await fake_discord.reply_to(
        await fake_discord.command("mlquestion-channel", ADMIN, CHANNEL, "subscribe", **options)
    )
    subscription = await discord_store.get_subscription(where())
    assert subscription is not None
    skip = subscription.schedule.skip
    assert skip.country == "DE" and {d.isoformat() for d in skip.dates} == {"2026-12-24", "2026-12-31"}
    assert subscription.options == SubscriptionOptions(mention_participants=False, weekly_summary=True)


async def test_settings_show_a_holiday(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    """With `holidays: GB`, settings list the skip rule and Christmas Day among the days skipped soon."""
    await fake_discord.reply_to(
        await fake_discord.command("mlquestion-channel", ADMIN, CHANNEL, "subscribe", holidays="GB")
    )
    reply = await fake_discord.reply_to(
        await fake_discord.command("mlquestion-channel", MEMBER, CHANNEL, "settings")
    )
    description = reply["embeds"][0]["description"]
    assert "**Skips**" in description and "GB" in description
    assert "2026-12-25: Christmas Day" in description
    assert "**Options**" in description


async def test_a_bad_holiday_country_is_refused_naming_it(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    """The core checks the country code; the private reply names it and nothing is saved."""
    reply = await fake_discord.reply_to(
        await fake_discord.command("mlquestion-channel", ADMIN, CHANNEL, "subscribe", holidays="Narnia")
    )
    assert reply["flags"] & EPHEMERAL and "Narnia" in reply["content"]
    assert await discord_store.get_subscription(where()) is None


# Linked accounts -------------------------------------------------------------------------------------


async def test_a_code_from_slack_links_the_discord_account_to_the_same_review_schedule(
    discord_bot: DiscordAdapter,
    discord_service: PracticeService,
    discord_store: SqlStore,
    fake_discord: FakeDiscord,
) -> None:
    """`/mlquestion link` on Slack gives a code; `/mlquestion-link code:…` here joins that schedule."""
    slack = Invocation(Destination("slack", "C1", "T1"), "U1")
    [made] = await discord_service.handle_command(slack, "link")
    code = str(made.message).split("/mlquestion link ")[1].split("`")[0]
    reply = await fake_discord.reply_to(
        await fake_discord.command("mlquestion-link", MEMBER, CHANNEL, code=code)
    )
    assert reply["flags"] & EPHEMERAL and reply["content"].startswith("Linked")
    assert await discord_store.person_of(user_key(MEMBER)) == "slack:T1:U1"


async def test_a_link_code_made_on_discord_names_the_discord_command(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    reply = await fake_discord.reply_to(await fake_discord.command("mlquestion-link", MEMBER, CHANNEL))
    assert reply["flags"] & EPHEMERAL
    assert re.search(r"run `/mlquestion-link code:[A-Z2-9]{8}` there within 10 minutes", reply["content"])
