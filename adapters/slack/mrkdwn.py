"""Slack's text: the bank's Markdown as mrkdwn, split within a block's limit, plain fallback text,
mentions, and date tokens.

Pure functions on strings; `render` and `components` build Block Kit from what they return. Every
text that reaches Slack passes through `clean` (the core's, `bot.text`: here, and at the edge where
text comes in), so control characters never reach a channel, the store or a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

from bot.text import clean as clean  # re-exported: the adapter's one name for it

# Block Kit's limit on a section's text.
MAX_SECTION_TEXT = 3000

_FENCE = re.compile(r"^\s*```")
_INLINE_CODE = re.compile(r"(`[^`\n]+`)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")
# Marks bold spans while italics are converted; `clean` removes every NUL from the input first, so a
# NUL someone typed can never turn into `*`.
_BOLD_MARK = "\x00"
# Bare broadcast words: Slack notifies nobody for them in text we post (only `<!channel>` does), but
# a word joiner after the `@` keeps it so if the text is ever reused where they are parsed.
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_CLIPPED = "\n… _(clipped: too long for one Slack message)_"


def escape(text: str) -> str:
    """Escape the three characters Slack reserves for its own markup (and drop control characters)."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int | None = None) -> str:
    """Text for a message's `text` field (what notifications show), which Slack parses for
    `<!channel>`, `<@U…>` and links: cleaned, cut to `limit`, escaped, bare `@here`-style words defused."""
    text = clean(text)
    if limit is not None:
        text = truncate(text, limit)
    return _BROADCAST.sub("@\u2060\\1", escape(text))


def mention(user_id: str) -> str:
    """A mention of a Slack user id (`<@U…>`); anything that is not one is shown escaped, not parsed."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else escape(user_id)


def mrkdwn(markdown: str) -> str:
    """Convert the bank's Markdown to Slack mrkdwn (escaping `&`, `<`, `>` everywhere)."""
    out: list[str] = []
    in_code = False
    for line in clean(markdown).splitlines():
        if _FENCE.match(line):
            # Slack shows no language tag: a bare fence opens and closes a block.
            out.append("```")
            in_code = not in_code
        elif in_code:
            out.append(escape(line))
        else:
            out.append(_inline(line))
    return "\n".join(out)


def _inline(line: str) -> str:
    heading = _HEADING.match(line)
    if heading:
        return f"*{_spans(heading.group(1)).replace(_BOLD_MARK, '')}*"
    bullet = _BULLET.match(line)
    if bullet:
        line = f"{bullet.group(1)}• {line[bullet.end() :]}"
    return _spans(line).replace(_BOLD_MARK, "*")


def _spans(line: str) -> str:
    """Convert emphasis and links outside inline code; inline code is only escaped."""
    parts = _INLINE_CODE.split(line)
    for index, part in enumerate(parts):
        if index % 2:
            parts[index] = escape(part)
            continue
        text = escape(part)
        text = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
        text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(2)}{_BOLD_MARK}", text)
        parts[index] = _ITALIC.sub(lambda m: f"_{m.group(1)}_", text)
    return "".join(parts)


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split mrkdwn into chunks of at most `limit` characters at line breaks.

    A code block cut in two is closed at the end of one chunk and reopened in the next.
    """
    chunks: list[str] = []
    lines: list[str] = []
    size = 0
    in_code = False
    for line in _hard_wrap(text.splitlines(), limit - 8):
        reserve = 4 if in_code or line.startswith("```") else 0
        if lines and size + len(line) + 1 + reserve > limit:
            chunks.append("\n".join([*lines, "```"] if in_code else lines))
            lines, size = (["```"], 4) if in_code else ([], 0)
        lines.append(line)
        size += len(line) + 1
        if line.startswith("```"):
            in_code = not in_code
    if lines:
        chunks.append("\n".join(lines))
    return [chunk for chunk in chunks if chunk.strip() not in ("", "```")]


def _hard_wrap(lines: list[str], width: int) -> Iterator[str]:
    for line in lines:
        while len(line) > width:
            # Never break inside an escape such as `&amp;`.
            cut = line.rfind(" ", 0, width)
            cut = cut if cut > width // 2 else width
            amp = line.rfind("&", max(0, cut - 5), cut)
            if amp > 0 and ";" not in line[amp:cut]:
                cut = amp
            yield line[:cut]
            line = line[cut:].lstrip(" ")
        yield line


def truncate(text: str, limit: int) -> str:
    """Shorten plain text (a header, an option, a notification's fallback) to `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip(text: str, limit: int) -> str:
    """Shorten mrkdwn to about `limit` characters at a line break, saying that it was clipped.

    A code block left open by the cut is closed, so the rest of the message renders normally.
    """
    if len(text) <= limit:
        return text
    room = limit - len(_CLIPPED) - 4  # 4: a closing fence
    cut = text.rfind("\n", 0, room)
    kept = text[: cut if cut > room // 2 else room]
    amp = kept.rfind("&")
    if amp >= 0 and ";" not in kept[amp:]:
        kept = kept[:amp]  # never end inside an escape such as `&amp;`
    if sum(1 for line in kept.splitlines() if line.startswith("```")) % 2:
        kept += "\n```"
    return kept + _CLIPPED


def date_token(instant: datetime, style: str = "{date_short_pretty} at {time}") -> str:
    """A Slack date token: each reader sees the instant in their own time zone."""
    fallback = instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(instant.timestamp())}^{style}|{fallback}>"
