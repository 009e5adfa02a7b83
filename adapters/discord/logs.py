"""Keeping what people write out of discord.py's own log lines.

At DEBUG, discord.py logs every gateway event whole (a submitted answer form carries the answer, a
suggestion form the suggestion) and every REST request and response body (feedback quotes the
words of the answer that matched). The bot may run at DEBUG, so those loggers get a filter that
keeps each line — what happened, to which route, with which status — but shows the payloads in it
only by their shape: a gateway event by its name and sequence, a body by its size.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

# The loggers whose lines carry payloads (checked against discord.py 2.7: gateway events, REST
# requests and responses; the webhook adapter behind interaction replies logs statuses only).
PAYLOAD_LOGGERS: Final = ("discord.gateway", "discord.http", "discord.webhook.async_")


class PayloadFilter(logging.Filter):
    """Replace payload arguments of a record by their shape; drop no record. Keeps no state."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, Mapping):  # a lone dict argument: logging keeps it as the mapping
            record.args = (shape(args),)
        elif args:
            record.args = tuple(shape(arg) for arg in args)
        return True


def shape(value: object) -> object:
    """What a log line may show of one argument: payloads by their shape, anything else unchanged."""
    if isinstance(value, Mapping):
        if "op" in value:  # a gateway frame: {"op", "t", "s", "d"}
            event = f"{value.get('t')} " if value.get("t") else ""
            return f"{event}(op {value.get('op')}, seq {value.get('s')})"
        return f"[payload: {len(value)} fields]"
    if isinstance(value, list | tuple):
        return f"[payload: {len(value)} items]"
    if isinstance(value, bytes | bytearray):
        return f"[body: {len(value)} bytes]"
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        return f"[body: {len(value)} characters]"
    if type(value).__name__ == "FormData":  # aiohttp's multipart body (attachments)
        return "[form data]"
    return value


_FILTER: Final = PayloadFilter()


def keep_bodies_out_of_logs() -> None:
    """Add the filter to discord.py's payload loggers (once, however many adapters are built)."""
    for name in PAYLOAD_LOGGERS:
        library = logging.getLogger(name)
        if _FILTER not in library.filters:
            library.addFilter(_FILTER)
