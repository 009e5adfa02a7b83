"""Your data: `/mlquestion export` gives your ratings and schedule as CSV and an Anki deck of what to
revisit, opened here by the libraries that read them; `forget-me` asks first, then deletes it all."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path

from bot.messages import DataExport, ExportFile, ForgetConfirm, Forgotten
from bot.practice.yourdata import DECK_FILE, RATINGS_FILE, REVIEWS_FILE
from bot.service import Invocation
from tests.support.core_support import CoreWorld

TODAY = "ask:2026-11-23"


async def export_of(world: CoreWorld, user: str) -> dict[str, ExportFile]:
    """`user` runs `/mlquestion export`; return its files by name."""
    (message,) = await world.command(user, "export")
    assert isinstance(message, DataExport), message
    return {file.name: file for file in message.files}


def csv_rows(file: ExportFile) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(file.content.decode("utf-8"))))


def anki_notes(file: ExportFile, tmp_path: Path) -> list[list[str]]:
    """Open the .apkg as Anki does (a zip holding a SQLite collection); return each note's fields."""
    with zipfile.ZipFile(io.BytesIO(file.content)) as package:
        package.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        rows = db.execute("SELECT flds FROM notes ORDER BY sfld").fetchall()
    return [row[0].split("\x1f") for row in rows]


async def test_export_is_three_private_files(world: CoreWorld) -> None:
    """The reply is private and holds the ratings CSV, the schedule CSV and the Anki deck."""
    (response,) = await world.service.handle_command(Invocation(world.channel, "U1"), "export")
    assert response.private and isinstance(response.message, DataExport)
    assert [f.name for f in response.message.files] == [RATINGS_FILE, REVIEWS_FILE, DECK_FILE]


async def test_the_export_message_counts_what_each_file_holds(world: CoreWorld) -> None:
    """One rating reads "1 rating", not "1 ratings"."""
    await world.rate("U1", "keras-easy", TODAY, "partly")
    (message,) = await world.command("U1", "export")
    assert isinstance(message, DataExport)
    assert "(1 rating)" in message.text and "(1 question in your review schedule)" in message.text
    assert "of the 1 question you last rated" in message.text


async def test_the_ratings_csv_has_one_row_per_rating(world: CoreWorld) -> None:
    """Each rating comes back with its question's title, topic, difficulty and where it was given."""
    await world.rate("U1", "keras-easy", TODAY, "nailed")
    await world.rate("U1", "tensorflow-hard", TODAY, "missed")
    rows = csv_rows((await export_of(world, "U1"))[RATINGS_FILE])
    assert [(r["question_id"], r["rating"], r["title"], r["where"]) for r in rows] == [
        ("keras-easy", "nailed", "Title of keras-easy", TODAY),
        ("tensorflow-hard", "missed", "Title of tensorflow-hard", TODAY),
    ]
    assert rows[1]["topic"] == "tensorflow" and rows[1]["difficulty"] == "hard"


async def test_the_schedule_csv_says_when_each_question_is_due(world: CoreWorld) -> None:
    """A missed question is due the next day (FSRS relearning step), with its FSRS state."""
    await world.rate("U1", "keras-easy", TODAY, "missed")
    (row,) = csv_rows((await export_of(world, "U1"))[REVIEWS_FILE])
    assert row["question_id"] == "keras-easy"
    assert row["due_utc"].startswith("2026-11-24")
    assert row["state"] in ("learning", "relearning") and row["fsrs_stability"]


async def test_the_deck_holds_the_questions_last_rated_partly_or_missed(
    world: CoreWorld, tmp_path: Path
) -> None:
    """Nailed questions stay out; a question is judged by its latest rating."""
    await world.rate("U1", "keras-easy", TODAY, "partly")
    await world.rate("U1", "keras-hard", TODAY, "missed")
    await world.rate("U1", "tensorflow-easy", TODAY, "nailed")
    await world.rate("U1", "tensorflow-hard", TODAY, "missed")
    world.clock.advance(timedelta(days=1))
    await world.rate("U1", "tensorflow-hard", "review:2026-11-24", "nailed")
    notes = anki_notes((await export_of(world, "U1"))[DECK_FILE], tmp_path)
    assert [note[2] for note in notes] == ["keras-easy", "keras-hard"]
    front, back, _ = notes[0]
    assert "Title of keras-easy" in front and "Question text of keras-easy?" in front
    assert "Answer of keras-easy." in back


async def test_someone_with_nothing_gets_empty_files(world: CoreWorld, tmp_path: Path) -> None:
    """No ratings: headers only, and a deck Anki opens with no notes."""
    files = await export_of(world, "U9")
    assert csv_rows(files[RATINGS_FILE]) == [] and csv_rows(files[REVIEWS_FILE]) == []
    assert anki_notes(files[DECK_FILE], tmp_path) == []


async def test_an_export_holds_only_the_callers_data(world: CoreWorld) -> None:
    """Another person's ratings never appear in your export."""
    await world.rate("U2", "keras-easy", TODAY, "missed")
    assert csv_rows((await export_of(world, "U1"))[RATINGS_FILE]) == []


async def test_forget_me_asks_first_and_deletes_nothing(world: CoreWorld) -> None:
    """The command only asks for confirmation: the ratings are still there."""
    await world.rate("U1", "keras-easy", TODAY, "missed")
    (message,) = await world.command("U1", "forget-me")
    assert isinstance(message, ForgetConfirm) and "cannot be undone" in message.text
    assert await world.store.user_ratings(world.key("U1"))


async def test_confirming_deletes_the_persons_data_and_says_what(daily: CoreWorld) -> None:
    """Ratings, review cards and reply counts go; the reply counts them per kind."""
    post = await daily.revealed_post()
    await daily.reply(post, "U1")
    await daily.rate_post("U1", post, "partly")
    await daily.command("U1", "leaderboard optout")
    response = await daily.service.forget(Invocation(daily.channel, "U1"))
    assert isinstance(response.message, Forgotten) and response.private
    deleted = dict(response.message.deleted)
    assert deleted["ratings"] == 1 and deleted["review cards"] == 1 and deleted["reply counts"] == 1
    assert deleted["leaderboard opt-outs"] == 1
    assert "• ratings: 1" in response.message.text
    assert await daily.store.user_ratings(daily.key("U1")) == []
    assert await daily.store.review_cards_of(daily.key("U1")) == []
    assert await daily.store.replied_threads(daily.key("U1")) == set()


async def test_forgetting_leaves_everyone_else(daily: CoreWorld) -> None:
    """Another person's ratings, cards and replies are untouched."""
    post = await daily.revealed_post()
    await daily.reply(post, "U2")
    await daily.rate_post("U2", post, "missed")
    await daily.service.forget(Invocation(daily.channel, "U1"))
    assert len(await daily.store.user_ratings(daily.key("U2"))) == 1
    assert len(await daily.store.review_cards_of(daily.key("U2"))) == 1
    assert await daily.store.replied_threads(daily.key("U2"))


async def test_forgetting_someone_with_nothing_says_so(world: CoreWorld) -> None:
    """Every count is zero and the reply says nothing was kept."""
    response = await world.service.forget(Invocation(world.channel, "U9"))
    assert isinstance(response.message, Forgotten)
    assert all(count == 0 for _, count in response.message.deleted)
    assert "There was nothing kept about you." in response.message.text
