"""Check my answer on Discord: the button on every question card, the answer form it opens, private
feedback with the suggested rating pre-chosen, ratings recorded, refusals shown privately, and the
answer kept out of the store and the logs — through discord.py and the fake Discord."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import discord
import pytest

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.components import view_for
from adapters.discord.forms import AnswerModal
from adapters.discord.render import render
from bot.messages import AnswerCard, AnswerForm, FeedbackCard, RatingPrompt
from bot.schedule.clock import FakeClock
from bot.store import SqlStore
from bot.store.transfer import export_store
from tests.adapters.discord.feedback_support import (
    GOOD,
    answer,
    bodies,
    buttons,
    check_button,
    holding,
    open_form,
    rate_button,
    replies_until_buttons,
    text_of,
)
from tests.support.discord_support import (
    CHANNEL,
    GUILD,
    MEMBER,
    POST_AT,
    DiscordWorld,
    assert_fits,
    custom_ids,
    where,
)
from tests.support.fake_discord import EPHEMERAL, FakeDiscord, message_problems, modal_problems

PRIMARY, SECONDARY = discord.ButtonStyle.primary.value, discord.ButtonStyle.secondary.value


async def asked(fake: FakeDiscord) -> dict[str, object]:
    """MEMBER's private `/mlquestion keras easy` card."""
    sent = await fake.command("mlquestion", MEMBER, CHANNEL, topic="keras", difficulty="easy")
    return await fake.reply_to(sent)


# The button on every card ---------------------------------------------------------------------------


async def test_the_daily_question_has_a_check_button_naming_its_post(discord_daily: DiscordWorld) -> None:
    """The 09:00 card carries "Check my answer"; its custom_id names the post and the question."""
    question = await discord_daily.post_question()
    (post,) = await discord_daily.store.destination_posts(where())
    (button,) = buttons(question)
    assert (button["label"], button["custom_id"]) == (
        "Check my answer",
        f"mlq:ck:p{post.id}:{post.question_id}",
    )
    assert "**Check my answer** gives you private feedback" in question["embeds"][0]["description"]


