"""Start-up and bank load: `mlq run` to ready (console adapter) with 1,000 and 10,000 questions.

The floor is a process that imports the same libraries (`import bot.app`) and exits; the ratio is
start-up over that floor. Bank load is also timed in-process, per question, to show it grows
linearly from 1k to 10k.

Run: python -m benchmarks.startup [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, record, write_bank
from bot.content.bank import QuestionBank

SIZES = (1000, 10_000)
READY = "mlquestion console"


def _time_to_ready(bank: Path, folder: Path) -> float:
    env = {**os.environ, "MLQ_CONTENT_DIR": str(bank), "MLQ_SQLITE_PATH": str(folder / "start.db")}
    # The console needs a terminal for its input (`mlq run` refuses a pipe): give it a pseudo-terminal.
    terminal, stdin = pty.openpty()
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
    process.wait(timeout=60)
    os.close(terminal)
    return elapsed


def _time_to_import() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import bot.app"], cwd=ROOT, check=True)
    return time.perf_counter() - started


def _load_time(bank: Path) -> float:
    started = time.perf_counter()
    QuestionBank.load(bank)
    return time.perf_counter() - started


def main(repeats: int) -> None:
    rows = []
    per_question: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="mlq-startup-") as tmp:
        folder = Path(tmp)
        for size in SIZES:
            bank = write_bank(folder / f"bank-{size}", size)
            ready, floor, load = [], [], []
            for _ in range(repeats):  # interleaved, so both see the same machine
                floor.append(_time_to_import())
                ready.append(_time_to_ready(bank, folder))
                load.append(_load_time(bank))
            r, f, b = statistics.median(ready), statistics.median(floor), statistics.median(load)
            per_question[size] = b / size
            rows.append(
                f"| {size:,} | {r:.2f} s | {f:.2f} s | {r / f:.2f} | {b:.2f} s | {b / size * 1e3:.3f} ms |"
            )
    growth = per_question[SIZES[1]] / per_question[SIZES[0]]
    lines = [
        f"Median of {repeats} runs each. Floor: `python -c 'import bot.app'` (the same libraries, no bank, "
        "no database). Bank load timed in-process.",
        "",
        "| questions | `mlq run` → ready | import floor | ratio | bank load | load per question |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Load time per question at 10k ÷ at 1k: {growth:.2f} (1.00 is exactly linear).",
    ]
    record("Start-up and bank load", lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    main(parser.parse_args().repeats)
