"""Where the repository and its question bank are, for tests at any depth of the tree."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
CONTENT = ROOT / "content" / "questions"
