"""A Docker engine for the container tests: the one running, or Debian's, installed and started here.

Finding one: `docker info` answers → use it. Otherwise, as root on a Debian machine, `apt-get update`
(once per session) and `apt-get install docker.io` (and Debian's `docker-compose` when no Compose v2
plugin answers), then `dockerd` is started in its own session with its log in a file, and stopped again
when the tests end. Where none of that is possible the engine is *unavailable*, with the reason, and
the container tests skip saying so.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# Compose v2 (`docker compose`, the plugin users run) when the CLI has it; Debian's docker-compose 1.29
# otherwise. Both read the same docker-compose.yml.
COMPOSE_PLUGIN = ("compose",)
COMPOSE_STANDALONE = "docker-compose"
DAEMON_START_SECONDS = 60
LOCK_NAME = "mlq-container-tests.lock"


@contextmanager
def machine_lock(timeout: float = 1800) -> Iterator[float]:
    """Hold this machine's lock for the container scenario (one at a time: the project name, the
    published ports and a daemon we may stop are shared); yield the seconds spent waiting for it."""
    path = Path(tempfile.gettempdir()) / LOCK_NAME
    started = time.monotonic()
    with path.open("a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - started > timeout:
                    raise CommandFailed(f"another container run held {path} for {timeout:.0f} s") from None
                time.sleep(2)
        try:
            yield time.monotonic() - started
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class EngineUnavailable(Exception):
    """No Docker engine can run here; the message says why (the tests skip with it)."""


class CommandFailed(AssertionError):
    """A command the tests ran exited non-zero; the message holds its output."""


@dataclass(frozen=True, slots=True)
class Result:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float


def run(
    args: Sequence[str],
    *,
    check: bool = True,
    timeout: float = 600,
    stdin: str | bytes | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Result:
    """Run a command to completion; with `check`, a non-zero exit raises with its output."""
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 — the test's own docker/apt commands, never a shell
        list(args),
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
        check=False,
    )
    result = Result(
        tuple(args),
        done.returncode,
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
        time.monotonic() - started,
    )
    if check and result.code != 0:
        raise CommandFailed(
            f"`{' '.join(args)}` exited {result.code}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


_apt_updated = False


def apt_install(*packages: str) -> None:
    """Install Debian packages (after one `apt-get update` per session); unavailable if we can't."""
    global _apt_updated
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise EngineUnavailable(f"{', '.join(packages)} missing, and installing needs root and apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        if not _apt_updated:
            run(["apt-get", "update", "-q"], env=env)
            _apt_updated = True
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], env=env)
    except CommandFailed as exc:
        raise EngineUnavailable(f"could not install {', '.join(packages)}: {exc}") from None


@dataclass
class Engine:
    """The docker CLI, the compose command that goes with it, and the daemon if we started it."""

    docker: str
    compose: tuple[str, ...]
    how: list[str] = field(default_factory=list)  # what was done to get here, for the report
    daemon: subprocess.Popen[bytes] | None = None
    daemon_log: Path | None = None

    def __call__(
        self, *args: str, check: bool = True, timeout: float = 600, stdin: str | None = None
    ) -> Result:
        return run([self.docker, *args], check=check, timeout=timeout, stdin=stdin)

    @property
    def compose_name(self) -> str:
        return "docker compose (v2 plugin)" if self.compose[-1] == "compose" else "docker-compose (v1)"

    def versions(self) -> str:
        server = self("version", "--format", "{{.Server.Version}}").stdout.strip()
        compose = run([*self.compose, "version", "--short"], check=False).stdout.strip()
        return f"Docker Engine {server}, {self.compose_name} {compose}"

    def stop_daemon(self) -> None:
        """Stop the dockerd we started (it stops its containers and containerd with it)."""
        if self.daemon is None or self.daemon.poll() is not None:
            return
        self.daemon.send_signal(signal.SIGTERM)
        try:
            self.daemon.wait(30)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait(10)


def _answers(docker: str) -> bool:
    return run([docker, "info", "--format", "{{.ServerVersion}}"], check=False, timeout=30).code == 0


def _compose_command(docker: str) -> tuple[str, ...] | None:
    if run([docker, *COMPOSE_PLUGIN, "version"], check=False, timeout=30).code == 0:
        return (docker, *COMPOSE_PLUGIN)
    standalone = shutil.which(COMPOSE_STANDALONE)
    if standalone and run([standalone, "version"], check=False, timeout=30).code == 0:
        return (standalone,)
    return None


def _start_daemon(engine: Engine) -> None:
    dockerd = shutil.which("dockerd")
    if dockerd is None or os.geteuid() != 0:
        raise EngineUnavailable("no Docker daemon answers, and starting dockerd needs root and dockerd")
    # One file, overwritten by each run that starts the daemon: there to read after a failure.
    engine.daemon_log = Path(tempfile.gettempdir()) / "mlq-dockerd.log"
    with engine.daemon_log.open("wb") as log:
        # A session of its own, so that a Ctrl-C meant for pytest does not reach it: we stop it.
        engine.daemon = subprocess.Popen(  # noqa: S603 — the dockerd Debian installed
            [dockerd], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + DAEMON_START_SECONDS
    while not _answers(engine.docker):
        if engine.daemon.poll() is not None or time.monotonic() > deadline:
            engine.stop_daemon()
            tail = engine.daemon_log.read_text(errors="replace").splitlines()[-15:]
            raise EngineUnavailable("dockerd did not start:\n" + "\n".join(tail))
        time.sleep(0.5)
    engine.how.append(f"started dockerd (log: {engine.daemon_log})")


def find_engine() -> Engine:
    """Return a working engine and compose command, installing and starting them if need be."""
    how: list[str] = []
    docker = shutil.which("docker")
    if docker is None or (not _answers(docker) and shutil.which("dockerd") is None):
        apt_install("docker.io")
        how.append("installed docker.io from Debian")
        docker = shutil.which("docker")
    if docker is None:
        raise EngineUnavailable("docker.io installed, but no docker command is on PATH")
    engine = Engine(docker, (), how)
    if _answers(docker):
        how.append("a Docker daemon was running")
    else:
        _start_daemon(engine)
    try:
        engine.compose = _find_compose(docker, how)
    except EngineUnavailable:
        engine.stop_daemon()
        raise
    return engine


def _find_compose(docker: str, how: list[str]) -> tuple[str, ...]:
    compose = _compose_command(docker)
    if compose is None:
        apt_install("docker-compose")
        how.append("installed docker-compose from Debian")
        compose = _compose_command(docker)
    if compose is None:
        raise EngineUnavailable("no compose command: neither `docker compose` nor docker-compose works")
    return compose
