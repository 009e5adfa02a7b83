"""The `mlq` command line: ask, schedule show, bad input exits 2, and the demo end to end."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from tests.support.fakes import VALID_QUESTION
from tests.support.paths import ROOT


def mlq(command: str) -> int:
    """Run `mlq` in-process with a command line as a user would type it."""
    return main(shlex.split(command))


def test_schedule_show_lists_post_and_reveal_in_local_time_and_utc(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`schedule show --json` across the New York spring change: the 02:30 post moves to 03:00."""
    code = mlq(
        "schedule show --time 02:30 --tz America/New_York --days daily --from 2026-03-07 --count 2 --json"
    )
    assert code == 0
    slots = json.loads(capsys.readouterr().out)
    assert [s["post_local"] for s in slots] == [
        "2026-03-07T02:30:00-05:00",
        "2026-03-08T03:00:00-04:00",
    ]
    assert [s["post_utc"] for s in slots] == [
        "2026-03-07T07:30:00+00:00",
        "2026-03-08T07:00:00+00:00",
    ]
    assert slots[1]["reveal_utc"] == "2026-03-08T13:00:00+00:00"


def test_schedule_show_reveal_at_a_local_time(capsys: pytest.CaptureFixture[str]) -> None:
    """`--reveal-at 16:00` reveals at 16:00 local on the post's day."""
    command = "schedule show --time 09:00 --tz Europe/Berlin --reveal-at 16:00 --from 2026-11-23"
    assert mlq(command + " --count 1 --json") == 0
    [slot] = json.loads(capsys.readouterr().out)
    assert slot["reveal_local"] == "2026-11-23T16:00:00+01:00"


