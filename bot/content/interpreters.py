"""Where a snippet runs: a fresh interpreter, or a fork of a warm one that already did its imports.

A snippet's heavy imports (TensorFlow 7 s of CPU, PyTorch 3 s, scikit-learn 2 s) cost more than most
snippets do. When a snippet starts with such imports, it runs in a fork of a warm interpreter
(`warm_interpreter.py`) that has executed those same leading import statements and nothing else;
warm interpreters are kept per interpreter, per family of libraries and per environment, so a
TensorFlow snippet never runs beside a preloaded PyTorch. Within a family a warm interpreter gathers
the imports of the snippets it served (one asked for `sklearn.linear_model`, the next for
`sklearn.ensemble`): a library already loaded that a snippet does not import changes nothing it does,
while a separate interpreter per exact import list would keep a dozen TensorFlows in memory.
Snippets that import nothing heavy up front — or set something up before importing
(`os.environ["KERAS_BACKEND"] = …`) — run in a fresh interpreter as before.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import json
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Libraries whose import is worth keeping warm (the rest import in milliseconds).
HEAVY = frozenset({"numpy", "pandas", "scipy", "sklearn", "tensorflow", "keras", "torch"})
# Deep-learning frameworks each get interpreters of their own (Keras is TensorFlow's here).
FRAMEWORKS = {"tensorflow": "tensorflow", "keras": "tensorflow", "torch": "torch"}


# Environment variables no library reads, which may differ from one snippet run to the next.
OWN_VARIABLES = ("MLQ_", "PYTEST_")


def family(heavy: frozenset[str]) -> frozenset[str]:
    """Which warm interpreters may serve a snippet importing `heavy`: by framework, else scientific."""
    frameworks = frozenset(FRAMEWORKS[m] for m in heavy if m in FRAMEWORKS)
    return frameworks or frozenset({"scientific"})


SERVER = Path(__file__).with_name("warm_interpreter.py")


@dataclass(frozen=True, slots=True)
class Ran:
    """What running a script gave: as `subprocess.run` would report it."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool


class WarmInterpreterGone(RuntimeError):
    """The warm interpreter exited or stopped answering: run the snippet fresh instead."""


def leading_imports(code: str) -> tuple[str, frozenset[str]]:
    """The import statements a snippet starts with (after a docstring), and the heavy libraries among them.

    Only the leading ones: a statement before an import (setting an environment variable, a seed)
    may change what that import does, so imports after it are left to the snippet.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return "", frozenset()
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    statements: list[str] = []
    heavy: set[str] = set()
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue  # a compiler directive for the snippet's own file, not an import to share
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [node.module]
        else:
            break
        statements.append(ast.unparse(node))
        heavy.update(m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY)
    return "\n".join(statements), frozenset(heavy)


class WarmInterpreter:
    """One `warm_interpreter.py` process; runs one script at a time."""

    def __init__(self, python: str, env: Mapping[str, str]) -> None:
        self._process = subprocess.Popen(  # noqa: S603 — our own server script with our interpreter
            [python, str(SERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=dict(env),
        )
        if self._process.stdin is None or self._process.stdout is None:  # pragma: no cover — PIPE asked
            raise WarmInterpreterGone("no pipes to the warm interpreter")
        self._stdin, self._stdout = self._process.stdin, self._process.stdout
        self._reply()  # {"ready": true}

    def run(self, script: Path, preload: str, timeout: float, env: Mapping[str, str]) -> Ran:
        out, err = script.parent.parent / "stdout.txt", script.parent.parent / "stderr.txt"
        request: dict[str, object] = {"script": str(script), "stdout": str(out), "stderr": str(err)}
        request |= {"preload": preload, "timeout": str(timeout), "env": dict(env)}
        try:
            self._stdin.write(json.dumps(request) + "\n")
            self._stdin.flush()
        except OSError as exc:
            raise WarmInterpreterGone(str(exc)) from exc
        reply = self._reply()
        return Ran(
            int(reply["returncode"]),
            out.read_text(encoding="utf-8", errors="replace") if out.exists() else "",
            err.read_text(encoding="utf-8", errors="replace") if err.exists() else "",
            bool(reply["timed_out"]),
        )

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._stdin.close()  # the server leaves at the end of its input
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _reply(self) -> dict[str, int | bool]:
        line = self._stdout.readline()
        if not line:
            raise WarmInterpreterGone(f"the warm interpreter exited ({self._process.poll()})")
        reply: dict[str, int | bool] = json.loads(line)
        return reply


Key = tuple[str, frozenset[str], tuple[tuple[str, str], ...]]


class InterpreterPool:
    """Warm interpreters by (python, family, environment but our own variables); one per caller at a time."""

    def __init__(self) -> None:
        self._idle: dict[Key, list[WarmInterpreter]] = {}
        self._every: list[WarmInterpreter] = []
        self._lock = threading.Lock()

    def run(self, python: str, env: Mapping[str, str], script: Path, code: str, timeout: float) -> Ran | None:
        """Run `script` warm; None when it has no heavy leading imports (run it fresh)."""
        preload, heavy = leading_imports(code)
        if not heavy:
            return None
        # The project's and pytest's own variables (a cache folder per test) change no library's
        # import; the fork gets the exact environment anyway.
        shared = tuple(sorted((k, v) for k, v in env.items() if not k.startswith(OWN_VARIABLES)))
        key: Key = (python, family(heavy), shared)
        try:
            interpreter = self._take(key, python, env)
        except (WarmInterpreterGone, OSError, ValueError):
            return None
        try:
            ran = interpreter.run(script, preload, timeout, env)
        except (WarmInterpreterGone, OSError, ValueError):
            self._forget(interpreter)  # it died (or was killed): the next snippet starts another
            return None
        with self._lock:
            self._idle.setdefault(key, []).append(interpreter)
        return ran

    def keys(self) -> list[frozenset[str]]:
        """The family of each idle warm interpreter (for tests and the benchmark)."""
        with self._lock:
            return [key[1] for key, idle in self._idle.items() for _ in idle]

    def close(self) -> None:
        with self._lock:
            every, self._every, self._idle = self._every, [], {}
        for interpreter in every:
            interpreter.close()

    def _take(self, key: Key, python: str, env: Mapping[str, str]) -> WarmInterpreter:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
        interpreter = WarmInterpreter(python, env)  # outside the lock: its start takes a while
        with self._lock:
            self._every.append(interpreter)
        return interpreter

    def _forget(self, interpreter: WarmInterpreter) -> None:
        with self._lock:
            if interpreter in self._every:
                self._every.remove(interpreter)
        interpreter.close()


POOL = InterpreterPool()
atexit.register(POOL.close)
