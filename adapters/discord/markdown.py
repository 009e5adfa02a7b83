"""Discord's text: the bank's Markdown reflowed for Discord, the core's texts with Discord's command
names, timestamps each reader sees in their own zone, and text split or clipped within a limit.

Pure functions on strings; `render` puts what they return into content and embeds.
"""

from __future__ import annotations

import re
from datetime import datetime

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
# Lines that start a Markdown block of their own (list item, heading, quote, table row).
_BLOCK_START = re.compile(r"^\s*([-*+•]\s|\d+[.)]\s|#{1,6}\s|>|\|)")


# Timestamps and clipping ---------------------------------------------------------------------------


def timestamp(instant: datetime, style: str = "F") -> str:
    """Return Discord timestamp markup, shown to each reader in their own time zone."""
    return f"<t:{int(instant.timestamp())}:{style}>"


def when(instant: datetime) -> str:
    """Return an instant as full date and time plus a relative hint ("in 6 hours")."""
    return f"{timestamp(instant, 'F')} ({timestamp(instant, 'R')})"


def clip(text: str, limit: int) -> str:
    """Shorten text to the limit at a word boundary, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


# Command names -------------------------------------------------------------------------------------

# Core texts name the commands in the shared `/mlquestion …` grammar; Discord has its own commands.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\s*\(see `/mlquestion help`\)"), ""),
    (
        re.compile(r"`/mlquestion (subscribe|unsubscribe|pause|resume|settings)\b[^`]*`"),
        r"`/mlquestion-channel \1`",
    ),
    (re.compile(r"`/mlquestion leaderboard opt-?out`"), "`/mlquestion-leaderboard-optout on`"),
    (re.compile(r"`(?:/mlquestion leaderboard )?opt-?in`"), "`/mlquestion-leaderboard-optout off`"),
    (re.compile(r"`/mlquestion leaderboard (week|month|all)`"), r"`/mlquestion-leaderboard period:\1`"),
    (re.compile(r"`/mlquestion link ([A-Z0-9]+)`"), r"`/mlquestion-link code:\1`"),
    (re.compile(r"`/mlquestion mock (?:stop|end)`"), "`/mlquestion-mock stop:True`"),
    (re.compile(r"`/mlquestion mock\b[^`]*`"), "`/mlquestion-mock`"),
    (
        re.compile(r"`/mlquestion (review|stats|suggest|leaderboard|link|unlink|export|forget-me)`"),
        r"`/mlquestion-\1`",
    ),
)


def discord_commands(text: str) -> str:
    """Name commands as Discord shows them: channel administration lives under /mlquestion-channel
    and takes its arguments as options; review, stats, leaderboard, suggest and mock are commands of
    their own (Discord cannot run a command that has subcommands bare, and `/mlquestion` must stay one);
    Discord lists options itself (there is no `help`)."""
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


# Reflowing -----------------------------------------------------------------------------------------


def reflow(markdown: str) -> str:
    """Join the wrapped lines of each paragraph and list item; keep code blocks as they are.

    In Markdown a single newline is a soft break, but Discord shows every newline, so text wrapped
    at 100 columns in the bank would look ragged.
    """
    out: list[str] = []
    fence: str | None = None
    continues = False  # whether the next line may continue the previous one
    for line in markdown.split("\n"):
        marker = _FENCE.match(line)
        if fence is not None or marker:
            out.append(line)
            if fence is None and marker:
                fence = marker.group(1)
            elif _closes(line, fence):
                fence = None
            continues = False
            continue
        if continues and line.strip() and not _BLOCK_START.match(line):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line)
        hard_break = line.endswith(("  ", "\\"))
        continues = bool(line.strip()) and not hard_break and not re.match(r"^\s*(#|\|)", line)
    return "\n".join(out)


# Splitting Markdown --------------------------------------------------------------------------------


def split_markdown(text: str, limit: int) -> list[str]:
    """Split Markdown into chunks of at most `limit` characters.

    Cuts fall between paragraphs and code blocks where possible; a code block longer than the
    limit is cut between lines and its fence closed and re-opened in the next chunk.
    """
    pieces: list[str] = []
    for block in _blocks(text):
        pieces.extend([block] if len(block) <= limit else _split_block(block, limit))
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 2 + len(piece) <= limit:
            chunks[-1] += "\n\n" + piece
        else:
            chunks.append(piece)
    return chunks


def _blocks(text: str) -> list[str]:
    """Split at blank lines outside code fences; a fence left open at the end is closed."""
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.strip("\n").split("\n"):
        marker = _FENCE.match(line)
        if fence is None and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
        if marker and fence is None:
            fence = marker.group(1)
        elif marker and _closes(line, fence):
            fence = None
    if fence is not None:
        current.append(fence)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _closes(line: str, fence: str | None) -> bool:
    """Whether a line closes a fence: the same character, at least as many, nothing else."""
    stripped = line.strip()
    return fence is not None and set(stripped) == {fence[0]} and len(stripped) >= len(fence)


def _split_block(block: str, limit: int) -> list[str]:
    """Cut one oversized block between lines, closing and re-opening a fence it cuts through."""
    pieces: list[str] = []
    current: list[str] = []
    opening: str | None = None  # the fence line of the code block the cut is inside, if any
    for line in block.split("\n"):
        marker = _FENCE.match(line)
        closes = opening is not None and _closes(line, _marker(opening))
        after = None if closes else opening if opening is not None else line if marker else None
        reserve = len(_marker(after)) + 1 if after is not None else 0
        reopen = len(opening) + 1 if opening is not None else 0
        width = limit - reopen - reserve
        # Prose may start filling what is left of the current piece; code lines move whole.
        room = limit - _size(current, "") if opening is None and after is None else width
        for part in _split_line(line, width, room if room > width // 4 else width):
            if len(current) > (1 if opening is not None else 0) and _size(current, part) + reserve > limit:
                pieces.append("\n".join([*current, _marker(opening)] if opening is not None else current))
                current = [opening] if opening is not None else []
            current.append(part)
        opening = after
    if current:
        pieces.append("\n".join(current))
    return pieces


def _size(lines: list[str], extra: str) -> int:
    return sum(len(line) + 1 for line in lines) + len(extra)


def _marker(fence_line: str) -> str:
    match = _FENCE.match(fence_line)
    return match.group(1) if match else "```"


def _split_line(line: str, width: int, first: int) -> list[str]:
    """Cut a line longer than `width` (`first` for the first part) at spaces where possible."""
    parts: list[str] = []
    limit = max(first, 1)
    while len(line) > limit:
        cut = line.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        parts.append(line[:cut])
        line = line[cut + 1 :] if line[cut : cut + 1] == " " else line[cut:]
        limit = max(width, 1)
    parts.append(line)
    return parts
