"""Run a question's code snippets in a subprocess and compare what they print with the answer."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.content.interpreters import POOL, InterpreterPool
from bot.content.questions import Question, Snippet
from bot.content.rubric import ClaimCheck

# Modules a snippet may import, and the distribution that provides each (for skip reasons).
OPTIONAL_MODULES = {
    "sklearn": "scikit-learn",
    "tensorflow": "tensorflow-cpu",
    "keras": "keras",
    "numpy": "numpy",
    "pandas": "pandas",
    "scipy": "scipy",
    "torch": "torch",
    "jsonschema": "jsonschema",
}
IMPORT = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_][\w]*)", re.M)


@dataclass(frozen=True, slots=True)
class SnippetOutcome:
    question_id: str
    path: str
    line: int
    passed: bool
    skipped_reason: str | None
    detail: str


def imported_modules(code: str) -> set[str]:
    """The top-level modules a snippet or check imports (every name of `import a, b as c`)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(IMPORT.findall(code))  # the run will report the syntax error; name what we can
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def missing_modules(code: str) -> list[str]:
    """Return the optional libraries a snippet imports that are not installed here."""
    wanted = {m for m in imported_modules(code) if m in OPTIONAL_MODULES}
    return sorted(OPTIONAL_MODULES[m] for m in wanted if importlib.util.find_spec(m) is None)


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def run_snippet(
    question: Question,
    snippet: Snippet,
    timeout: float = 120.0,
    python: str | None = None,
    pool: InterpreterPool | None = POOL,
) -> SnippetOutcome:
    """Execute one snippet on the CPU, as a fresh interpreter would, and check its standard output.

    `python` runs it with another interpreter (a venv holding an older library); the caller then
    answers for which libraries that interpreter has, so nothing is skipped as missing. With a
    `pool`, a snippet that starts by importing heavy libraries runs in a fork of a warm interpreter
    that did just those imports (see `interpreters`); `pool=None` always starts a fresh one.
    """
    missing = [] if python else missing_modules(snippet.code)
    if missing:
        reason = f"needs {', '.join(missing)}, not installed"
        return SnippetOutcome(question.id, question.path, snippet.line, False, reason, "")
    try:
        done = _run_python(snippet.code, timeout, python, pool)
    except subprocess.TimeoutExpired:
        detail = f"timed out after {timeout:.0f} s"
        return SnippetOutcome(question.id, question.path, snippet.line, False, None, detail)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-6:])
        detail = f"exited {done.returncode}:\n{tail}"
        return SnippetOutcome(question.id, question.path, snippet.line, False, None, detail)
    if snippet.expected_output is not None:
        got, want = _normalise(done.stdout), _normalise(snippet.expected_output)
        if got != want:
            detail = f"printed:\n{got}\nbut the answer says:\n{want}"
            return SnippetOutcome(question.id, question.path, snippet.line, False, None, detail)
    return SnippetOutcome(question.id, question.path, snippet.line, True, None, "")


def run_check(
    question: Question,
    check: ClaimCheck,
    timeout: float = 120.0,
    python: str | None = None,
    pool: InterpreterPool | None = POOL,
) -> SnippetOutcome:
    """Execute one claim check: it passes when every assertion holds (exit status 0)."""
    missing = [] if python else missing_modules(check.code)
    if missing:
        reason = f"needs {', '.join(missing)}, not installed"
        return SnippetOutcome(question.id, question.path, check.line, False, reason, "")
    try:
        done = _run_python(check.code, timeout, python, pool)
    except subprocess.TimeoutExpired:
        return SnippetOutcome(
            question.id, question.path, check.line, False, None, f"timed out after {timeout:.0f} s"
        )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-6:])
        claims = "; ".join(check.claims)
        detail = f"claim not backed ({claims}): exited {done.returncode}:\n{tail}"
        return SnippetOutcome(question.id, question.path, check.line, False, None, detail)
    return SnippetOutcome(question.id, question.path, check.line, True, None, "")


def _run_python(
    code: str, timeout: float, python: str | None, pool: InterpreterPool | None
) -> subprocess.CompletedProcess[str]:
    """Run code on the CPU in an empty temporary folder, warm when it can; raises TimeoutExpired."""
    env = {
        **os.environ,
        "CUDA_VISIBLE_DEVICES": "",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "PYTHONHASHSEED": "0",
        # One thread per snippet: the suite runs several at once on small machines, and
        # OpenMP oversubscription makes k-means or boosting many times slower.
        "OMP_NUM_THREADS": "1",
    }
    interpreter = python or sys.executable
    args = [interpreter, "snippet.py"]
    with tempfile.TemporaryDirectory() as workdir:
        # A real file, not `-c`: tf.function's AutoGraph and inspect need the source on disk. It
        # sits alone in its folder (the snippet's working directory); a warm run's output files don't.
        script = Path(workdir) / "run" / "snippet.py"
        script.parent.mkdir()
        script.write_text(code, encoding="utf-8")
        ran = pool.run(interpreter, env, script, code, timeout) if pool is not None else None
        if ran is not None:
            if ran.timed_out:
                raise subprocess.TimeoutExpired(args, timeout, ran.stdout, ran.stderr)
            return subprocess.CompletedProcess(args, ran.returncode, ran.stdout, ran.stderr)
        return subprocess.run(  # noqa: S603 — runs our own bank's code with our interpreter
            [interpreter, str(script)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=script.parent,
            env=env,
            check=False,
        )