async def test_an_asked_question_has_a_check_button_dated_today(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """`/mlquestion`'s private card: Show answer, Post to channel, then Check my answer (`ask:` today)."""
    card = await asked(fake_discord)
    assert [b["label"] for b in buttons(card)] == [
        "Show answer (only me)",
        "Post to channel",
        "Check my answer",
    ]
    assert check_button(card) == f"mlq:ck:a{POST_AT:%Y%m%d}:keras-easy"


async def test_a_shared_question_has_a_check_button_naming_its_post(
    discord_bot: DiscordAdapter, discord_store: SqlStore, fake_discord: FakeDiscord
) -> None:
    """A question posted to the channel with `share` carries the button, tied to its post."""
    await fake_discord.reply_to(await fake_discord.command("mlquestion", MEMBER, CHANNEL, share=True))
    (posted,) = fake_discord.in_channel(CHANNEL)
    (custom_id,) = custom_ids(posted)
    code, question_id = custom_id.removeprefix("mlq:ck:p").split(":")
    post = await discord_store.get_post(int(code, 36))
    assert post is not None and post.question_id == question_id and post.shared_by == MEMBER.id


async def test_a_review_card_has_a_check_button_rated_as_a_review(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, clock: FakeClock
) -> None:
    """Missed it today → in two days the review card offers Check my answer, dated that day (`review:`)."""
    card = await asked(fake_discord)
    shown = await fake_discord.reply_to(await fake_discord.click(card, "mlq:answer:keras-easy", MEMBER))
    await fake_discord.reply_to(await fake_discord.click(shown, rate_button(shown, "missed"), MEMBER))
    clock.advance(timedelta(days=2))
    review = await fake_discord.reply_to(await fake_discord.command("mlquestion-review", MEMBER, CHANNEL))
    assert check_button(review) == f"mlq:ck:r{clock.now():%Y%m%d}:keras-easy"


# The form -------------------------------------------------------------------------------------------


async def test_the_button_opens_the_answer_form(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """A click answers with a form (callback 9) titled "Check my answer": one required paragraph of
    up to 4,000 characters, labelled with the question's title."""
    form = await open_form(fake_discord, await asked(fake_discord), MEMBER)
    (label,) = form["components"]
    field = label["component"]
    assert form["title"] == "Check my answer" and form["custom_id"] == f"mlq:af:a{POST_AT:%Y%m%d}:keras-easy"
    assert label["label"] == "Title of keras-easy"
    assert (field["style"], field["max_length"], field["required"]) == (2, 4000, True)


def test_a_long_title_is_clipped_to_the_45_characters_of_a_label() -> None:
    """The form's label is the question's title, clipped within Discord's 45 characters."""
    title = "Why does fitting a scaler on the whole dataset leak information into validation?"
    modal = AnswerModal(AnswerForm("a" * 81, title, "mock:9999999999:7", 4000))
    data = modal.to_dict()
    assert modal_problems(data) == []
    label = data["components"][0]["label"]
    assert len(label) <= 45 and label.endswith("…") and title.startswith(label[:-1].rstrip())


# Feedback -------------------------------------------------------------------------------------------


async def test_a_submitted_answer_gets_private_feedback_on_its_key_points(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Feedback comes back only to the person: ✓ for the points covered, ✗ for the one missed, the
    suggested rating, then the model answer."""
    sent = await answer(fake_discord, await asked(fake_discord), MEMBER, GOOD)
    replies = await replies_until_buttons(fake_discord, sent)
    assert all(body["flags"] == EPHEMERAL for body in replies)
    feedback, model = replies
    assert feedback["embeds"][0]["title"] == "Feedback on your answer: Title of keras-easy"
    text = text_of(feedback)
    assert "✓ Scale features for distance-based models" in text
    assert "✓ Fit the scaler on the training data only" in text
    assert "✗ Tree models do not need scaling" in text
    assert "Suggested rating: **Nailed it** (2 of 3 key points)" in text
    assert model["embeds"][0]["title"] == "Model answer: Title of keras-easy"


async def test_the_suggested_rating_is_the_pre_chosen_button(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Under the feedback, Nailed it (suggested) is primary and the others secondary; all dated today."""
    sent = await answer(fake_discord, await asked(fake_discord), MEMBER, GOOD)
    last = (await replies_until_buttons(fake_discord, sent))[-1]
    styles = {b["label"]: (b["style"], b["custom_id"]) for b in buttons(last)}
    day = f"{POST_AT:%Y%m%d}"
    assert styles == {
        "Nailed it": (PRIMARY, f"mlq:rt:n:a{day}:keras-easy"),
        "Partly": (SECONDARY, f"mlq:rt:p:a{day}:keras-easy"),
        "Missed it": (SECONDARY, f"mlq:rt:m:a{day}:keras-easy"),
    }


async def test_clicking_a_rating_under_the_feedback_records_it(
    discord_bot: DiscordAdapter, discord_store: SqlStore, fake_discord: FakeDiscord
) -> None:
    """The click records the clicker's rating (with the feedback's context) and says so privately."""
    sent = await answer(fake_discord, await asked(fake_discord), MEMBER, GOOD)
    await replies_until_buttons(fake_discord, sent)
    nailed = f"mlq:rt:n:a{POST_AT:%Y%m%d}:keras-easy"
    reply = await fake_discord.reply_to(
        await fake_discord.click(holding(fake_discord, nailed), nailed, MEMBER)
    )
    (rating,) = await discord_store.user_ratings(f"discord:{GUILD}:{MEMBER.id}")
    assert (rating.question_id, rating.rating, rating.context) == (
        "keras-easy",
        "nailed",
        f"ask:{POST_AT:%Y-%m-%d}",
    )
    assert reply["flags"] & EPHEMERAL and "Recorded **Nailed it**" in reply["content"]


async def test_feedback_on_the_daily_question_rates_that_post(discord_daily: DiscordWorld) -> None:
    """Checked from the daily card, the feedback's ratings carry the post: the rating counts for it."""
    fake = discord_daily.fake
    question = await discord_daily.post_question()
    (post,) = await discord_daily.store.destination_posts(where())
    last = (await replies_until_buttons(fake, await answer(fake, question, MEMBER, GOOD)))[-1]
    partly = rate_button(last, "partly")
    await fake.reply_to(await fake.click(holding(fake, partly), partly, MEMBER))
    (rating,) = await discord_daily.store.user_ratings(f"discord:{GUILD}:{MEMBER.id}")
    assert (rating.rating, rating.post_id) == ("partly", post.id)


def test_long_feedback_and_a_long_model_answer_are_split_within_discord_limits() -> None:
    """Feedback of 12,000 characters, a 15,000-character model answer and a long follow-up become
    several messages, each within Discord's limits, the progress above the first."""
    body = "\n".join(f"✓ Key point {n} — you said “{'words that matched ' * 8}”" for n in range(70))
    long_answer = AnswerCard(
        "keras-easy", "T" * 300, tuple((f"Part {n}", "A sentence. " * 420) for n in range(3))
    )
    card = FeedbackCard(
        "keras-easy",
        "T" * 300,
        body,
        long_answer,
        RatingPrompt("keras-easy", "mock:12:1", suggested="partly"),
        follow_up="Why? " * 1000,
        progress="Question 2 of 5 · mock interview",
    )
    messages = render(card)
    assert len(messages) >= 7 and messages[0].content == card.progress
    for message in messages:
        assert_fits(message)
    view = view_for(card)
    assert view is not None and message_problems({"components": view.to_components()}) == []


# Refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("empty", ["", "   \n\t  "])
async def test_an_empty_answer_is_refused_privately(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, empty: str
) -> None:
    """Nothing (or only spaces) submitted: a private "Your answer is empty", no feedback."""
    sent = await answer(fake_discord, await asked(fake_discord), MEMBER, empty)
    reply = await fake_discord.reply_to(sent)
    assert reply["flags"] & EPHEMERAL and "Your answer is empty" in reply["content"]
    assert len(bodies(fake_discord, sent)) == 1


async def test_a_button_for_a_question_no_longer_in_the_bank_says_so_privately(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """A stale button (its question removed from the bank) opens no form: a private notice instead."""
    card = await asked(fake_discord)
    stale = f"mlq:ck:a{POST_AT:%Y%m%d}:removed-question"
    # The same card as it was posted before its question left the bank (and the bot restarted).
    old_card = json.loads(json.dumps(card).replace(check_button(card), stale))
    sent = await fake_discord.click(old_card, stale, MEMBER)
    reply = await fake_discord.reply_to(sent)
    assert fake_discord.callback(sent).body["type"] == 4
    assert reply["flags"] & EPHEMERAL and "`removed-question` is no longer in the bank" in reply["content"]


@pytest.mark.parametrize(
    ("custom_id", "says"),
    [
        ("mlq:af:p9zz:keras-easy", "belongs to no question I posted; nothing was checked"),
        ("mlq:af:a20991231:keras-easy", "is in the future; nothing was checked"),
        ("mlq:af:m1z0:keras-easy", "someone else's mock interview"),
    ],
)
async def test_a_forged_form_is_refused_privately(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, custom_id: str, says: str
) -> None:
    """A submitted form naming a post, a date or a mock interview the bot never gave this person:
    a private refusal, no feedback, no traceback."""
    sent = await fake_discord.submit_form(custom_id, {"answer": GOOD}, MEMBER, CHANNEL)
    reply = await fake_discord.reply_to(sent)
    assert reply["flags"] & EPHEMERAL and says in reply["content"]


async def test_a_form_that_is_not_ours_is_ignored(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """An answer form id that does not parse is no answer form: nothing is checked or sent."""
    await fake_discord.submit_form("mlq:af:bogus", {"answer": GOOD}, MEMBER, CHANNEL)
    await fake_discord.reply_to(await fake_discord.command("mlquestion", MEMBER, CHANNEL))  # handled after it
    assert not fake_discord.calls_to("POST", r"/webhooks/.*")
    assert len(fake_discord.calls_to("POST", r"/interactions/.*")) == 1


# Privacy --------------------------------------------------------------------------------------------


async def test_the_answer_is_never_stored_or_logged(
    discord_bot: DiscordAdapter,
    discord_store: SqlStore,
    fake_discord: FakeDiscord,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An answer carrying a unique marker is checked and rated at DEBUG: the marker is in no log
    record (discord.py's gateway and HTTP lines included) and nowhere in the exported store."""
    marker = "zq7-private-marker-41x"
    with caplog.at_level(logging.DEBUG):
        card = await asked(fake_discord)
        sent = await answer(fake_discord, card, MEMBER, f"{GOOD} Also {marker} matters.")
        last = (await replies_until_buttons(fake_discord, sent))[-1]
        nailed = rate_button(last, "nailed")
        await fake_discord.reply_to(await fake_discord.click(holding(fake_discord, nailed), nailed, MEMBER))
    assert "INTERACTION_CREATE (op 0" in caplog.text  # discord.py logged the gateway at DEBUG...
    for record in caplog.records:  # ...but no record holds the answer, in its message or its arguments
        assert marker not in record.getMessage() and marker not in repr(record.args)
        assert marker not in (caplog.handler.format(record))
    assert marker not in json.dumps(await export_store(discord_store))
    assert len(await discord_store.user_ratings(f"discord:{GUILD}:{MEMBER.id}")) == 1
