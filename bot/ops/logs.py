"""Logging set-up: plain or JSON lines, with configured secrets masked in every record."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

MASK = "[secret]"
HANDLER_NAME = "mlquestion"
# Libraries whose DEBUG lines carry what people wrote: aiosqlite logs every SQL parameter (suggested
# questions and answers, link codes), SQLAlchemy's engine logs statements with their parameters.
# They stay at WARNING whatever MLQ_LOG_LEVEL says, so no level puts user text in the log.
QUIET_LOGGERS = ("aiosqlite", "sqlalchemy", "asyncpg")


class MaskingFormatter(logging.Formatter):
    """Replace any configured secret in the final line, tracebacks included (defence in depth)."""

    def __init__(self, inner: logging.Formatter, secrets: Sequence[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = [s for s in secrets if len(s) >= 6]

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record)
        for secret in self.secrets:
            line = line.replace(secret, MASK)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["error"] = self.formatException(record.exc_info)
        return json.dumps(payload)


def configure_logging(level: str, as_json: bool, secrets: Sequence[str] = ()) -> None:
    """Log to stderr (the console adapter owns stdout), replacing only a handler we installed before."""
    inner = (
        JsonFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter(inner, secrets))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != HANDLER_NAME] + [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
