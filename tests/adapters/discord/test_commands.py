"""`/mlquestion` on Discord: private questions, filters, sharing, and the buttons under them."""

from __future__ import annotations

import re

import pytest

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.components import question_view
from bot.content.loader import ID_PATTERN
from tests.support.discord_support import CHANNEL, MEMBER, POST_AT, DiscordWorld, custom_ids
from tests.support.fake_discord import EPHEMERAL, FakeDiscord, message_problems


async def test_ask_answers_privately_at_once_with_the_question_and_its_buttons(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """No options: one private reply (type 4, flag 64) holding the question embed and three buttons:
    Show answer, Post to channel and Check my answer (its feedback rated as today's `ask`)."""
    sent = await fake_discord.command("mlquestion", MEMBER, CHANNEL)
    reply = await fake_discord.reply_to(sent)
    callback = fake_discord.callback(sent).body
    assert callback["type"] == 4 and callback["data"]["flags"] == EPHEMERAL
    assert reply["flags"] & EPHEMERAL
    (embed,) = reply["embeds"]
    question_id = custom_ids(reply)[0].removeprefix("mlq:answer:")
    assert embed["title"] == f"Title of {question_id}"
    today = POST_AT.strftime("%Y%m%d")
    assert custom_ids(reply) == [
        f"mlq:answer:{question_id}",
        f"mlq:share:{question_id}",
        f"mlq:ck:a{today}:{question_id}",
    ]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"topic": "keras"}, r"keras-(easy|medium|hard)"),
        ({"difficulty": "hard"}, r"(keras|tensorflow|scikit-learn)-hard"),
        ({"topic": "scikit-learn", "difficulty": "medium"}, r"scikit-learn-medium"),
    ],
)
async def test_ask_with_filters_draws_a_matching_question(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, options: dict[str, str], expected: str
) -> None:
    """`topic` and `difficulty` (alone or together) filter the question drawn."""
    sent = await fake_discord.command("mlquestion", MEMBER, CHANNEL, **options)
    reply = await fake_discord.reply_to(sent)
    question_id = custom_ids(reply)[0].removeprefix("mlq:answer:")
    assert re.fullmatch(expected, question_id)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        # Not one of the option's choices: the registration is not this code's (or the payload forged).
        ({"topic": "astrology"}, "This command changed — an admin should run `mlq discord sync`"),
        ({"topic": "statistics-maths"}, "No question matches statistics-maths"),
    ],
)
async def test_a_bad_option_gets_a_clear_private_error(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, options: dict[str, str], says: str
) -> None:
    """An unknown topic, or one the bank has no question for, is a private error naming it."""
    sent = await fake_discord.command("mlquestion", MEMBER, CHANNEL, **options)
    reply = await fake_discord.reply_to(sent)
    assert reply["flags"] & EPHEMERAL
    assert "⚠️" in reply["content"] and says in reply["content"]
    assert fake_discord.in_channel(CHANNEL) == []


async def test_share_true_posts_the_question_publicly_with_a_thread(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """`share: true` posts the question to the channel at once, opens its thread, tells the caller."""
    sent = await fake_discord.command("mlquestion", MEMBER, CHANNEL, share=True)
    reply = await fake_discord.reply_to(sent)
    (posted,) = fake_discord.in_channel(CHANNEL)
    assert f"Shared by <@{MEMBER.id}>" in posted["embeds"][0]["description"]
    assert posted["thread"]["thread_metadata"]["auto_archive_duration"] == 1440
    assert reply["flags"] & EPHEMERAL and "Posted to the channel" in reply["content"]


async def test_show_answer_replies_privately_with_the_model_answer(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Clicking "Show answer (only me)" answers with the model answer, visible to the clicker only."""
    asked = await fake_discord.reply_to(
        await fake_discord.command("mlquestion", MEMBER, CHANNEL, topic="keras")
    )
    answer_button = custom_ids(asked)[0]
    sent = await fake_discord.click(asked, answer_button, MEMBER)
    reply = await fake_discord.reply_to(sent)
    question_id = answer_button.removeprefix("mlq:answer:")
    assert fake_discord.callback(sent).body["data"]["flags"] == EPHEMERAL
    assert reply["embeds"][0]["title"] == f"Model answer: Title of {question_id}"
    assert "**Short answer**" in reply["embeds"][0]["description"]


async def test_post_to_channel_posts_once_per_message(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Two clicks on the same message's "Post to channel" post the question once."""
    asked = await fake_discord.reply_to(await fake_discord.command("mlquestion", MEMBER, CHANNEL))
    share_button = custom_ids(asked)[1]
    first = await fake_discord.reply_to(await fake_discord.click(asked, share_button, MEMBER))
    second = await fake_discord.reply_to(await fake_discord.click(asked, share_button, MEMBER))
    assert len(fake_discord.in_channel(CHANNEL)) == 1
    assert "Posted to the channel" in first["content"]
    assert "already posted" in second["content"]


async def test_a_button_works_after_a_restart(discord_world: DiscordWorld) -> None:
    """A click on a message the previous process posted is handled by a freshly started adapter."""
    fake = discord_world.fake
    asked = await fake.reply_to(await fake.command("mlquestion", MEMBER, CHANNEL))
    async with discord_world.restarted():
        reply = await fake.reply_to(await fake.click(asked, custom_ids(asked)[0], MEMBER))
    assert reply["embeds"][0]["title"].startswith("Model answer: ")
    assert len(fake.identifies) == 2


def test_the_longest_question_id_fits_a_button_custom_id() -> None:
    """The bank allows 81-character ids; both buttons' custom_ids stay within Discord's 100."""
    longest = "a" * 81
    assert ID_PATTERN.match(longest) and not ID_PATTERN.match(longest + "a")
    components = question_view(longest).to_components()
    assert message_problems({"components": components}) == []
