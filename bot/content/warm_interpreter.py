"""A warm interpreter: imports a snippet's libraries once, then runs each snippet in a fork of itself.

Importing TensorFlow costs about 7 s of CPU, PyTorch 3 s and scikit-learn 2 s, while most bank
snippets and claim checks run in well under a second. A fresh interpreter per snippet therefore spends
most of the suite importing. This server imports what a snippet's leading `import` lines import — the
very statements the snippet starts with, nothing else — and then forks: the child is the interpreter
the snippet would have had after its own imports, and everything it does dies with it.

Run by path with any Python (`python warm_interpreter.py`): it uses the standard library only, so an
interpreter in another venv (an older scikit-learn) can serve too. One JSON request per stdin line:
    {"script": PATH, "stdout": PATH, "stderr": PATH, "preload": SOURCE, "timeout": SECONDS, "env": {...}}
and one JSON reply per line of its original stdout (anything else written there goes to stderr):
    {"returncode": N, "timed_out": BOOL}
The child's standard output and error go to the files the request names.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import runpy
import select
import signal
import sys
import time
import traceback
from typing import Any


def preload(source: str) -> None:
    """Run the snippet's leading imports here, so every later fork starts with them done."""
    # A failing import is left for the snippet's own run to report.
    with contextlib.suppress(Exception):
        exec(compile(source, "<preload>", "exec"), {"__name__": "__preload__"})  # noqa: S102 — our bank's imports


def child(request: dict[str, Any], replies: int) -> None:
    """Become the snippet's interpreter: its folder, its output files, its argv; never return."""
    os.setsid()  # its own process group, so a timeout also ends what it started
    os.close(replies)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)  # the requests arrive on stdin: a snippet must not read them
    os.close(nothing)
    script = request["script"]
    folder = os.path.dirname(script)
    os.chdir(folder)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    os.environ.clear()
    os.environ.update(request["env"])  # the snippet's own environment, as a fresh run would have it
    sys.argv = [script]
    sys.path.insert(0, folder)
    # A fresh interpreter seeds its generators from the OS; forks of one parent would share a state.
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    except BaseException:  # what an uncaught exception does to a real interpreter
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def wait(pid: int, timeout: float) -> tuple[int, bool]:
    """The child's exit status as subprocess reports it (negative: killed by that signal)."""
    deadline = time.monotonic() + timeout
    fd = os.pidfd_open(pid)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                timed_out = True
                break
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                timed_out = False
                break
    finally:
        os.close(fd)
    if timed_out:
        _end_group(pid)
        _, status = os.waitpid(pid, 0)
    _end_group(pid)  # workers the snippet left behind (joblib, DataLoader) end with it
    return os.waitstatus_to_exitcode(status), timed_out


def _end_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def serve() -> None:
    # This file's folder is not the snippet's: a fresh `python snippet.py` never sees it on the path.
    sys.path.pop(0)
    # Replies get their own descriptor; anything a library prints while importing goes to stderr.
    replies = os.dup(1)
    os.dup2(2, 1)
    out = os.fdopen(replies, "w", encoding="utf-8")
    print(json.dumps({"ready": True}), file=out, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        preload(request["preload"])
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child(request, replies)
        returncode, timed_out = wait(pid, float(request["timeout"]))
        print(json.dumps({"returncode": returncode, "timed_out": timed_out}), file=out, flush=True)


if __name__ == "__main__":
    serve()
