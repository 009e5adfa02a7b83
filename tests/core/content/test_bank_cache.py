"""The parsed-bank cache: a start-up gets the very bank parsing every file would give, faster when the
files were parsed before; a cache that is damaged, stale or out of reach never stops a start."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.bank import QuestionBank
from bot.content.cache import BankCache
from bot.content.files import question_files
from bot.content.loader import LoadResult, load_questions
from bot.ops.settings import load_settings
from tests.support.fakes import VALID_QUESTION
from tests.support.paths import CONTENT, ROOT

Loader = Callable[[Path], LoadResult]
IDS = ("first-question", "second-question", "third-question")


def question_text(qid: str, title: str = "A sample question") -> str:
    return VALID_QUESTION.replace("id: sample-question", f"id: {qid}").replace("A sample question", title)


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    """A bank of three valid keras questions."""
    root = tmp_path / "bank"
    for qid in IDS:
        path = root / "keras" / f"{qid}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(question_text(qid), encoding="utf-8")
    return root


@pytest.fixture
def cache(tmp_path: Path) -> BankCache:
    return BankCache(tmp_path / "cache")


@pytest.fixture
def load(cache: BankCache) -> Loader:
    """Load a bank through the cache."""
    return lambda root: cache.load(root, question_files(root))


@pytest.fixture
def warm(bank: Path, load: Loader) -> Path:
    """The bank, loaded once through the cache (which now holds its three questions)."""
    assert load(bank).from_cache == 0
    return bank


def cache_file(cache: BankCache) -> Path:
    (path,) = cache.folder.glob("bank-*.json")
    return path


def test_the_cached_real_bank_equals_the_parsed_one_field_for_field(cache: BankCache) -> None:
    """Every question of content/ read back from the cache equals the one parsed from its file."""
    paths = question_files(CONTENT)
    parsed = load_questions(CONTENT)
    cache.load(CONTENT, paths)
    cached = cache.load(CONTENT, paths)
    assert cached.from_cache == len(paths)
    assert cached.problems == parsed.problems == []
    assert [q.id for q in cached.questions] == [q.id for q in parsed.questions]
    for from_cache, from_file in zip(cached.questions, parsed.questions, strict=True):
        assert from_cache == from_file, from_file.path


def test_the_real_bank_has_every_kind_of_field_the_cache_stores() -> None:
    """The comparison above covers rubrics, checks, snippets with output, tracks, references and since."""
    questions = load_questions(CONTENT).questions
    assert any(q.rubric and q.rubric.misconceptions for q in questions)
    assert any(q.checks for q in questions)
    assert any(s.expected_output is not None for q in questions for s in q.snippets)
    assert any(q.tracks for q in questions) and any(q.references for q in questions)
    assert any(q.since for q in questions) and any(q.review for q in questions)
    assert any(q.rubric and q.rubric.swaps for q in questions)


def test_a_warm_start_parses_nothing(warm: Path, load: Loader) -> None:
    """Loaded again with nothing changed, every question comes from the cache, the same as parsed."""
    result = load(warm)
    assert result.from_cache == len(IDS)
    assert result.questions == load_questions(warm).questions


def test_an_edited_file_is_parsed_again(warm: Path, load: Loader) -> None:
    """A file whose contents changed is parsed; the others still come from the cache."""
    (warm / "keras" / "second-question.md").write_text(question_text("second-question", "Edited"), "utf-8")
    result = load(warm)
    assert result.from_cache == len(IDS) - 1
    assert QuestionBank(result.questions).get("second-question").title == "Edited"  # type: ignore[union-attr]
    assert load(warm).from_cache == len(IDS)


def test_a_deleted_file_leaves_the_bank(warm: Path, load: Loader) -> None:
    """A question whose file is gone is not served from the cache."""
    (warm / "keras" / "first-question.md").unlink()
    assert [q.id for q in load(warm).questions] == ["second-question", "third-question"]


def test_an_added_file_joins_the_bank(warm: Path, load: Loader) -> None:
    """A new file is parsed and joins the questions read from the cache."""
    (warm / "keras" / "fourth-question.md").write_text(question_text("fourth-question"), "utf-8")
    result = load(warm)
    assert result.from_cache == len(IDS)
    assert "fourth-question" in {q.id for q in result.questions}


def test_a_file_moved_elsewhere_is_parsed_under_its_new_path(warm: Path, load: Loader) -> None:
    """The same contents at another path are not taken from the cache: the question names its file."""
    old = warm / "keras" / "first-question.md"
    new = warm / "extra" / "first-question.md"
    new.parent.mkdir()
    old.rename(new)
    (moved,) = [q for q in load(warm).questions if q.id == "first-question"]
    assert moved.path.endswith("extra/first-question.md")


def test_a_file_with_problems_is_reported_at_every_load(bank: Path, load: Loader) -> None:
    """Only good files are cached: a broken one's problems come back at every load, unchanged."""
    broken = bank / "keras" / "first-question.md"
    broken.write_text(
        question_text("first-question").replace("difficulty: easy", "difficulty: brutal"), "utf-8"
    )
    first, second = load(bank), load(bank)
    assert (
        [str(p) for p in second.problems]
        == [str(p) for p in first.problems]
        == [str(p) for p in load_questions(bank).problems]
    )
    assert "unknown difficulty 'brutal'" in str(second.problems[0])


