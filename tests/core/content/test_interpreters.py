"""Warm interpreters: a snippet run in a fork of one behaves as it would in a fresh `python snippet.py`."""

from __future__ import annotations

import os
import signal
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from bot.content import interpreters
from bot.content.interpreters import InterpreterPool, leading_imports
from bot.content.questions import Question, Snippet
from bot.content.rubric import ClaimCheck
from bot.content.snippets import SnippetOutcome, run_check, run_snippet

pytest.importorskip("numpy")


class Check(Protocol):
    def __call__(self, code: str, timeout: float = 60.0) -> SnippetOutcome: ...


def _checker(question: Question, pool: InterpreterPool | None) -> Check:
    def run(code: str, timeout: float = 60.0) -> SnippetOutcome:
        claim = ClaimCheck(textwrap.dedent(code), ("a claim",), 1)
        return run_check(question, claim, timeout, None, pool)

    return run


@pytest.fixture
def warm_check(make_question: Callable[..., Question], interpreter_pool: InterpreterPool) -> Check:
    """Run code as a claim check of a question, warm when it can."""
    return _checker(make_question("warm"), interpreter_pool)


@pytest.fixture(params=["warm", "fresh"])
def check(
    request: pytest.FixtureRequest, make_question: Callable[..., Question], interpreter_pool: InterpreterPool
) -> Check:
    """The same behaviour either way: each test below runs warm and in a fresh interpreter."""
    return _checker(make_question("warm"), interpreter_pool if request.param == "warm" else None)


def test_only_the_imports_a_snippet_starts_with_are_done_ahead() -> None:
    """Something set before an import (a Keras backend) may change it, so that import is the snippet's."""
    code = 'import os\nimport numpy as np\nos.environ["KERAS_BACKEND"] = "torch"\nimport keras\n'
    preload, heavy = leading_imports(code)
    assert preload == "import os\nimport numpy as np"
    assert heavy == frozenset({"numpy"})


def test_a_docstring_and_future_import_do_not_end_the_leading_imports() -> None:
    code = '"""Doc."""\nfrom __future__ import annotations\nfrom sklearn.linear_model import Ridge\nx = 1\n'
    assert leading_imports(code) == ("from sklearn.linear_model import Ridge", frozenset({"sklearn"}))


@pytest.mark.parametrize(
    ("heavy", "family"),
    [
        ({"numpy", "sklearn"}, {"scientific"}),
        ({"keras", "numpy"}, {"tensorflow"}),
        ({"tensorflow"}, {"tensorflow"}),
        ({"torch", "numpy"}, {"torch"}),
        ({"keras", "torch"}, {"tensorflow", "torch"}),
    ],
)
def test_a_framework_never_shares_a_warm_interpreter_with_another(heavy: set[str], family: set[str]) -> None:
    assert interpreters.family(frozenset(heavy)) == frozenset(family)


def test_a_snippet_without_heavy_leading_imports_runs_fresh(
    check: Check, interpreter_pool: InterpreterPool
) -> None:
    """Nothing worth keeping warm: no warm interpreter is started for it."""
    assert check("import json\nassert json.loads('1') == 1\n").passed
    assert interpreter_pool.keys() == []


def test_a_warm_snippet_prints_what_a_fresh_one_prints(
    make_question: Callable[..., Question], interpreter_pool: InterpreterPool
) -> None:
    question = make_question("warm")
    code = "import numpy as np\nprint(np.arange(3).sum())\n"
    warm = run_snippet(question, Snippet(code, "3", True, 1), 60.0, None, interpreter_pool)
    fresh = run_snippet(question, Snippet(code, "3", True, 1), 60.0, None, None)
    assert warm.passed and fresh.passed
    assert interpreter_pool.keys() == [frozenset({"scientific"})]


def test_one_warm_interpreter_serves_the_next_snippet(
    warm_check: Check, interpreter_pool: InterpreterPool
) -> None:
    assert warm_check("import numpy\nassert True\n").passed
    assert warm_check("import numpy as np\nassert np.zeros(2).size == 2\n").passed
    assert interpreter_pool.keys() == [frozenset({"scientific"})]


def test_what_a_snippet_changes_does_not_reach_the_next(warm_check: Check) -> None:
    check = warm_check
    assert check("import numpy\nnumpy.leaked = 1\nimport json\njson.leaked = 1\n").passed
    outcome = check(
        "import numpy\nimport json\nassert not hasattr(numpy, 'leaked')\nassert not hasattr(json, 'leaked')\n"
    )
    assert outcome.passed, outcome.detail


