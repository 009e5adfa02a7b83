"""`mlq discord …`: sync the application commands deliberately, print the bot's invite link."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from bot.exits import EXIT_USAGE
from bot.ops.settings import SettingsError, load_settings
from bot.text import shown

if TYPE_CHECKING:
    import discord

SCOPES = ("bot", "applications.commands")


def bot_permissions() -> discord.Permissions:
    """Return the permissions the bot uses, and no more: post, open threads, post in them, embed."""
    import discord  # imported when used: discord.py takes over a second to import

    return discord.Permissions(
        send_messages=True,
        create_public_threads=True,
        send_messages_in_threads=True,
        embed_links=True,
        read_message_history=True,
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `discord` command with its `sync` and `invite-url` subcommands."""
    parser = subparsers.add_parser("discord", help="Discord set-up: sync commands, print the invite link")
    commands = parser.add_subparsers(dest="discord_command", required=True)
    sync = commands.add_parser(
        "sync",
        help="upload the slash-command definitions (run it when they change, not at every start)",
    )
    sync.add_argument(
        "--guild", type=int, help="sync to this server only (instant) instead of globally (up to an hour)"
    )
    sync.set_defaults(func=sync_command)
    invite = commands.add_parser("invite-url", help="print the link that adds the bot to a server")
    invite.add_argument("--app-id", help="the application id (default: DISCORD_APPLICATION_ID)")
    invite.set_defaults(func=invite_url_command)


def sync_command(args: argparse.Namespace) -> int:
    import discord

    from adapters.discord.adapter import discord_config
    from adapters.discord.client import DiscordStartError
    from adapters.discord.commands import sync_once

    try:
        config = discord_config(load_settings())
    except SettingsError as exc:
        print(f"mlq discord sync: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        names = asyncio.run(sync_once(config, args.guild))
    except DiscordStartError as exc:  # a refused token: configuration, like a missing one
        print(f"mlq discord sync: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except discord.HTTPException as exc:
        print(f"mlq discord sync: Discord answered {exc.status} (code {exc.code})", file=sys.stderr)
        return 1
    except OSError as exc:  # aiohttp's connection errors are OSErrors
        print(f"mlq discord sync: could not reach {config.api_url}: {exc}", file=sys.stderr)
        return 1
    where = (
        f"guild {args.guild}" if args.guild is not None else "every server (global; up to an hour to show)"
    )
    print(f"synced {len(names)} commands to {where}: {', '.join('/' + n for n in names)}")
    return 0


def invite_url_command(args: argparse.Namespace) -> int:
    try:
        app_id = args.app_id or load_settings().discord_application_id
    except SettingsError as exc:
        print(f"mlq discord invite-url: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not app_id:
        print(
            "mlq discord invite-url: set DISCORD_APPLICATION_ID or pass --app-id "
            "(the numeric application id from the Discord developer portal)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not str(app_id).strip().isdigit():
        source = "--app-id" if args.app_id else "DISCORD_APPLICATION_ID"
        print(
            f"mlq discord invite-url: {source} must be the numeric application id from the Discord "
            f"developer portal (General Information → Application ID), got {shown(str(app_id), 40)!r}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    import discord

    print(discord.utils.oauth_url(int(app_id), permissions=bot_permissions(), scopes=SCOPES))
    return 0
