"""Helpers for the "Check my answer" and mock interview tests: read what the bot sent in reply to an
interaction (its response, then its follow-ups), find a button's message, fill the answer form."""

from __future__ import annotations

import re
from typing import Any

from tests.support.discord_support import custom_ids
from tests.support.fake_discord import FakeDiscord, Member, Sent

# Covers two of the test rubric's three key points (see RUBRIC in tests/conftest.py): Nailed it.
GOOD = "You scale the features, and fit the scaler on the training data only."
# Covers none of them: Missed it.
POOR = "I would try a bigger network and hope for the best."


def bodies(fake: FakeDiscord, sent: Sent) -> list[dict[str, Any]]:
    """What the bot sent in reply to an interaction, in order: its response's data, then each follow-up."""
    token = re.escape(sent.token)
    response = fake.calls_to("POST", rf"/interactions/{sent.id}/{token}/callback")
    first = [call.body["data"] for call in response if call.body.get("data")]
    edits = [call.body for call in fake.calls_to("PATCH", rf"/webhooks/\d+/{token}/messages/@original")]
    return first + edits + [call.body for call in fake.calls_to("POST", rf"/webhooks/\d+/{token}")]


async def replies_until_buttons(fake: FakeDiscord, sent: Sent) -> list[dict[str, Any]]:
    """Wait until the reply to an interaction carries buttons (they go under its last message)."""
    await fake.wait_for(lambda: any(body.get("components") for body in bodies(fake, sent)))
    return bodies(fake, sent)


def text_of(body: dict[str, Any]) -> str:
    """A message's content and its embeds' titles, descriptions and footers, as one text."""
    parts = [body.get("content") or ""]
    for embed in body.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(parts)


def buttons(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for row in body.get("components") or [] for item in row["components"]]


def holding(fake: FakeDiscord, custom_id: str) -> dict[str, Any]:
    """The latest message the fake stored that carries a button with this custom_id."""
    found = [m for m in fake.messages.values() if custom_id in custom_ids(m)]
    assert found, f"no message carries {custom_id}"
    return max(found, key=lambda m: int(m["id"]))


def check_button(message: dict[str, Any]) -> str:
    (custom_id,) = [c for c in custom_ids(message) if c.startswith("mlq:ck:")]
    return custom_id


def rate_button(message: dict[str, Any], choice: str) -> str:
    (custom_id,) = [c for c in custom_ids(message) if c.startswith(f"mlq:rt:{choice[0]}:")]
    return custom_id


async def open_form(fake: FakeDiscord, message: dict[str, Any], user: Member) -> dict[str, Any]:
    """Click the message's check button; return the form the bot opened."""
    return await fake.form_opened(await fake.click(message, check_button(message), user))


async def answer(fake: FakeDiscord, message: dict[str, Any], user: Member, text: str) -> Sent:
    """Click the message's check button and submit `text` in the form it opens."""
    form = await open_form(fake, message, user)
    field = form["components"][0]["component"]["custom_id"]
    return await fake.submit_form(form["custom_id"], {field: text}, user, int(message["channel_id"]))
