"""What a Discord payload carries is checked, through discord.py and the fake Discord: option types
and choices against the commands' definitions, out-of-date registrations answered in one line,
rating clicks tied to their channel and a real date, text cleaned, echoes and lists kept short."""

from __future__ import annotations

import copy
import logging
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.content.bank import Filters
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.schedule.skip_days import SkipDays
from bot.store import SqlStore
from tests.support.discord_support import (
    ADMIN,
    CHANNEL,
    MEMBER,
    OTHER_CHANNEL,
    REVEAL_AT,
    DiscordWorld,
    custom_ids,
    where,
)
from tests.support.fake_discord import EPHEMERAL, FakeDiscord, message_problems

CHANGED = "This command changed — an admin should run `mlq discord sync`"
ADMIN_COMMAND = "mlquestion-channel"


def user_key(user: Any) -> str:
    return f"discord:{where().workspace_id}:{user.id}"


async def revealed_answer(world: DiscordWorld) -> dict[str, Any]:
    """Post CHANNEL's 09:00 question and reveal it; return the answer message in its thread."""
    thread = await world.question_thread()
    await world.run_due_at(REVEAL_AT)
    (answer,) = world.fake.in_channel(thread)
    return answer


# Option types and out-of-date registrations -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "subcommand", "options"),
    [
        ("mlquestion", None, {"share": "no"}),  # a string where a boolean is expected
        ("mlquestion", None, {"share": 1}),
        ("mlquestion", None, {"topic": "astrology"}),  # not one of the choices
        ("mlquestion", None, {"colour": "red"}),  # an option the command does not have
        ("mlquestion-leaderboard", None, {"period": "decade"}),
        ("mlquestion-leaderboard-optout", None, {"optout": "maybe"}),
        ("mlquestion-leaderboard-optout", None, {}),  # its required option is missing
        (ADMIN_COMMAND, "subscribe", {"mentions": True}),
        (ADMIN_COMMAND, None, {}),  # a group cannot run bare
        ("mlquestion-old", None, {}),  # removed since the registration
        (ADMIN_COMMAND, "frobnicate", {}),
    ],
)
async def test_an_out_of_date_or_forged_command_runs_nothing_and_says_to_sync(
    discord_bot: DiscordAdapter,
    fake_discord: FakeDiscord,
    discord_store: SqlStore,
    caplog: pytest.LogCaptureFixture,
    name: str,
    subcommand: str | None,
    options: dict[str, Any],
) -> None:
    """Nothing is posted or saved; a private reply names the fix; one WARNING line, no traceback."""
    with caplog.at_level(logging.INFO):
        sent = await fake_discord.command(name, ADMIN, CHANNEL, subcommand, **options)
        reply = await fake_discord.reply_to(sent)
    assert reply["flags"] & EPHEMERAL and CHANGED in reply["content"]
    assert fake_discord.in_channel(CHANNEL) == []
    assert await discord_store.get_subscription(where()) is None
    ours = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(ours) == 1 and ours[0].levelno == logging.WARNING and ours[0].exc_info is None
    assert "mlq discord sync" in ours[0].getMessage()