def test_schedule_show_table_has_one_row_per_slot(capsys: pytest.CaptureFixture[str]) -> None:
    """The plain output is a header and one row per slot."""
    assert mlq("schedule show --time 09:00 --tz Asia/Tokyo --from 2026-11-23 --count 3") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[1].startswith("2026-11-23")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--time", "9.30", "--tz", "UTC"], "time '9.30' is not HH:MM"),
        (["--time", "09:30", "--tz", "Moon/Base"], "unknown time zone 'Moon/Base'"),
        (["--time", "09:30", "--tz", "UTC", "--days", "mon-xyz"], "unknown weekday 'xyz'"),
        (["--time", "09:30", "--tz", "UTC", "--reveal-after", "six"], "duration 'six'"),
        (["--time", "09:30", "--tz", "UTC", "--from", "2026-13-01"], "month must be in 1..12"),
    ],
)
def test_schedule_show_bad_input_exits_2_with_a_clear_message(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad time, zone, days, duration or date: exit 2 and say which."""
    assert main(["schedule", "show", *args]) == 2
    assert fragment in capsys.readouterr().err


def test_ask_prints_a_question_and_its_answer(capsys: pytest.CaptureFixture[str]) -> None:
    """`mlq ask --topic keras --answer` prints a Keras question and a model answer."""
    assert mlq("ask --topic keras --answer") == 0
    out = capsys.readouterr().out
    assert "· Keras 3 ·" in out and "Model answer —" in out


def test_ask_with_an_unknown_topic_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown topic lists the valid ones."""
    assert mlq("ask --topic cooking") == 2
    assert "unknown topic 'cooking'" in capsys.readouterr().err


def test_a_wrong_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """MLQ_DEFAULT_TIMEZONE=Nowhere: exit 2 naming the variable."""
    monkeypatch.setenv("MLQ_DEFAULT_TIMEZONE", "Nowhere/Land")
    assert mlq("ask") == 2
    assert "MLQ_DEFAULT_TIMEZONE" in capsys.readouterr().err


def test_run_refuses_to_start_on_an_invalid_bank(
    tmp_path: Path,
    write_file: Callable[[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bank with a broken file stops `mlq run` with the lint messages."""
    write_file("questions/keras/broken.md", "---\nid: broken\n---\n\n## Question\n\nWhy?\n")
    monkeypatch.setenv("MLQ_CONTENT_DIR", str(tmp_path / "questions"))
    monkeypatch.setenv("MLQ_SQLITE_PATH", str(tmp_path / "bot.db"))
    assert mlq("run") == 1
    err = capsys.readouterr().err
    assert "refusing to start" in err and "broken.md:1: missing field 'title'" in err


def test_demo_shows_post_reply_and_reveal_in_one_thread(tmp_path: Path) -> None:
    """`mlq run --demo` with piped input: question, the typed reply, then the answer, then exit 0."""
    env = {**os.environ, "MLQ_DEMO_REVEAL_SECONDS": "1", "MLQ_SQLITE_PATH": str(tmp_path / "x.db")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--demo"],
        input="my answer: use a pipeline\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    posted = out.index("[Daily question]")
    replied = out.index("my answer: use a pipeline")
    revealed = out.index("the answer is out")
    assert posted < replied < revealed
    assert "Traceback" not in done.stderr
    assert out.rstrip().endswith("everything is saved.")


def test_ctrl_c_exits_cleanly(tmp_path: Path, write_file: Callable[[str, str], Path]) -> None:
    """SIGINT while the console waits for input: exit 0, goodbye line, no traceback."""
    write_file("questions/keras/sample-question.md", VALID_QUESTION)
    env = {
        **os.environ,
        "MLQ_SQLITE_PATH": str(tmp_path / "x.db"),
        "MLQ_CONTENT_DIR": str(tmp_path / "questions"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert "mlquestion console" in banner
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "everything is saved" in out and "Traceback" not in err


def test_schedule_show_lists_holidays_and_skipped_dates(capsys: pytest.CaptureFixture[str]) -> None:
    """US holidays and a skipped date appear in the table as skipped days, not as posts."""
    assert (
        mlq(
            "schedule show --time 09:00 --tz America/New_York --holidays US --skip 2026-12-24 "
            "--from 2026-12-21 --count 5"
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert "2026-12-24  skipped: skipped date" in lines
    assert "2026-12-25  skipped: Christmas Day" in lines
    assert [line[:10] for line in lines[1:] if "skipped" not in line] == [
        "2026-12-21",
        "2026-12-22",
        "2026-12-23",
        "2026-12-28",
        "2026-12-29",
    ]


def test_schedule_show_refuses_an_unknown_country(capsys: pytest.CaptureFixture[str]) -> None:
    assert mlq("schedule show --time 09:00 --tz Europe/London --holidays XX") == 2
    assert "unknown country code 'XX'" in capsys.readouterr().err


@pytest.fixture
def suggested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database holding one suggestion, as `/mlquestion suggest` leaves it."""
    import asyncio
    from datetime import UTC, datetime

    from bot.store import open_store
    from bot.store.sql_store import sqlite_url

    database = tmp_path / "bot.db"
    monkeypatch.setenv("MLQ_SQLITE_PATH", str(database))

    async def add() -> None:
        store = await open_store(sqlite_url(database))
        await store.add_suggestion(
            "slack:T1:U1",
            "slack:T1:C1",
            "keras",
            None,
            "Why freeze BatchNormalization layers when fine-tuning?",
            "Their moving statistics would drift on the small new dataset.",
            datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
        )
        await store.close()

    asyncio.run(add())
    return tmp_path


def test_content_suggestions_lists_new_suggestions(
    suggested: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert mlq("content suggestions") == 0
    out = capsys.readouterr().out
    assert "#1  2026-11-24  [new] (keras)  Why freeze BatchNormalization layers" in out
    assert "slack:T1:U1" in out


def test_content_accept_writes_a_draft_in_the_bank_format(
    suggested: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drafts = suggested / "suggested"
    assert mlq(f"content accept 1 --difficulty hard --dir {drafts}") == 0
    path = drafts / "keras" / "why-freeze-batchnormalization-layers-when-fine-tuning.md"
    out = capsys.readouterr().out
    assert f"wrote {path} (status: draft)" in out
    assert "to finish before review" in out  # e.g. the Short answer and Key points sections
    from bot.content.loader import parse_question_file

    _, problems = parse_question_file(path)
    assert all("missing section" in p.message or "words" in p.message for p in problems), problems
    text = path.read_text(encoding="utf-8")
    assert "status: draft" in text and "difficulty: hard" in text
    assert "Their moving statistics would drift" in text
    assert mlq("content suggestions") == 0
    assert "no new suggestions" in capsys.readouterr().out
    assert mlq(f"content accept 1 --dir {drafts}") == 1
    assert "already accepted" in capsys.readouterr().err


def test_content_accept_of_an_unknown_suggestion_exits_1(
    suggested: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert mlq("content accept 7") == 1
    assert "no suggestion #7" in capsys.readouterr().err
