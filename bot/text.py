"""Untrusted text made safe: control characters stripped at the edge, echoes clipped, text for a
terminal neutralised, mentions found. Pure functions on strings, for the core and every adapter.

Where each applies:
- `clean` on every piece of user text a platform event carries (command text, form fields, option
  values) before it reaches the core or the store: PostgreSQL refuses NUL in text, renderers use
  control characters as markers, and a terminal obeys escape sequences.
- `shown` on a user's value quoted back in a reply (an error naming a bad argument), so a
  5,000-character value comes back as its first 100 characters and "…".
- `for_terminal` on stored text printed to a terminal (`mlq content suggestions`).
- `mention_in` to find text that would notify people (`<!channel>`, `@everyone`, `<@U123>`…).
"""

from __future__ import annotations

import re

ECHO_LIMIT = 100  # characters of a user's value quoted back in a reply

# C0 controls except tab and newline, DEL, and the C1 controls (U+0080–U+009F, which include the
# 8-bit CSI a terminal may obey as ESC [).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# For a terminal also the bidirectional overrides and isolates, which reorder what is shown.
_TERMINAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MENTION = re.compile(r"<![^>\s]*>?|<@[^>\s]*>?|@everyone\b|@here\b", re.IGNORECASE)


def clean(text: str) -> str:
    """Drop control characters (NUL, ESC, DEL, C1…), keeping tabs and line breaks (CR LF → LF)."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def shown(value: str, limit: int = ECHO_LIMIT) -> str:
    """Return a user's value to quote back: control characters dropped, clipped to `limit` with "…"."""
    value = clean(value)
    return value if len(value) <= limit else value[:limit] + "…"


def for_terminal(text: str) -> str:
    """Make stored text safe to print: control characters and bidi overrides become visible escapes
    (`\\x1b`), so an escape sequence is shown, never obeyed; tabs and line breaks stay."""
    return _TERMINAL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def mention_in(text: str) -> str | None:
    """Return the first thing in the text that would notify people on Slack or Discord, if any."""
    match = _MENTION.search(text)
    return match.group() if match else None
