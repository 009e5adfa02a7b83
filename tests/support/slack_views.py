"""What the fake Slack checks in a published home tab view, as Slack's views.publish does (an
`invalid_arguments` error naming each problem), and the App Home payloads Slack sends the bot."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from typing import Any

# Slack's documented limits for a home tab view and the blocks in it.
MAX_HOME_BLOCKS = 100
MAX_VIEW_BYTES = 250_000
MAX_SECTION_TEXT = 3_000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2_000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2_000
MAX_ID = 255
TEAM = "T0TEAM"


def view_problems(view: Any) -> list[str]:
    """Why Slack would refuse this view in views.publish (empty if it would take it)."""
    if not isinstance(view, dict):
        return ["view is not an object"]
    problems = []
    if view.get("type") != "home":
        problems.append(f"type must be home, not {view.get('type')!r}")
    size = len(json.dumps(view, ensure_ascii=False).encode())
    if size > MAX_VIEW_BYTES:
        problems.append(f"the view is {size} bytes (at most {MAX_VIEW_BYTES})")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return [*problems, "blocks must be a non-empty list"]
    if len(blocks) > MAX_HOME_BLOCKS:
        problems.append(f"{len(blocks)} blocks (at most {MAX_HOME_BLOCKS})")
    ids = Counter(block.get("block_id") for block in blocks if block.get("block_id"))
    problems += [f"block_id {name!r} is used {n} times" for name, n in ids.items() if n > 1]
    for index, block in enumerate(blocks):
        problems += [f"blocks[{index}]: {problem}" for problem in _block_problems(block)]
    return problems


def _block_problems(block: dict[str, Any]) -> list[str]:
    problems = []
    kind = block.get("type")
    if len(str(block.get("block_id") or "")) > MAX_ID:
        problems.append(f"block_id longer than {MAX_ID}")
    if kind == "header" and len(_text(block.get("text"))) > MAX_HEADER_TEXT:
        problems.append(f"header text longer than {MAX_HEADER_TEXT}")
    if kind == "section":
        if len(_text(block.get("text"))) > MAX_SECTION_TEXT:
            problems.append(f"section text longer than {MAX_SECTION_TEXT}")
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS:
            problems.append(f"{len(fields)} fields (at most {MAX_FIELDS})")
        if any(len(_text(field)) > MAX_FIELD_TEXT for field in fields):
            problems.append(f"a field longer than {MAX_FIELD_TEXT}")
        if not block.get("text") and not fields:
            problems.append("a section needs text or fields")
    if kind == "context" and len(block.get("elements") or []) > MAX_CONTEXT_ELEMENTS:
        problems.append(f"more than {MAX_CONTEXT_ELEMENTS} context elements")
    buttons = [block.get("accessory") or {}, *(block.get("elements") or [])]
    for button in (b for b in buttons if b.get("type") == "button"):
        if len(_text(button.get("text"))) > MAX_BUTTON_TEXT:
            problems.append(f"button text longer than {MAX_BUTTON_TEXT}")
        if len(str(button.get("value") or "")) > MAX_BUTTON_VALUE:
            problems.append(f"button value longer than {MAX_BUTTON_VALUE}")
        if not button.get("action_id") or len(str(button["action_id"])) > MAX_ID:
            problems.append("a button without an action_id of at most 255 characters")
    return problems


def _text(value: Any) -> str:
    return str(value.get("text") or "") if isinstance(value, dict) else ""


def home_opened(user: str, tab: str = "home") -> dict[str, Any]:
    """The `app_home_opened` event Slack sends when `user` opens the app's Home (or Messages) tab."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user[1:],
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def home_click(view: dict[str, Any], action_id: str, user: str) -> dict[str, Any]:
    """The `block_actions` payload of `user` clicking the button `action_id` in their home tab: a
    view container, no channel and no response_url (Slack sends neither for a home tab)."""
    for block in view["blocks"]:
        accessory = block.get("accessory") or {}
        elements = [accessory, *(block.get("elements") or [])]
        button = next((e for e in elements if e.get("action_id") == action_id), None)
        if button is not None:
            break
    else:
        raise AssertionError(f"no button {action_id} in the home view")
    view_id = f"V{uuid.uuid4().hex[:10].upper()}"
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "deprecated-verification-token",
        "container": {"type": "view", "view_id": view_id},
        "trigger_id": f"trigger.{uuid.uuid4().hex[:8]}",
        "view": {**view, "id": view_id, "team_id": TEAM, "app_id": "A0APP", "bot_id": "B0BOT"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block.get("block_id") or "home",
                "value": button.get("value"),
                "text": button["text"],
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
