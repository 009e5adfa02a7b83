"""Your data on the console: `/mlquestion export` writes the files into MLQ_EXPORT_DIR (or the
working directory), and `forget-me` deletes only after `forget me` is typed."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.console.adapter import CHANNEL, ConsoleAdapter
from bot.practice.yourdata import DECK_FILE, RATINGS_FILE, REVIEWS_FILE
from bot.service import Invocation, PracticeService
from bot.store import SqlStore

ME = Invocation(CHANNEL, "you").user_key


@pytest.fixture
def exporting(service: PracticeService, tmp_path: Path) -> tuple[ConsoleAdapter, io.StringIO, Path]:
    """A console whose exports go to tmp_path/exports (the folder exists)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    out = io.StringIO()
    adapter = ConsoleAdapter(
        service, io.StringIO(), out, ZoneInfo("Europe/Berlin"), width=lambda: 160, export_dir=folder
    )
    service.register_adapter(adapter)
    return adapter, out, folder


async def rate_one(adapter: ConsoleAdapter, choice: str = "missed") -> None:
    """Ask for a question, show its answer and rate it."""
    await adapter.handle_line("/mlquestion")
    await adapter.handle_line("/answer")
    await adapter.handle_line(f"/rate {choice}")


async def test_export_writes_the_three_files_and_names_them(
    exporting: tuple[ConsoleAdapter, io.StringIO, Path],
) -> None:
    """The CSVs read back with the csv module; the deck is a zip holding Anki's collection."""
    adapter, out, folder = exporting
    await rate_one(adapter)
    await adapter.handle_line("/mlquestion export")
    for name in (RATINGS_FILE, REVIEWS_FILE, DECK_FILE):
        assert str(folder / name) in out.getvalue()
    (row,) = csv.DictReader(io.StringIO((folder / RATINGS_FILE).read_text("utf-8")))
    assert row["rating"] == "missed"
    assert "collection.anki2" in zipfile.ZipFile(folder / DECK_FILE).namelist()


async def test_export_without_a_folder_goes_to_the_working_directory(
    console: tuple[ConsoleAdapter, io.StringIO], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With MLQ_EXPORT_DIR unset the files land where the bot was started."""
    adapter, _ = console
    monkeypatch.chdir(tmp_path)
    await adapter.handle_line("/mlquestion export")
    assert (tmp_path / RATINGS_FILE).is_file() and (tmp_path / DECK_FILE).is_file()


async def test_a_missing_export_folder_is_named_and_nothing_is_written(
    service: PracticeService, tmp_path: Path
) -> None:
    """The reply names the folder and the setting to change."""
    out = io.StringIO()
    missing = tmp_path / "nowhere"
    adapter = ConsoleAdapter(
        service, io.StringIO(), out, ZoneInfo("UTC"), width=lambda: 160, export_dir=missing
    )
    await adapter.handle_line("/mlquestion export")
    assert f"Could not write the export to {missing}" in out.getvalue()
    assert "MLQ_EXPORT_DIR" in out.getvalue() and not missing.exists()


async def test_forget_me_waits_for_the_typed_confirmation(
    console: tuple[ConsoleAdapter, io.StringIO], store: SqlStore
) -> None:
    """Typing `forget me` deletes the ratings and prints what was deleted."""
    adapter, out = console
    await rate_one(adapter)
    await adapter.handle_line("/mlquestion forget-me")
    assert "Type forget me to delete it all" in out.getvalue()
    assert await store.user_ratings(ME)
    await adapter.handle_line("forget me")
    assert "Deleted everything kept about you here." in out.getvalue()
    assert "ratings: 1" in out.getvalue()
    assert await store.user_ratings(ME) == []


async def test_any_other_answer_keeps_the_data(
    console: tuple[ConsoleAdapter, io.StringIO], store: SqlStore
) -> None:
    """Anything but the confirmation word cancels, and the next line is an ordinary line again."""
    adapter, out = console
    await rate_one(adapter)
    await adapter.handle_line("/mlquestion forget-me")
    await adapter.handle_line("yes")
    assert "Nothing was deleted." in out.getvalue()
    await adapter.handle_line("forget me")
    assert await store.user_ratings(ME)
