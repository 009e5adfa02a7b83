"""Start-up with a large bank: `mlq run` to ready (console adapter) with 10,000 questions, against the
import floor, with the parsed-bank cache empty (first start), filled (warm start) and turned off.

The floor is a process that imports the same libraries (`import bot.app`) and exits; each start is
reported over that floor, in wall-clock time and in CPU time (user + system of the process: on a busy
shared machine the wall clock also counts time spent waiting for a core). Bank load is also timed
in-process, per question, at 1,000 and 10,000 questions, to show it grows linearly.

Run: python -m benchmarks.startup [--repeats 5] [--questions 10000]
"""

from __future__ import annotations

import argparse
import os
import pty
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from benchmarks.common import ROOT, record, write_bank
from bot.content.bank import QuestionBank
from bot.content.cache import BankCache

READY = "mlquestion console"
TARGET = 1.5  # issue 18: a warm start within 1.5× the import floor
LINEARITY_SIZES = (1000, 10_000)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time_to_ready(bank: Path, folder: Path, cache: str) -> tuple[float, float]:
    """Start `mlq run`, return (wall, CPU) seconds until the console's first line, then quit."""
    env = {
        **os.environ,
        "MLQ_CONTENT_DIR": str(bank),
        "MLQ_SQLITE_PATH": str(folder / "start.db"),
        "MLQ_BANK_CACHE_DIR": cache,
    }
    # The console needs a terminal for its input (`mlq run` refuses a pipe): give it a pseudo-terminal.
    terminal, stdin = pty.openpty()
    cpu = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    os.close(stdin)
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    assert READY in line, line
    os.write(terminal, b"/quit\n")
    process.wait(timeout=120)
    os.close(terminal)
    # The CPU time is the whole process's, its shutdown included, like the floor's (which exits).
    return elapsed, _children_cpu() - cpu


def _time_to_import() -> tuple[float, float]:
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import bot.app"], cwd=ROOT, check=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def _load_time(load: Callable[[], object]) -> float:
    started = time.perf_counter()
    load()
    return time.perf_counter() - started


def _starts(bank: Path, folder: Path, repeats: int) -> dict[str, list[tuple[float, float]]]:
    cache = folder / "cache"
    runs: dict[str, list[tuple[float, float]]] = {"floor": [], "first": [], "warm": [], "off": []}
    _time_to_ready(bank, folder, "off")  # creates and migrates the database, which every start then opens
    for _ in range(repeats):  # interleaved, so every kind of start sees the same machine
        runs["floor"].append(_time_to_import())
        shutil.rmtree(cache, ignore_errors=True)
        runs["first"].append(_time_to_ready(bank, folder, str(cache)))
        runs["warm"].append(_time_to_ready(bank, folder, str(cache)))
        runs["off"].append(_time_to_ready(bank, folder, "off"))
    return runs


def main(repeats: int, questions: int) -> None:
    with tempfile.TemporaryDirectory(prefix="mlq-startup-") as tmp:
        folder = Path(tmp)
        bank = write_bank(folder / f"bank-{questions}", questions)
        runs = _starts(bank, folder, repeats)
        per_question: dict[int, tuple[float, float]] = {}
        for size in LINEARITY_SIZES:
            sized = write_bank(folder / f"load-{size}", size)
            cache = BankCache(folder / f"load-cache-{size}")
            QuestionBank.load(sized, cache)
            parsed = [_load_time(partial(QuestionBank.load, sized)) for _ in range(repeats)]
            cached = [_load_time(partial(QuestionBank.load, sized, cache)) for _ in range(repeats)]
            per_question[size] = (statistics.median(parsed) / size, statistics.median(cached) / size)
    wall = {kind: statistics.median(w for w, _ in samples) for kind, samples in runs.items()}
    cpu = {kind: statistics.median(c for _, c in samples) for kind, samples in runs.items()}
    labels = {
        "floor": "import floor (`python -c 'import bot.app'`)",
        "first": "first start (cache empty: parse, then write the cache)",
        "warm": "warm start (every question from the cache)",
        "off": "cache off (`MLQ_BANK_CACHE_DIR=off`: parse every file)",
    }
    rows = [
        f"| {labels[kind]} | {wall[kind]:.2f} s | {wall[kind] / wall['floor']:.2f} "
        f"| {cpu[kind]:.2f} s | {cpu[kind] / cpu['floor']:.2f} |"
        for kind in labels
    ]
    small, large = LINEARITY_SIZES
    lines = [
        f"{questions:,} questions; median of {repeats} runs of each kind of start, interleaved. "
        "Ready: `mlq run` (console adapter, SQLite) printed its first line. CPU: user + system time of "
        f"the whole process. Target: warm start ≤ {TARGET}× the floor.",
        "",
        "| start | wall → ready | ÷ floor | CPU | ÷ floor |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "A start's wall clock stops at ready, the floor's includes the interpreter's exit, and on a busy "
        "shared machine both count time spent waiting for a core: the CPU ratio, which counts the whole "
        "process both times, is the steadier figure. Before the cache (run of 2026-11-25) a start with "
        "10,000 questions took 3.80× the floor.",
        "",
        "Bank load in-process, per question (median of the runs):",
        "",
        "| questions | parsed | from the cache |",
        "|---|---|---|",
        *(
            f"| {size:,} | {per_question[size][0] * 1e3:.3f} ms | {per_question[size][1] * 1e3:.3f} ms |"
            for size in LINEARITY_SIZES
        ),
        "",
        f"Load time per question at {large:,} ÷ at {small:,}: parsed "
        f"{per_question[large][0] / per_question[small][0]:.2f}, from the cache "
        f"{per_question[large][1] / per_question[small][1]:.2f} (1.00 is exactly linear).",
    ]
    record("Start-up and bank load", lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--questions", type=int, default=10_000)
    options = parser.parse_args()
    main(options.repeats, options.questions)
