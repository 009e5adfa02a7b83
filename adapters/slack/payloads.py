"""The payloads Slack sends, parsed and checked: what Bolt and our listeners may rely on.

`parse_body` reads a (verified) body in Slack's three formats; `payload_problem` names what makes
a parsed payload unfit (too deep, a field of the wrong type, a field our listeners need missing).
Pure functions; `inbound` applies them to HTTP requests and Socket Mode envelopes.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from bot.seam import Destination
from bot.text import clean

PLATFORM = "slack"

# A slash command has 12 form fields and an interaction one (`payload`); hundreds are not Slack.
MAX_FORM_FIELDS = 100
# Slack's deepest payloads (rich text inside a message event, a modal's state) nest about 12 levels.
MAX_DEPTH = 64
# Fields Bolt reads an id from: a string, or an object with an `id`.
_ID_FIELDS = ("enterprise", "team", "user", "channel")
# Fields Bolt and our listeners descend into: objects (or absent).
_OBJECT_FIELDS = (
    *("event", "view", "message", "previous_message", "item", "container", "state"),
    *("assistant_thread", "function_data"),
)
# Lists of objects (or absent).
_LIST_FIELDS = ("authorizations", "actions", "response_urls")


class Malformed(ValueError):
    """The body is not a Slack payload; the message says why (for the log, never the body)."""


def parse_body(text: str, content_type: str) -> dict[str, Any]:
    """Parse a verified body as Bolt reads Slack's formats: JSON (Events API), a form with a JSON
    `payload` (interactions), or a plain form (slash commands). Malformed if it is none of them."""
    if not text.strip():
        raise Malformed("empty body")
    if content_type == "application/json" or text.startswith("{"):
        return _json_object(text, "body")
    try:
        fields = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        raise Malformed(f"a form of more than {MAX_FORM_FIELDS} fields") from None
    form = dict(fields)
    if "payload" in form:
        return _json_object(form["payload"], "payload")
    return form


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise Malformed(f"{what} is not JSON") from None
    except RecursionError:
        raise Malformed(f"{what} is nested too deeply") from None
    if not isinstance(value, dict):
        raise Malformed(f"{what} is not a JSON object")
    return value


def payload_problem(body: dict[str, Any]) -> str | None:
    """What makes this body unfit for Bolt and our listeners, or None.

    Checks the depth, the types of the fields Bolt reads ids from and descends into, and the fields
    each kind of payload we handle needs.
    """
    if _too_deep(body):
        return f"nested more than {MAX_DEPTH} levels deep"
    problem = _structure_problem(body, "body")
    if problem is not None:
        return problem
    if "command" in body:
        return _strings_problem(body, ("command", "user_id", "channel_id"), "slash command")
    kind = body.get("type")
    if kind in ("block_actions", "view_submission"):
        user, team = body.get("user"), body.get("team")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return f"{kind} without user.id"
        if team is not None and not isinstance(team, dict):
            return f"{kind} with a team that is not an object"
    if kind == "block_actions":
        actions, channel = body.get("actions") or [], body.get("channel")
        if not actions or not all(isinstance(a.get("action_id"), str) for a in actions):
            return "block_actions without an action_id"
        # Our buttons sit in messages, whose clicks name their channel, and in the App Home view,
        # whose clicks name none (the view says it is the home tab).
        view = body.get("view")
        from_home = isinstance(view, dict) and view.get("type") == "home"
        if not from_home and (not isinstance(channel, dict) or not isinstance(channel.get("id"), str)):
            return "block_actions without channel.id"
    elif kind == "view_submission" and not isinstance(body.get("view"), dict):
        return "view_submission without a view"
    elif kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event_callback without an event type"
    return None


def _structure_problem(value: dict[str, Any], where: str) -> str | None:
    for name in _ID_FIELDS:
        field = value.get(name)
        if field is not None and not isinstance(field, str | dict):
            return f"{where}.{name} is neither a string nor an object"
        if isinstance(field, dict) and not isinstance(field.get("id", ""), str):
            return f"{where}.{name}.id is not a string"
    for name in _OBJECT_FIELDS:
        field = value.get(name)
        if field is None:
            continue
        if not isinstance(field, dict):
            return f"{where}.{name} is not an object"
        problem = _structure_problem(field, f"{where}.{name}")
        if problem is not None:
            return problem
    for name in _LIST_FIELDS:
        field = value.get(name)
        if field is not None and not (isinstance(field, list) and all(isinstance(i, dict) for i in field)):
            return f"{where}.{name} is not a list of objects"
    for item in value.get("authorizations") or []:
        problem = _structure_problem(item, f"{where}.authorizations[]")
        if problem is not None:
            return problem
    return None


def _strings_problem(body: dict[str, Any], names: tuple[str, ...], what: str) -> str | None:
    missing = [name for name in names if not isinstance(body.get(name), str)]
    return f"{what} without {', '.join(missing)}" if missing else None


def _too_deep(value: object) -> bool:
    """True if containers nest more than MAX_DEPTH levels (walked without recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(current, dict):
            stack.extend((child, depth + 1) for child in current.values() if isinstance(child, dict | list))
        elif isinstance(current, list):
            stack.extend((child, depth + 1) for child in current if isinstance(child, dict | list))
    return False


def input_value(values: dict[str, Any], name: str) -> str | None:
    """A modal input's value (block_id = action_id = name): typed text or the chosen option,
    without control characters (the text goes to the store and, later, a moderator's terminal)."""
    block = values.get(name)
    state = block.get(name) if isinstance(block, dict) else None
    if not isinstance(state, dict):
        return None
    if state.get("type") == "static_select":
        option = state.get("selected_option")
        value = option.get("value") if isinstance(option, dict) else None
        return clean(str(value)) if value else None
    value = state.get("value")
    return clean(str(value)) if value is not None else None


def action(body: dict[str, Any]) -> dict[str, Any]:
    """The clicked element of a `block_actions` payload (its first action)."""
    actions = body.get("actions") or [{}]
    first: dict[str, Any] = actions[0]
    return first


def click_destination(body: dict[str, Any]) -> Destination:
    """The channel (or direct message) and workspace a click came from."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return Destination(PLATFORM, str(channel or ""), str(team or ""))


def view_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The JSON object a modal carries in `private_metadata` (empty if it carries none)."""
    text = view.get("private_metadata")
    try:
        data = json.loads(text) if isinstance(text, str) and text else {}
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}
