"""Your data on Slack: `/mlquestion export` uploads the files to the person's direct messages with
files_upload_v2 (files.getUploadURLExternal, the upload, files.completeUploadExternal), and
`forget-me` asks with buttons, forgetting only the person who clicks.

Through the real Bolt app over loopback HTTP against the fake Web API; the files are read back from
what the fake received, with the libraries that read them.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.yourdata import EXPORT_SENT, FORGET_ACTION, KEEP_ACTION
from bot.practice.yourdata import DECK_FILE, RATINGS_FILE, REVIEWS_FILE
from bot.service import Invocation
from tests.support.slack_support import Failure, SlackWorld, button_click

ALICE, BOB = "U0ALICE", "U0BOB"
TODAY = "ask:2026-11-23"


async def rate(world: SlackWorld, user: str, question_id: str, choice: str) -> None:
    await world.service.rate(Invocation(world.channel, user), question_id, TODAY, choice)


def key(world: SlackWorld, user: str) -> str:
    return Invocation(world.channel, user).user_key


@pytest.fixture
async def world_export(slack_world: SlackWorld) -> SlackWorld:
    """Alice rated keras-easy Missed, then ran `/mlquestion export`."""
    await rate(slack_world, ALICE, "keras-easy", "missed")
    await slack_world.command("export")
    return slack_world


def uploaded(world: SlackWorld) -> dict[str, dict[str, Any]]:
    """The files shared by files.completeUploadExternal, by file name."""
    return {f["filename"]: f for f in world.fake.files.values() if f.get("channel_id")}


async def test_export_uploads_the_three_files_to_the_direct_messages(world_export: SlackWorld) -> None:
    """All three land in Alice's direct messages with the bot, with the summary as the comment."""
    files = uploaded(world_export)
    assert set(files) == {RATINGS_FILE, REVIEWS_FILE, DECK_FILE}
    assert {f["channel_id"] for f in files.values()} == {"D0ALICE"}
    assert "Anki deck" in files[DECK_FILE]["initial_comment"]
    (opened,) = world_export.fake.calls_to("conversations.open")
    assert opened["users"] == ALICE


async def test_the_uploaded_files_open_with_their_readers(world_export: SlackWorld, tmp_path: Path) -> None:
    """The CSV parses with the csv module; the .apkg is a zip whose SQLite collection has the note."""
    files = uploaded(world_export)
    (row,) = csv.DictReader(io.StringIO(files[RATINGS_FILE]["data"].decode("utf-8")))
    assert row["question_id"] == "keras-easy" and row["rating"] == "missed"
    with zipfile.ZipFile(io.BytesIO(files[DECK_FILE]["data"])) as package:
        package.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        (fields,) = db.execute("SELECT flds FROM notes").fetchone()
    assert fields.split("\x1f")[2] == "keras-easy"


async def test_the_command_reply_says_where_the_files_are(slack_world: SlackWorld) -> None:
    """The ephemeral reply points to the direct messages; nothing is posted in the channel."""
    reply = await slack_world.command("export")
    assert reply["response_type"] == "ephemeral" and EXPORT_SENT in reply["text"]
    assert slack_world.fake.calls_to("chat.postMessage") == []


async def test_a_refused_upload_says_why_and_shares_nothing(slack_world: SlackWorld) -> None:
    """Slack's code is named and no file is shared."""
    slack_world.fake.fail("files.getUploadURLExternal", Failure(error="missing_scope"))
    reply = await slack_world.command("export")
    assert "missing_scope" in reply["text"] and "files:write" in reply["text"]
    assert uploaded(slack_world) == {}


async def test_bytes_refused_by_the_upload_url_are_reported_without_the_url(slack_world: SlackWorld) -> None:
    """The upload URL answers 413: the reply says the upload was refused and names no URL."""
    slack_world.fake.upload_status = 413
    reply = await slack_world.command("export")
    assert "the file upload was refused" in reply["text"] and "/upload/" not in reply["text"]
    assert slack_world.fake.calls_to("files.completeUploadExternal") == []


async def test_forget_me_asks_with_two_buttons(slack_world: SlackWorld) -> None:
    """An ephemeral question with a red confirm button and a keep button; nothing deleted yet."""
    await rate(slack_world, ALICE, "keras-easy", "missed")
    reply = await slack_world.command("forget-me")
    assert reply["response_type"] == "ephemeral"
    buttons = [e for b in reply["blocks"] for e in b.get("elements") or [] if e.get("type") == "button"]
    assert [(b["action_id"], b.get("style")) for b in buttons] == [
        (FORGET_ACTION, "danger"),
        (KEEP_ACTION, None),
    ]
    assert await slack_world.store.user_ratings(key(slack_world, ALICE))


async def test_confirming_deletes_and_replaces_the_question_with_what_went(slack_world: SlackWorld) -> None:
    """The click's reply replaces the buttons with the counts; Alice's ratings are gone."""
    await rate(slack_world, ALICE, "keras-easy", "missed")
    question = await slack_world.command("forget-me")
    reply = await slack_world.press(button_click(slack_world.fake, question, FORGET_ACTION, ephemeral=True))
    assert reply["replace_original"] is True and "Deleted everything kept about you" in reply["text"]
    assert await slack_world.store.user_ratings(key(slack_world, ALICE)) == []


async def test_keeping_deletes_nothing(slack_world: SlackWorld) -> None:
    """ "Keep my data" replaces the question with "Nothing was deleted."."""
    await rate(slack_world, ALICE, "keras-easy", "missed")
    question = await slack_world.command("forget-me")
    reply = await slack_world.press(button_click(slack_world.fake, question, KEEP_ACTION, ephemeral=True))
    assert "Nothing was deleted." in reply["text"]
    assert await slack_world.store.user_ratings(key(slack_world, ALICE))


async def test_a_click_forgets_the_clicker_only(slack_world: SlackWorld) -> None:
    """Bob clicking the button of Alice's question forgets Bob, never Alice."""
    await rate(slack_world, ALICE, "keras-easy", "missed")
    await rate(slack_world, BOB, "keras-easy", "partly")
    question = await slack_world.command("forget-me")
    await slack_world.press(button_click(slack_world.fake, question, FORGET_ACTION, BOB, ephemeral=True))
    assert await slack_world.store.user_ratings(key(slack_world, ALICE))
    assert await slack_world.store.user_ratings(key(slack_world, BOB)) == []