def test_duplicate_ids_are_found_with_a_warm_cache(warm: Path, load: Loader) -> None:
    """Duplicates across files are checked at every load, also when both files come from the cache."""
    copy = warm / "extra" / "first-question.md"
    copy.parent.mkdir()
    copy.write_text(question_text("first-question"), "utf-8")
    load(warm)
    result = load(warm)
    assert result.from_cache == len(IDS) + 1
    assert ["duplicate id 'first-question'" in p.message for p in result.problems] == [True]


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda raw: raw[: len(raw) // 2],
    "empty": lambda raw: b"",
    "not JSON": lambda raw: b"\x00\xff garbage",
    "a changed byte in a question": lambda raw: raw.replace(b"sample", b"simple", 1),
    "an unknown format": lambda raw: raw.replace(b'"format": 1', b'"format": 99', 1),
    "a header that is a list": lambda raw: b"[]\n" + raw.partition(b"\n")[2],
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_corrupt_cache_is_ignored_with_a_log_line(
    warm: Path,
    cache: BankCache,
    load: Loader,
    corrupt: Callable[[bytes], bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A damaged cache file gives a warning and the parsed bank, then is replaced by a good one."""
    path = cache_file(cache)
    path.write_bytes(corrupt(path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="bot.content.cache"):
        result = load(warm)
    assert result.from_cache == 0
    assert result.questions == load_questions(warm).questions
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "corrupt" in caplog.records[0].getMessage()
    assert load(warm).from_cache == len(IDS)


def test_a_cache_written_by_other_code_is_ignored(
    warm: Path, cache: BankCache, load: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache from another version of the parsing code (an upgrade) is parsed over, with a log line."""
    path = cache_file(cache)
    header, _, body = path.read_bytes().partition(b"\n")
    path.write_bytes(json.dumps({**json.loads(header), "code": "an older parser"}).encode() + b"\n" + body)
    with caplog.at_level(logging.INFO, logger="bot.content.cache"):
        assert load(warm).from_cache == 0
    assert ["written by other code" in r.getMessage() for r in caplog.records] == [True]
    assert load(warm).from_cache == len(IDS)


def test_an_unreadable_cache_file_is_ignored(
    bank: Path, cache: BankCache, load: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache path that cannot be read or replaced (here a folder) gives log lines and the parsed bank."""
    load(bank)
    path = cache_file(cache)
    path.unlink()
    (path / "in-the-way").mkdir(parents=True)
    with caplog.at_level(logging.WARNING, logger="bot.content.cache"):
        result = load(bank)
    assert result.questions == load_questions(bank).questions
    messages = [r.getMessage() for r in caplog.records]
    assert ["cannot be read" in m for m in messages] == [True, False]
    assert "cannot be written" in messages[1]
    assert sorted(p.name for p in cache.folder.iterdir()) == [path.name]  # no temporary file left


def test_a_cache_folder_that_cannot_be_made_is_skipped(
    bank: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache folder below a file (it can never exist, even for root) gives log lines and the bank."""
    (tmp_path / "a-file").write_text("", "utf-8")
    cache = BankCache(tmp_path / "a-file" / "cache")
    with caplog.at_level(logging.WARNING, logger="bot.content.cache"):
        result = cache.load(bank, question_files(bank))
    assert result.questions == load_questions(bank).questions
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "cannot be read" in messages[0] and "cannot be written" in messages[1]


def test_the_cache_folder_defaults_to_the_xdg_cache_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Unset, MLQ_BANK_CACHE_DIR is $XDG_CACHE_HOME/mlquestion."""
    monkeypatch.delenv("MLQ_BANK_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert load_settings().bank_cache_dir == tmp_path / "xdg" / "mlquestion"


@pytest.mark.parametrize("xdg", [None, "relative/cache"], ids=["unset", "relative (invalid)"])
def test_without_a_usable_xdg_cache_home_the_cache_is_in_the_home_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str | None
) -> None:
    """With XDG_CACHE_HOME unset or relative, the cache goes to ~/.cache/mlquestion."""
    monkeypatch.delenv("MLQ_BANK_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert load_settings().bank_cache_dir == tmp_path / ".cache" / "mlquestion"


@pytest.mark.parametrize("value", ["off", "OFF", ""])
def test_off_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """MLQ_BANK_CACHE_DIR=off (or empty) means no cache."""
    monkeypatch.setenv("MLQ_BANK_CACHE_DIR", value)
    assert load_settings().bank_cache_dir is None


@pytest.mark.parametrize(("setting", "written"), [("a folder", True), ("off", False)])
def test_mlq_keeps_the_bank_in_the_configured_cache_folder(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    setting: str,
    written: bool,
) -> None:
    """`mlq ask` leaves a cache in MLQ_BANK_CACHE_DIR; with `off` it writes none, not even to XDG's."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("MLQ_BANK_CACHE_DIR", "off" if setting == "off" else str(tmp_path / "cache"))
    assert main(["ask", "--topic", "keras"]) == 0
    assert "keras" in capsys.readouterr().out.lower()
    assert bool(list(tmp_path.rglob("bank-*.json"))) is written
    assert not (tmp_path / "xdg").exists()


def test_two_processes_filling_the_cache_at_once_leave_a_whole_cache(
    bank: Path, cache: BankCache, tmp_path: Path
) -> None:
    """Two cold starts writing one cache together both load the bank, and the cache left is whole."""
    go = tmp_path / "go"
    script = textwrap.dedent(
        f"""
        import pathlib, time
        from bot.content.cache import BankCache
        from bot.content.files import question_files
        while not pathlib.Path({str(go)!r}).exists():
            time.sleep(0.01)
        root = pathlib.Path({str(bank)!r})
        result = BankCache(pathlib.Path({str(cache.folder)!r})).load(root, question_files(root))
        print(len(result.questions), len(result.problems))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", script]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in "ab"]  # noqa: S603
    go.touch()
    outputs = [run.communicate(timeout=120)[0].split() for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert outputs == [[str(len(IDS)), "0"]] * 2
    assert cache.load(bank, question_files(bank)).from_cache == len(IDS)
    assert [p.name for p in cache.folder.iterdir()] == [cache_file(cache).name]


def test_mlq_content_cache_fills_the_cache_a_start_then_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bank: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mlq content cache` (run while building the image) leaves every question for the next load."""
    monkeypatch.setenv("MLQ_BANK_CACHE_DIR", str(tmp_path / "filled"))
    assert main(["content", "cache", str(bank)]) == 0
    assert f"3 question(s) of {bank} cached in {tmp_path / 'filled'}" in capsys.readouterr().out
    assert BankCache(tmp_path / "filled").load(bank, question_files(bank)).from_cache == len(IDS)


def test_mlq_content_cache_refuses_when_the_cache_is_off(
    monkeypatch: pytest.MonkeyPatch, bank: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With MLQ_BANK_CACHE_DIR=off there is nothing to fill: a usage error that says so."""
    monkeypatch.setenv("MLQ_BANK_CACHE_DIR", "off")
    assert main(["content", "cache", str(bank)]) == 2
    assert "MLQ_BANK_CACHE_DIR is off" in capsys.readouterr().err
