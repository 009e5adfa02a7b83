"""A pytest plugin: every log line of the suite (and of the `mlq` processes it starts) is scanned for
the test credentials; a leak fails the run at the end of the session.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


class SecretScan(logging.Handler):
    """Formats every record it sees (tracebacks included) and notes any registered secret in it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.secrets: set[str] = set()
        self.lines = 0
        self.leaks: list[str] = []

    def register(self, *secrets: str) -> None:
        self.secrets.update(s for s in secrets if s)

    def emit(self, record: logging.LogRecord) -> None:
        self.scan(self.format(record), f"log record from {record.name}")

    def scan(self, text: str, source: str) -> None:
        self.lines += text.count("\n") + 1
        for secret in self.secrets:
            if secret in text:
                self.leaks.append(f"{source}: contains the secret starting {secret[:6]!r}")


SCAN = SecretScan()


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_any_log() -> Iterator[SecretScan]:
    root = logging.getLogger()
    root.addHandler(SCAN)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    yield SCAN
    root.removeHandler(SCAN)
    assert not SCAN.leaks, f"secrets leaked into logs ({SCAN.lines} lines scanned): {SCAN.leaks[:5]}"
