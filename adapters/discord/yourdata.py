"""Your data on Discord: `/mlquestion-export` (the files as attachments of a reply only you see) and
`/mlquestion-forget-me` (a reply only you see, with a red confirm button and a keep button).

Both commands run the core's `export` and `forget-me` grammar through the practice handler; the
buttons are persistent (their custom_id is all they need) and act on whoever clicks them, never on
someone named in the payload.
"""

from __future__ import annotations

from typing import Any, Final, Self

import discord
from discord import app_commands

from adapters.discord.client import BotClient, BotInteraction, handler_of
from bot.messages import ForgetConfirm

EXPORT_COMMAND: Final = "mlquestion-export"
FORGET_COMMAND: Final = "mlquestion-forget-me"


@app_commands.guild_only()
async def _export(interaction: BotInteraction) -> None:
    await handler_of(interaction).practice_command(interaction, "export")


@app_commands.guild_only()
async def _forget(interaction: BotInteraction) -> None:
    await handler_of(interaction).practice_command(interaction, "forget-me")


def install(client: BotClient) -> None:
    """Add the two commands to a client (commands of their own, like the practice commands)."""
    export = "Your ratings and review schedule as CSV, and an Anki deck (only you see it)"
    commands = (
        (EXPORT_COMMAND, export, _export),
        (FORGET_COMMAND, "Delete everything this bot keeps about you (asks you to confirm)", _forget),
    )
    for name, description, function in commands:
        client.tree.add_command(app_commands.command(name=name, description=description)(function))


class _ForgetChoice(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"mlq:(?!)"):
    """A forget-me button; subclasses say whether it confirms."""

    confirm: bool

    def __init__(self, label: str = "", style: discord.ButtonStyle = discord.ButtonStyle.secondary) -> None:
        code = "mlq:forget:yes" if self.confirm else "mlq:forget:no"
        super().__init__(discord.ui.Button(label=label or code, style=style, custom_id=code))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> Self:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await handler_of(interaction).forget_clicked(interaction, self.confirm)


class ForgetButton(_ForgetChoice, template=r"mlq:forget:yes"):
    confirm = True


class KeepButton(_ForgetChoice, template=r"mlq:forget:no"):
    confirm = False


def forget_view(confirm: ForgetConfirm) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetButton(confirm.confirm_label, discord.ButtonStyle.danger))
    view.add_item(KeepButton(confirm.cancel_label))
    return view


BUTTONS: Final = (ForgetButton, KeepButton)
