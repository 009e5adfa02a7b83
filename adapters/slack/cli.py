"""`mlq slack …`: the Slack app manifest."""

from __future__ import annotations

import argparse
from pathlib import Path

MANIFEST = Path(__file__).resolve().parent / "manifest.yaml"


def _manifest(args: argparse.Namespace) -> int:
    print(MANIFEST.read_text(encoding="utf-8"), end="")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    slack = subparsers.add_parser("slack", help="Slack app set-up")
    slack_sub = slack.add_subparsers(dest="slack_command", required=True)
    manifest = slack_sub.add_parser("manifest", help="print the Slack app manifest (YAML)")
    manifest.set_defaults(func=_manifest)
