"""`mlq slack …`: the Slack app manifest, for one workspace or for installing to many."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

MANIFEST = Path(__file__).resolve().parent / "manifest.yaml"
# The events that tell a multi-workspace app it lost a workspace (they need no scope).
REVOCATION_EVENTS = ("app_uninstalled", "tokens_revoked")
PLACEHOLDER_URL = "https://mlq.example.com"


def multi_workspace_manifest(base_url: str, events_path: str = "/slack/events") -> dict[str, Any]:
    """The shipped manifest turned into one for installing to many workspaces: HTTP mode with every
    request URL on `base_url`, the OAuth redirect URL, token rotation and the revocation events."""
    manifest: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    base = base_url.rstrip("/")
    events_url = base + events_path
    for command in manifest["features"]["slash_commands"]:
        command["url"] = events_url
    manifest["oauth_config"]["redirect_urls"] = [base + "/slack/oauth_redirect"]
    settings = manifest["settings"]
    settings["event_subscriptions"]["request_url"] = events_url
    settings["event_subscriptions"]["bot_events"] += list(REVOCATION_EVENTS)
    settings["interactivity"]["request_url"] = events_url
    settings["socket_mode_enabled"] = False
    # Tokens expire after 12 hours and the bot refreshes them; Slack can't turn this off again.
    settings["token_rotation_enabled"] = True
    return manifest


def _manifest(args: argparse.Namespace) -> int:
    if args.multi_workspace is None:
        print(MANIFEST.read_text(encoding="utf-8"), end="")
        return 0
    url = urlsplit(args.multi_workspace)
    if url.scheme != "https" or not url.netloc:
        print(f"mlq slack manifest: {args.multi_workspace!r} is not an https:// URL (Slack requires https)")
        return 2
    print(yaml.safe_dump(multi_workspace_manifest(args.multi_workspace), sort_keys=False), end="")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    slack = subparsers.add_parser("slack", help="Slack app set-up")
    slack_sub = slack.add_subparsers(dest="slack_command", required=True)
    manifest = slack_sub.add_parser("manifest", help="print the Slack app manifest (YAML)")
    manifest.add_argument(
        "--multi-workspace",
        metavar="URL",
        nargs="?",
        const=PLACEHOLDER_URL,
        help="the manifest for installing to many workspaces, its request URLs on URL "
        f"(the bot's public https address; default {PLACEHOLDER_URL})",
    )
    manifest.set_defaults(func=_manifest)
