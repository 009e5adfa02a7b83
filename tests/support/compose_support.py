"""docker-compose.yml run for real: a copy of the repository as the project folder, with its own `.env`.

The copy keeps the developer's `.env` (which may hold real tokens) out of the test, and the test's
`.env` out of the working tree; what reaches the image is still decided by the Dockerfile and
.dockerignore, as for a user. The compose file and Dockerfile are copied unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.support.docker_engine import Engine, Result, run
from tests.support.paths import ROOT

# What a working tree holds that a user's checkout would not, or that must never reach a test.
NOT_COPIED = (".git", ".venv", ".env", "*.db", "*.egg-info", "__pycache__", ".*_cache", "node_modules")


def copy_project(destination: Path) -> Path:
    """Copy the repository (less VCS data, virtualenvs, caches and local secrets) to destination."""
    shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    return destination


def write_env(folder: Path, values: Mapping[str, str]) -> None:
    """Write the project's `.env` (read by compose for ${…} and by the services' env_file)."""
    (folder / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")


def docker_time(stamp: str) -> datetime:
    """Read Docker's RFC 3339 timestamps (nanoseconds, `Z`) as an aware datetime."""
    head, _, rest = stamp.rstrip("Z").partition(".")
    fraction = (rest[:6] if rest else "0").ljust(6, "0")
    return datetime.fromisoformat(f"{head}.{fraction}+00:00")


@dataclass
class ComposeProject:
    """One compose project: `docker compose -p NAME --project-directory DIR …`."""

    engine: Engine
    directory: Path
    name: str

    def __call__(self, *args: str, check: bool = True, timeout: float = 600) -> Result:
        compose_file = str(self.directory / "docker-compose.yml")
        command = [*self.engine.compose, "--project-name", self.name, "--project-directory"]
        # Wide, so that docker-compose v1 prints each row of `ps` on one line.
        env = {**os.environ, "COLUMNS": "250"}
        return run(
            [*command, str(self.directory), "--file", compose_file, *args],
            check=check,
            timeout=timeout,
            env=env,
        )

    def container(self, service: str) -> str:
        """The id of the service's container (a stopped one too); fails if there is none.

        Found by the labels both Compose v1 and v2 put on containers: quicker than `compose ps`."""
        labels = [f"com.docker.compose.project={self.name}", f"com.docker.compose.service={service}"]
        filters = [arg for label in labels for arg in ("--filter", f"label={label}")]
        ids = self.engine("ps", "--all", "--quiet", *filters).stdout.split()
        assert ids, f"compose has no container for {service}"
        return ids[0]

    def inspect(self, service: str) -> dict[str, Any]:
        found = json.loads(self.engine("inspect", self.container(service)).stdout)
        assert isinstance(found, list) and found
        return dict(found[0])

    def state(self, service: str) -> dict[str, Any]:
        return dict(self.inspect(service)["State"])

    def health(self, service: str) -> str:
        """Docker's health status of the service: starting, healthy or unhealthy."""
        return str((self.state(service).get("Health") or {}).get("Status", "none"))

    def logs(self, service: str = "") -> str:
        found = self("logs", "--no-color", *([service] if service else []), check=False)
        return found.stdout + found.stderr

    def network(self) -> str:
        networks = self.inspect("db")["NetworkSettings"]["Networks"]
        return str(next(iter(networks)))


def wait_for(what: str, check: Callable[[], bool], timeout: float, every: float = 0.5) -> float:
    """Poll `check` until it holds; return the seconds it took; fail naming `what` after timeout."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic() - started


# No proxy, whatever the environment says: these requests go to ports on this machine.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_status(url: str, timeout: float = 5) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with DIRECT.open(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, TimeoutError):
        return None


def http_post(url: str, body: str, headers: Mapping[str, str], timeout: float = 10) -> tuple[int, str]:
    """POST a body; return the status and the response text (error statuses included)."""
    request = urllib.request.Request(  # noqa: S310 — the tests' own http:// URLs on loopback
        url, data=body.encode(), headers=dict(headers), method="POST"
    )
    try:
        with DIRECT.open(request, timeout=timeout) as response:
            return int(response.status), response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
