"""The dashboard in the bot process: with MLQ_WEB_PORT set, `mlq run` serves it, and
`/mlquestion dashboard` typed in the console answers with a link that this server opens."""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.fakes import VALID_QUESTION
from tests.support.log_scan import SCAN

ROOT = Path(__file__).resolve().parents[3]
_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/signin/\S+)")


def _read_until(process: subprocess.Popen[str], pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
    """Read the process's output until `pattern` matches a line (fail after `timeout` seconds)."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = process.stdout.readline()
            seen.append(line)
            if (match := pattern.search(line)) is not None:
                return match
            if not line:
                break
    raise AssertionError("no link in the output:\n" + "".join(seen))


def _status(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — our own loopback server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_console_hands_out_a_link_the_same_process_serves(tmp_path: Path, closed_port: int) -> None:
    """`mlq run --demo` with MLQ_WEB_PORT: the link from `/mlquestion dashboard` opens its sign-in page."""
    (tmp_path / "questions" / "keras").mkdir(parents=True)
    (tmp_path / "questions" / "keras" / "sample-question.md").write_text(VALID_QUESTION, encoding="utf-8")
    secret = "process-test-web-secret-not-real-0123"
    SCAN.register(secret)
    env = {
        **os.environ,
        "MLQ_CONTENT_DIR": str(tmp_path / "questions"),
        "MLQ_DEMO_REVEAL_SECONDS": "4",
        "MLQ_WEB_PORT": str(closed_port),
        "MLQ_WEB_BASE_URL": f"http://127.0.0.1:{closed_port}",
        "MLQ_WEB_SECRET": secret,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--demo"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        assert process.stdin is not None
        process.stdin.write("/mlquestion dashboard\n")
        process.stdin.flush()
        link = _read_until(process, _LINK, timeout=60).group(1)
        SCAN.register(link.rsplit("/", 1)[1])
        status, page = _status(link)
        assert status == 200 and "Sign in to your dashboard" in page
        assert _status(f"http://127.0.0.1:{closed_port}/")[0] == 401
        process.stdin.close()
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert secret not in (process.stderr.read() if process.stderr else "")