def test_a_failed_assertion_fails_with_its_traceback(check: Check) -> None:
    outcome = check("import numpy\nassert numpy.ones(1)[0] == 2, 'one is not two'\n")
    assert not outcome.passed
    assert "AssertionError: one is not two" in outcome.detail
    assert "exited 1" in outcome.detail


def test_exit_statuses_are_those_of_a_real_interpreter(check: Check) -> None:
    assert "exited 3" in check("import numpy\nimport sys\nsys.exit(3)\n").detail
    said = check("import numpy\nimport sys\nsys.exit('gave up')\n").detail
    assert "exited 1" in said and "gave up" in said
    assert check("import numpy\nimport sys\nsys.exit(0)\n").passed


def test_a_snippet_runs_as_main_from_a_file_in_an_empty_folder(check: Check) -> None:
    """AutoGraph and inspect read the source from disk; the folder holds the snippet alone."""
    code = """
        import numpy
        import inspect
        import os
        import sys

        def f():
            return 1

        assert __name__ == "__main__"
        assert "return 1" in inspect.getsource(f)
        assert sorted(os.listdir(".")) == ["snippet.py"], os.listdir(".")
        assert sys.argv == [os.path.abspath("snippet.py")], sys.argv
        assert sys.path[0] == os.getcwd()
    """
    outcome = check(code)
    assert outcome.passed, outcome.detail


def test_a_snippet_reading_stdin_reads_nothing(check: Check) -> None:
    """The warm interpreter's requests arrive on its stdin: a snippet must never see them."""
    outcome = check("import numpy\nimport sys\nassert sys.stdin.read() == ''\n")
    assert outcome.passed, outcome.detail


def test_a_snippet_that_runs_too_long_times_out_and_the_next_still_runs(check: Check) -> None:
    outcome = check("import numpy\nimport time\ntime.sleep(30)\n", timeout=2.0)
    assert outcome.detail == "timed out after 2 s"
    assert check("import numpy\nassert True\n").passed


def test_processes_a_snippet_starts_end_with_it(warm_check: Check, tmp_path: Path) -> None:
    """A worker left behind (joblib, a DataLoader) must not outlive the run it belongs to.

    (A fresh run cannot promise this: the leftover holds its output pipe open until the time-out.)
    """
    check = warm_check
    pid_file = str(tmp_path / "pid")
    outcome = check(
        f"import numpy\nimport subprocess\np = subprocess.Popen(['sleep', '60'])\n"
        f"open({pid_file!r}, 'w').write(str(p.pid))\n"
    )
    assert outcome.passed, outcome.detail
    pid = int(Path(pid_file).read_text())
    assert _gone(pid)


def test_a_warm_interpreter_that_died_is_replaced(
    warm_check: Check, interpreter_pool: InterpreterPool
) -> None:
    assert warm_check("import numpy\nassert True\n").passed
    for interpreter in interpreter_pool._every:  # the test plays the crash
        os.kill(interpreter._process.pid, signal.SIGKILL)
        interpreter._process.wait()
    outcome = warm_check("import numpy\nassert numpy.ones(1)[0] == 1\n")
    assert outcome.passed, outcome.detail


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie its new parent has not reaped yet."""
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


def test_a_snippet_sees_its_own_environment_and_our_variables_share_an_interpreter(
    warm_check: Check, interpreter_pool: InterpreterPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A per-test MLQ_ setting changes no library's import, so it does not cost a new warm interpreter."""
    for value in ("one", "two"):
        monkeypatch.setenv("MLQ_SNIPPET_PROBE", value)
        code = f"import numpy\nimport os\nassert os.environ['MLQ_SNIPPET_PROBE'] == {value!r}\n"
        outcome = warm_check(code)
        assert outcome.passed, outcome.detail
    assert interpreter_pool.keys() == [frozenset({"scientific"})]


def test_a_library_setting_in_the_environment_gets_its_own_interpreter(
    warm_check: Check, interpreter_pool: InterpreterPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KERAS_BACKEND and the like are read at import: a different value needs a different import."""
    assert warm_check("import numpy\nassert True\n").passed
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert warm_check("import numpy\nimport os\nassert os.environ['KERAS_BACKEND'] == 'jax'\n").passed
    assert interpreter_pool.keys() == [frozenset({"scientific"})] * 2
