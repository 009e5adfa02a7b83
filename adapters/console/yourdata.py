"""Your data on the console: `/mlquestion export` writes its files into a folder (MLQ_EXPORT_DIR, or
the working directory) and the reply names them; `forget-me` is confirmed by typing a word.

Pure functions over the core's messages; the adapter prints what they return.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.messages import DataExport, Notice, NoticeKind

# The console has no buttons: the person types this to confirm `forget-me`.
FORGET_WORD = "forget me"
FORGET_PROMPT = f"Type `{FORGET_WORD}` to delete it all, or anything else to keep it."


async def save_export(export: DataExport, folder: Path | None) -> Notice:
    """Write the export's files into `folder` (None: the working directory); return what to say:
    where they went, or which folder could not be written and the setting that changes it."""
    target = folder or Path.cwd()
    try:
        written = await asyncio.to_thread(_write_files, target, export)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return Notice(
            f"Could not write the export to {target} ({reason}). Set MLQ_EXPORT_DIR to a folder you "
            "can write to, then run `/mlquestion export` again.",
            NoticeKind.ERROR,
        )
    return Notice(export.text + "\nWritten:\n" + "\n".join(f"• {path}" for path in written))


def confirms_forget(text: str) -> bool:
    """Whether a typed line confirms `forget-me` (the exact word, in any letter case)."""
    return text.strip().lower() == FORGET_WORD


def _write_files(folder: Path, export: DataExport) -> list[Path]:
    """Write each file (names come from the core, never from input) and return their paths."""
    if not folder.is_dir():
        raise NotADirectoryError(20, "not a folder", str(folder))
    written = []
    for file in export.files:
        path = folder / file.name
        path.write_bytes(file.content)
        written.append(path)
    return written
