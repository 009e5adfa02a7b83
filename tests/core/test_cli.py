"""The `mlq` command line: ask, schedule show, bad input exits 2, and the demo end to end."""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from tests.core.conftest import SuggestionDatabase
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


def run_demo(tmp_path: Path, typed: str) -> subprocess.CompletedProcess[str]:
    """Run `mlq run --demo` with `typed` piped in and a 1 s reveal; MLQ_SQLITE_PATH names a file
    below tmp_path, which the demo should leave alone."""
    env = {**os.environ, "MLQ_DEMO_REVEAL_SECONDS": "1", "MLQ_SQLITE_PATH": str(tmp_path / "x.db")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--demo"],
        input=typed,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        check=False,
    )


def test_demo_shows_post_reply_and_reveal_in_one_thread(tmp_path: Path) -> None:
    """`mlq run --demo` with piped input: question, the typed reply, then the answer, then exit 0."""
    done = run_demo(tmp_path, "my answer: use a pipeline\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    posted = out.index("[Daily question]")
    replied = out.index("my answer: use a pipeline")
    revealed = out.index("the answer is out")
    assert posted < replied < revealed
    assert "Traceback" not in done.stderr


def test_the_demo_says_its_database_is_temporary(tmp_path: Path) -> None:
    """The demo's database is a temporary folder: its goodbye says so instead of "everything is saved"."""
    done = run_demo(tmp_path, "")
    goodbye = done.stdout.rstrip().splitlines()[-1]
    assert "temporary" in goodbye and "saved" not in goodbye, goodbye
    assert not (tmp_path / "x.db").exists()  # and MLQ_SQLITE_PATH was left alone


def in_a_terminal(
    tmp_path: Path, write_file: Callable[[str, str], Path]
) -> tuple[subprocess.Popen[str], int]:
    """Start `mlq run` with a pseudo-terminal as its input; return the process and the terminal's end."""
    write_file("questions/keras/sample-question.md", VALID_QUESTION)
    env = {
        **os.environ,
        "MLQ_SQLITE_PATH": str(tmp_path / "x.db"),
        "MLQ_CONTENT_DIR": str(tmp_path / "questions"),
    }
    terminal, stdin = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    os.close(stdin)
    assert process.stdout is not None
    assert "mlquestion console" in process.stdout.readline()
    return process, terminal


def test_ctrl_c_exits_cleanly(tmp_path: Path, write_file: Callable[[str, str], Path]) -> None:
    """SIGINT while the console waits for input: exit 0, goodbye line, no traceback."""
    process, terminal = in_a_terminal(tmp_path, write_file)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    os.close(terminal)
    assert process.returncode == 0, err
    assert f"everything is saved in the SQLite file {tmp_path / 'x.db'}" in out and "Traceback" not in err


def test_ctrl_d_leaves_the_console_like_quit(tmp_path: Path, write_file: Callable[[str, str], Path]) -> None:
    """End of input (Ctrl-D) while the console waits: exit 0 with the goodbye, not a deaf process."""
    process, terminal = in_a_terminal(tmp_path, write_file)
    os.write(terminal, b"\x04")
    out, err = process.communicate(timeout=60)
    os.close(terminal)
    assert process.returncode == 0, err
    assert "everything is saved" in out and "Traceback" not in err


def test_the_console_shows_a_prompt_in_a_terminal(
    tmp_path: Path, write_file: Callable[[str, str], Path]
) -> None:
    """Typing into a terminal: a prompt says where, again after each answer."""
    process, terminal = in_a_terminal(tmp_path, write_file)
    os.write(terminal, b"/mlquestion topics\n/quit\n")
    out, _ = process.communicate(timeout=60)
    os.close(terminal)
    assert out.startswith("mlq> ") and out.count("mlq> ") >= 2, out


def test_run_with_no_token_and_no_terminal_refuses_naming_the_tokens(
    tmp_path: Path,
    write_file: Callable[[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    """Input that is not a terminal and no platform token: exit 2 naming the tokens to set."""
    write_file("questions/keras/sample-question.md", VALID_QUESTION)
    monkeypatch.setenv("MLQ_CONTENT_DIR", str(tmp_path / "questions"))
    monkeypatch.setenv("MLQ_SQLITE_PATH", str(tmp_path / "bot.db"))
    assert mlq("run") == 2
    err = capsys.readouterr().err
    assert "refusing to start" in err and "SLACK_BOT_TOKEN" in err and "DISCORD_TOKEN" in err
    assert not (tmp_path / "bot.db").exists()


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
    assert "2026-12-24  no post: on the skip list" in lines
    assert "2026-12-25  no post: Christmas Day" in lines
    assert [line[:10] for line in lines[1:] if "no post" not in line] == [
        "2026-12-21",
        "2026-12-22",
        "2026-12-23",
        "2026-12-28",
        "2026-12-29",
    ]


def column_starts(line: str) -> list[int]:
    """Where each cell of a table line starts (cells are separated by two spaces or more)."""
    return [match.start() for match in re.finditer(r"\S+(?: \S+)*", line)]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_schedule_show_header_lines_up_with_the_rows(zone: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every column title starts where its column's cells start."""
    assert mlq(f"schedule show --time 09:00 --tz {zone} --from 2026-11-23 --count 2") == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert all(column_starts(row) == column_starts(header) for row in rows), [header, *rows]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        ("--count 0", "--count"),
        ("--count many", "--count"),
        ("--from 2026-02-30", "--from"),
        ("--reveal-at 25:00", "--reveal-at"),
        ("--skip 2026-02-30", "--skip"),
    ],
)
def test_schedule_show_errors_name_the_flag(args: str, flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad flag value exits 2 with a message that names the flag."""
    try:
        code = mlq(f"schedule show --time 09:00 --tz UTC {args}")
    except SystemExit as exc:  # argparse's own checks
        code = int(str(exc.code))
    assert code == 2
    err = capsys.readouterr().err
    assert f"{flag}:" in err or f"argument {flag}" in err, err


def test_schedule_show_refuses_an_unknown_country(capsys: pytest.CaptureFixture[str]) -> None:
    assert mlq("schedule show --time 09:00 --tz Europe/London --holidays XX") == 2
    assert "unknown country code 'XX'" in capsys.readouterr().err


@pytest.fixture
def suggested(suggestion_database: SuggestionDatabase) -> Path:
    """A database holding one suggestion, as `/mlquestion suggest` leaves it."""
    return suggestion_database(
        "slack:T1:U1",
        "Why freeze BatchNormalization layers when fine-tuning?",
        "Their moving statistics would drift on the small new dataset.",
    )


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


def test_import_of_a_missing_file_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mlq import nowhere.json`: one line naming the file, exit 2."""
    missing = tmp_path / "nowhere.json"
    assert mlq(f"import {missing}") == 2
    assert capsys.readouterr().err == f"mlq import: cannot read {missing}: No such file or directory\n"


def test_export_into_a_missing_folder_exits_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mlq export no/such/folder/out.json`: one line naming the folder, exit 2, nothing opened."""
    monkeypatch.setenv("MLQ_SQLITE_PATH", str(tmp_path / "bot.db"))
    target = tmp_path / "no" / "out.json"
    assert mlq(f"export {target}") == 2
    assert f"the folder {tmp_path / 'no'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "bot.db").exists()


def test_ask_outside_the_repository_names_the_folder_and_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run from another folder, `mlq ask` says where it looked and names MLQ_CONTENT_DIR."""
    monkeypatch.chdir(tmp_path)
    assert mlq("ask") == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "content" / "questions") in err and "MLQ_CONTENT_DIR" in err
    assert "the default folder" in err
    assert len(err.splitlines()) == 1


def test_a_content_dir_that_does_not_exist_is_blamed_on_the_variable_that_named_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLQ_CONTENT_DIR", str(tmp_path / "nowhere"))
    assert mlq("ask") == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "nowhere") in err and "because MLQ_CONTENT_DIR says so" in err
    assert "default" not in err


def test_ask_with_a_broken_bank_exits_1_in_one_line(
    tmp_path: Path,
    write_file: Callable[[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bank with a broken file: one line with the count, the first problem and the lint command."""
    write_file("questions/keras/sample-question.md", VALID_QUESTION.replace("type: concept", "type: riddle"))
    monkeypatch.setenv("MLQ_CONTENT_DIR", str(tmp_path / "questions"))
    assert mlq("ask") == 1
    [line] = capsys.readouterr().err.splitlines()
    assert "1 problem(s)" in line and "unknown type 'riddle'" in line and "mlq content lint" in line


@pytest.mark.parametrize(
    ("database", "code", "fragment"),
    [
        ("not-a-url", 2, "DATABASE_URL: not a database URL"),
        ("mysql://bot@db/mlq", 2, "DATABASE_URL: the 'mysql' database is not supported"),
        ("postgresql://bot@127.0.0.1:{port}/mlq", 1, "cannot reach PostgreSQL at 127.0.0.1:{port}"),
        ("damaged", 1, "MLQ_SQLITE_PATH"),
    ],
)
def test_a_database_that_cannot_be_used_is_reported_without_a_traceback(
    database: str,
    code: int,
    fragment: str,
    closed_port: int,
    damaged_sqlite: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`mlq db upgrade` on a bad URL, a closed port or a damaged file: one clear line, never a traceback."""
    if database == "damaged":
        monkeypatch.setenv("MLQ_SQLITE_PATH", str(damaged_sqlite))
    else:
        monkeypatch.setenv("DATABASE_URL", database.format(port=closed_port))
    assert mlq("db upgrade") == code
    err = capsys.readouterr().err
    assert fragment.format(port=closed_port) in err, err


def test_db_upgrade_says_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a new database it says it created the schema; run again, that it was already the latest."""
    monkeypatch.setenv("MLQ_SQLITE_PATH", str(tmp_path / "new.db"))
    assert mlq("db upgrade") == 0
    assert capsys.readouterr().out.startswith("created the database schema (revision ")
    assert mlq("db upgrade") == 0
    assert "is already the latest" in capsys.readouterr().out
