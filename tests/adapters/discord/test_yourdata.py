"""Your data on Discord: `/mlquestion-export` answers, only to the caller, with the three files
attached (multipart, as discord.py uploads them), and `/mlquestion-forget-me` asks with a red
confirm button and a keep button that act on whoever clicks.

Through discord.py against the fake Discord; the files are read back from what the fake received,
with the libraries that read them.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.yourdata import EXPORT_COMMAND, FORGET_COMMAND
from bot.practice.yourdata import DECK_FILE, RATINGS_FILE, REVIEWS_FILE
from bot.service import Invocation, PracticeService
from tests.support.discord_support import ADMIN, CHANNEL, MEMBER, DiscordWorld, config_for, where
from tests.support.fake_discord import EPHEMERAL, FakeDiscord, Member

TODAY = "ask:2026-11-23"
DANGER, SECONDARY = 4, 2


async def rate(world: DiscordWorld, person: Member, question_id: str = "keras-easy") -> None:
    await world.service.rate(Invocation(where(), person.id), question_id, TODAY, "missed")


def ratings_of(world: DiscordWorld, person: Member) -> Any:
    return world.store.user_ratings(Invocation(where(), person.id).user_key)


async def run(world: DiscordWorld, command: str) -> dict[str, Any]:
    """MEMBER runs the command in CHANNEL; return the bot's reply."""
    return await world.fake.reply_to(await world.fake.command(command, MEMBER, CHANNEL))


def files_of(fake: FakeDiscord, message: dict[str, Any]) -> dict[str, bytes]:
    """The bytes of a message's attachments, by file name."""
    return {a["filename"]: fake.attachment_bytes[a["id"]] for a in message["attachments"]}


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for row in message["components"] for item in row["components"]]


async def test_export_replies_privately_with_the_three_files(discord_world: DiscordWorld) -> None:
    """One ephemeral reply: the summary, and the ratings, schedule and deck attached."""
    await rate(discord_world, MEMBER)
    reply = await discord_world.fake.reply_to(
        await discord_world.fake.command(EXPORT_COMMAND, MEMBER, CHANNEL)
    )
    assert reply["flags"] & EPHEMERAL and "Anki deck" in reply["content"]
    assert sorted(files_of(discord_world.fake, reply)) == sorted([RATINGS_FILE, REVIEWS_FILE, DECK_FILE])


async def test_the_attached_files_open_with_their_readers(
    discord_world: DiscordWorld, tmp_path: Path
) -> None:
    """The ratings CSV parses with the csv module; the .apkg's SQLite collection holds the note."""
    await rate(discord_world, MEMBER)
    reply = await discord_world.fake.reply_to(
        await discord_world.fake.command(EXPORT_COMMAND, MEMBER, CHANNEL)
    )
    files = files_of(discord_world.fake, reply)
    (row,) = csv.DictReader(io.StringIO(files[RATINGS_FILE].decode("utf-8")))
    assert row["question_id"] == "keras-easy" and row["rating"] == "missed"
    with zipfile.ZipFile(io.BytesIO(files[DECK_FILE])) as package:
        package.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        (fields,) = db.execute("SELECT flds FROM notes").fetchone()
    assert fields.split("\x1f")[2] == "keras-easy"


@pytest.fixture
async def slow_bot(
    discord_service: PracticeService, fake_discord: FakeDiscord
) -> AsyncIterator[DiscordAdapter]:
    """An adapter that treats every reply as slow, so it always defers first."""
    adapter = DiscordAdapter(discord_service, config_for(fake_discord, defer_after=0))
    discord_service.register_adapter(adapter)
    await adapter.start()
    yield adapter
    await adapter.stop()


async def test_a_deferred_export_attaches_the_files_to_the_edited_reply(
    slow_bot: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    """Deferred privately first; the files come with the edit of that private reply."""
    sent = await fake_discord.command(EXPORT_COMMAND, MEMBER, CHANNEL)
    reply = await fake_discord.reply_to(sent)
    assert fake_discord.callback(sent).body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert reply["flags"] & EPHEMERAL and DECK_FILE in files_of(fake_discord, reply)


async def test_forget_me_asks_with_a_red_button_and_a_keep_button(discord_world: DiscordWorld) -> None:
    """The question is private; nothing is deleted by the command itself."""
    await rate(discord_world, MEMBER)
    reply = await discord_world.fake.reply_to(
        await discord_world.fake.command(FORGET_COMMAND, MEMBER, CHANNEL)
    )
    assert reply["flags"] & EPHEMERAL and "`/mlquestion-export`" in reply["content"]
    assert [(b["custom_id"], b["style"]) for b in buttons(reply)] == [
        ("mlq:forget:yes", DANGER),
        ("mlq:forget:no", SECONDARY),
    ]
    assert await ratings_of(discord_world, MEMBER)


async def ask_then_click(world: DiscordWorld, custom_id: str, clicker: Member) -> dict[str, Any]:
    """MEMBER runs /mlquestion-forget-me; `clicker` clicks a button of its reply; return the answer."""
    question = await run(world, FORGET_COMMAND)
    return await world.fake.reply_to(await world.fake.click(question, custom_id, clicker))


async def test_confirming_deletes_and_says_what_went(discord_world: DiscordWorld) -> None:
    """A private reply with the counts; the ratings are gone."""
    await rate(discord_world, MEMBER)
    reply = await ask_then_click(discord_world, "mlq:forget:yes", MEMBER)
    assert reply["flags"] & EPHEMERAL and "Deleted everything kept about you" in reply["content"]
    assert await ratings_of(discord_world, MEMBER) == []


async def test_keeping_deletes_nothing(discord_world: DiscordWorld) -> None:
    """The keep button says so and the ratings stay."""
    await rate(discord_world, MEMBER)
    reply = await ask_then_click(discord_world, "mlq:forget:no", MEMBER)
    assert "Nothing was deleted." in reply["content"]
    assert await ratings_of(discord_world, MEMBER)


async def test_a_click_forgets_the_clicker_only(discord_world: DiscordWorld) -> None:
    """ADMIN clicking the confirm button of MEMBER's question forgets ADMIN, never MEMBER."""
    await rate(discord_world, MEMBER)
    await rate(discord_world, ADMIN)
    await ask_then_click(discord_world, "mlq:forget:yes", ADMIN)
    assert await ratings_of(discord_world, MEMBER)
    assert await ratings_of(discord_world, ADMIN) == []