async def test_share_true_as_a_boolean_still_posts(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    await fake_discord.reply_to(await fake_discord.command("mlquestion", MEMBER, CHANNEL, share=True))
    assert len(fake_discord.in_channel(CHANNEL)) == 1


# Rating clicks ------------------------------------------------------------------------------------


async def test_a_rating_click_from_another_channel_is_refused(discord_daily: DiscordWorld) -> None:
    """CHANNEL's rating button, forged into OTHER_CHANNEL: nothing recorded, no leaderboard place there."""
    fake = discord_daily.fake
    answer = await revealed_answer(discord_daily)
    nailed = next(c for c in custom_ids(answer) if c.startswith("mlq:rt:n:"))
    elsewhere = answer | {"channel_id": str(OTHER_CHANNEL)}
    reply = await fake.reply_to(await fake.click(elsewhere, nailed, MEMBER))
    assert reply["flags"] & EPHEMERAL and "posted in another channel" in reply["content"]
    assert await discord_daily.store.user_ratings(user_key(MEMBER)) == []
    in_place = await fake.reply_to(await fake.click(answer, nailed, MEMBER))
    assert "Recorded" in in_place["content"]


@pytest.mark.parametrize(
    ("custom_id", "says"),
    [
        ("mlq:rt:n:r20269999:keras-easy", "not a real date"),
        ("mlq:rt:m:a20260230:keras-easy", "not a real date"),
        ("mlq:rt:p:a20991231:keras-easy", "in the future"),
        ("mlq:rt:n:pzzzzzz:keras-easy", "belongs to no question I posted"),  # 2,176,782,335: > 2**31 - 1
        ("mlq:rt:n:pzzzzzzzz:keras-easy", "is not one I made"),
    ],
)
async def test_a_forged_rating_button_is_refused(
    discord_bot: DiscordAdapter,
    fake_discord: FakeDiscord,
    discord_store: SqlStore,
    custom_id: str,
    says: str,
) -> None:
    asked = await fake_discord.reply_to(await fake_discord.command("mlquestion", MEMBER, CHANNEL))
    forged = copy.deepcopy(asked)  # discord.py hands a click to a button the message carries
    forged["components"][0]["components"][0]["custom_id"] = custom_id
    reply = await fake_discord.reply_to(await fake_discord.click(forged, custom_id, MEMBER))
    assert (
        reply["flags"] & EPHEMERAL and says in reply["content"] and "nothing was recorded" in reply["content"]
    )
    assert await discord_store.user_ratings(user_key(MEMBER)) == []


# Text from users -----------------------------------------------------------------------------------


async def test_control_characters_in_a_form_are_not_stored(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    """NUL crashed the PostgreSQL path; escape sequences would reach the moderator's terminal."""
    values = {
        "question": "What is\x00 dropout?\x1b[2J",
        "answer": "Randomly\x9b zeroing units.",
        "topic": "keras",
    }
    await fake_discord.reply_to(await fake_discord.submit_form("mlq:suggest", values, MEMBER, CHANNEL))
    (suggestion,) = await discord_store.list_suggestions()
    assert (suggestion.question, suggestion.answer) == ("What is dropout?[2J", "Randomly zeroing units.")


async def test_a_forged_oversized_form_is_echoed_back_within_the_forms_limits(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    """A 100,000-character question (the form allows 3,000) is refused; the echo is two messages at most."""
    values = {"question": "q" * 100_000, "answer": "", "topic": "t" * 5000}
    sent = await fake_discord.submit_form("mlq:suggest", values, MEMBER, CHANNEL)
    reply = await fake_discord.reply_to(sent)
    echoes = await fake_discord.wait_calls("POST", rf"/webhooks/\d+/{sent.token}")
    assert "Not saved" in reply["content"] and len(reply["content"]) < 600
    assert len(echoes) == 1 and len(echoes[0].body["content"]) < 400
    assert await discord_store.list_suggestions() == []


async def test_a_long_bad_option_is_quoted_back_clipped_and_clean(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    """A 5,000-character `time` came back as 2,000 characters: now its first 100 and "…"."""
    sent = await fake_discord.command(
        ADMIN_COMMAND, ADMIN, CHANNEL, "subscribe", time="\x1b[31m" + "9" * 5000
    )
    reply = await fake_discord.reply_to(sent)
    assert "`time`" in reply["content"] and "9" * 90 + "…`" in reply["content"]
    assert len(reply["content"]) < 400 and "\x1b" not in reply["content"]
    assert await discord_store.get_subscription(where()) is None


# Bounds and lists ------------------------------------------------------------------------------------


async def test_more_than_fifty_skip_dates_are_refused_naming_the_bound(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    skip = ",".join((date(2026, 12, 1) + timedelta(days=i)).isoformat() for i in range(260))
    reply = await fake_discord.reply_to(
        await fake_discord.command(ADMIN_COMMAND, ADMIN, CHANNEL, "subscribe", skip=skip)
    )
    assert reply["flags"] & EPHEMERAL and "at most 50 dates (got 260)" in reply["content"]
    assert await discord_store.get_subscription(where()) is None


async def test_settings_with_hundreds_of_skipped_dates_fit_one_message(
    discord_bot: DiscordAdapter,
    fake_discord: FakeDiscord,
    discord_store: SqlStore,
    berlin_schedule: Schedule,
    clock: FakeClock,
) -> None:
    """A subscription saved with 260 dates before the bound: its settings are one embed within limits."""
    days = frozenset(clock.now().date() + timedelta(days=i) for i in range(260))
    schedule = replace(berlin_schedule, skip=SkipDays("GB", days))
    await discord_store.save_subscription(where(), schedule, Filters(), clock.now())
    reply = await fake_discord.reply_to(
        await fake_discord.command(ADMIN_COMMAND, MEMBER, CHANNEL, "settings")
    )
    assert message_problems(reply) == []
    description = reply["embeds"][0]["description"]
    assert "and 210 more" in description and "more days" in description and "**Next**" in description


# Time zones ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", [ADMIN, MEMBER], ids=["admin", "member"])
async def test_a_folder_time_zone_gets_a_clear_reply_naming_its_zones(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore, user: Any
) -> None:
    """Before: IsADirectoryError, "something went wrong" for anyone, and a traceback in the log."""
    sent = await fake_discord.command(ADMIN_COMMAND, user, CHANNEL, "subscribe", timezone="America/Argentina")
    reply = await fake_discord.reply_to(sent)
    assert "America/Argentina/Buenos_Aires" in reply["content"] and "went wrong" not in reply["content"]
    assert await discord_store.get_subscription(where()) is None


async def test_a_time_zone_in_lower_case_is_saved_under_its_name(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord, discord_store: SqlStore
) -> None:
    await fake_discord.reply_to(
        await fake_discord.command(ADMIN_COMMAND, ADMIN, CHANNEL, "subscribe", timezone="europe/london")
    )
    subscription = await discord_store.get_subscription(where())
    assert subscription is not None and subscription.schedule.zone.key == "Europe/London"


async def test_timezone_autocomplete_offers_only_zones_the_core_accepts(
    discord_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """`localtime` (whatever the host is set to) and `Factory` are in the zone files, but name no place."""
    for typed in ("localt", "factor"):
        sent = await fake_discord.autocomplete(
            ADMIN_COMMAND, ADMIN, CHANNEL, "subscribe", "timezone", timezone=typed
        )
        await fake_discord.reply_to(sent)
        assert fake_discord.callback(sent).body["data"]["choices"] == []
