"""Slack with many workspaces, for the OAuth tests: the fake's side of installs and tokens, and the
adapter installed to several teams through its real "Add to Slack" flow.

`FakeWorkspaces` plugs into `FakeSlack` (its `workspaces`): it answers `oauth.v2.access` (a code
exchange with the app's client id and secret in HTTP Basic auth, or a refresh-token grant) and
`auth.test` for the token used, and refuses what Slack refuses: an unknown, expired or revoked
token (`invalid_auth`, `token_expired`, `token_revoked`), and a token of one team used on what
belongs to another team, as Slack answers for what the caller can't see: a channel or a person's
direct messages (`channel_not_found`), a person (`user_not_found`: users.info, views.publish,
conversations.open) or a file uploaded with the other team's token (`file_not_found`, at
files.completeUploadExternal).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.adapter import SlackAdapter, SlackConfig
from adapters.slack.oauth import SlackOAuthConfig
from bot.service import PracticeService
from bot.store import SqlStore
from tests.support.log_scan import SCAN
from tests.support.slack_support import SIGNING_SECRET, FakeSlack, event_body, signed_headers

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret-not-real"
SCAN.register(CLIENT_SECRET)
STATE_COOKIE = "slack-app-oauth-state"
# Two workspaces, with a channel and a person in each.
TEAM_A, TEAM_B = "T0ALPHA", "T0BRAVO"
CHANNEL_A, CHANNEL_B = "C0ALPHA", "C0BRAVO"
USER_A, USER_B = "U0ADA", "U0BEA"
# Where each call names a channel or people (a person's direct messages count as theirs).
CHANNEL_ARGS = ("channel", "channel_id")
USER_ARGS = ("user", "user_id", "users")


@dataclass
class FakeWorkspaces:
    """Slack's records of the app's installs: one-time codes, live and retired tokens, channels.

    `token_lifetime` (seconds) turns token rotation on: tokens then come with a refresh token and
    `expires_in`, and a refresh retires the token it replaces and spends its refresh token (the
    strictest reading of Slack's rotation: a refresh token works once).
    """

    channels: dict[str, str] = field(default_factory=lambda: {CHANNEL_A: TEAM_A, CHANNEL_B: TEAM_B})
    # People by team; anyone else (U0ALICE…) is taken to be in whichever team asks.
    users: dict[str, str] = field(default_factory=lambda: {USER_A: TEAM_A, USER_B: TEAM_B})
    uploads: dict[str, str] = field(default_factory=dict)  # file id → team whose token asked for it
    tokens: dict[str, str] = field(default_factory=dict)  # live bot token → team
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token → team
    retired: dict[str, str] = field(default_factory=dict)  # dead token → the error it now gets
    codes: dict[str, str] = field(default_factory=dict)  # unused code → team
    exchanges: list[dict[str, Any]] = field(default_factory=list)  # oauth.v2.access grants, in order
    token_lifetime: int | None = None
    methods: frozenset[str] = frozenset({"oauth.v2.access", "auth.test"})
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def approve(self, team: str) -> str:
        """Someone in `team` approves the install on Slack's consent screen: the code Slack hands back."""
        code = f"code-{team}-{next(self._serial)}"
        self.codes[code] = team
        return code

    def token_of(self, team: str) -> str:
        """The team's live bot token."""
        (token,) = [token for token, owner in self.tokens.items() if owner == team]
        return token

    def revoke(self, team: str) -> None:
        """The team uninstalls the app: its tokens stop working."""
        for token in [t for t, owner in self.tokens.items() if owner == team]:
            self.retired[token] = "token_revoked"
            del self.tokens[token]

    def refusal(self, method: str, args: dict[str, Any], token: str | None) -> str | None:
        """The error Slack answers this call with, or None if the token may make it."""
        if method == "oauth.v2.access":
            return None  # authenticated by the client id and secret, checked in `answer`
        if token in self.retired:
            return self.retired[token]
        team = self.tokens.get(token or "")
        if team is None:
            return "invalid_auth"
        for name in CHANNEL_ARGS:
            if self._owner_of_channel(str(args.get(name) or "")) not in (None, team):
                return "channel_not_found"
        for name in USER_ARGS:
            people = str(args.get(name) or "").split(",")
            if any(self.users.get(person) not in (None, team) for person in people):
                return "user_not_found"
        if method == "files.completeUploadExternal":
            listed = args.get("files")
            listed = json.loads(listed) if isinstance(listed, str) else list(listed or [])
            if any(self.uploads.get(str(item.get("id"))) not in (None, team) for item in listed):
                return "file_not_found"
        return None

    def uploading(self, file_id: str, token: str | None) -> None:
        """files.getUploadURLExternal handed out `file_id`: only its team may share the file."""
        team = self.tokens.get(token or "")
        if team is not None:
            self.uploads[file_id] = team

    def _owner_of_channel(self, channel: str) -> str | None:
        """The team of a channel, of a person's direct messages (D… as `dm_channel` names them), or
        of a person (chat.postMessage to a user id goes to their direct messages)."""
        if channel in self.channels:
            return self.channels[channel]
        if channel[:1] == "D":
            return self.users.get("U" + channel[1:])
        return self.users.get(channel)

    def answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "auth.test":
            team = self.tokens[token or ""]
            return {
                "team_id": team,
                "user_id": f"U0BOT{team}",
                "bot_id": f"B0{team}",
                "url": "https://fake.slack/",
            }
        if not _client_credentials(token):
            return {"ok": False, "error": "invalid_client_id"}
        self.exchanges.append(dict(args))
        if args.get("grant_type") == "refresh_token":
            refreshed = self.refresh_tokens.pop(str(args.get("refresh_token")), None)
            if refreshed is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            for old in [t for t, owner in self.tokens.items() if owner == refreshed]:
                self.retired[old] = "token_expired"
                del self.tokens[old]
            return self._grant(refreshed)
        installed = self.codes.pop(str(args.get("code")), "")
        if not installed:
            return {"ok": False, "error": "invalid_code"}
        return self._grant(installed)

    def _grant(self, team: str) -> dict[str, Any]:
        token = f"xoxb-{team}-{next(self._serial)}-not-real"
        SCAN.register(token)
        self.tokens[token] = team
        grant: dict[str, Any] = {
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write,users:read",
            "bot_user_id": f"U0BOT{team}",
            "app_id": "A0APP",
            "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": f"U0INSTALLER{team}"},
        }
        if self.token_lifetime is not None:
            refresh = f"xoxe-{team}-{next(self._serial)}-not-real"
            SCAN.register(refresh)
            self.refresh_tokens[refresh] = team
            grant.update(refresh_token=refresh, expires_in=self.token_lifetime)
        return grant


def _client_credentials(authorization: str | None) -> bool:
    """The fake reads the bearer token from the Authorization header; oauth.v2.access sends Basic."""
    if not authorization or not authorization.startswith("Basic "):
        return False
    decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
    return decoded == f"{CLIENT_ID}:{CLIENT_SECRET}"


# The install flow as a browser goes through it ----------------------------------------------------------


@dataclass(frozen=True)
class InstallPage:
    status: int
    state: str | None  # in the link to Slack's consent screen
    cookie: str | None  # the state cookie set with it
    link: str | None


async def open_install_page(client: aiohttp.ClientSession, adapter: SlackAdapter) -> InstallPage:
    """GET "Add to Slack"; return the state in its link to Slack and the cookie it sets."""
    async with client.get(adapter.install_url, allow_redirects=False) as response:
        text = await response.text()
        cookie = response.cookies.get(STATE_COOKIE)
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', text)
        url = link.group(1).replace("&amp;", "&") if link else None
        state = parse_qs(url.split("?", 1)[1]).get("state", [None])[0] if url else None
        return InstallPage(response.status, state, cookie.value if cookie else None, url)


async def redirect(
    client: aiohttp.ClientSession, adapter: SlackAdapter, code: str, state: str | None, cookie: str | None
) -> tuple[int, str]:
    """Slack sends the browser back with `code` and `state` (and the browser its cookie)."""
    query = {"code": code} | ({"state": state} if state is not None else {})
    headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie is not None else {}
    assert adapter.config.oauth is not None
    url = f"{adapter.address}{adapter.config.oauth.redirect_path}?{urlencode(query)}"
    async with client.get(url, headers=headers, allow_redirects=False) as response:
        return response.status, await response.text()


async def install(client: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, team: str) -> str:
    """Install the app to `team` the way a person does; return the bot token Slack gave it."""
    assert fake.workspaces is not None
    page = await open_install_page(client, adapter)
    status, _ = await redirect(client, adapter, fake.workspaces.approve(team), page.state, page.cookie)
    assert status == 200
    return fake.workspaces.token_of(team)


async def post_team_event(
    client: aiohttp.ClientSession, adapter: SlackAdapter, team: str, event: dict[str, Any]
) -> int:
    """Deliver an Events API callback from `team`, signed."""
    body = {**event_body(event), "team_id": team, "authorizations": [{"team_id": team, "is_bot": True}]}
    raw = json.dumps(body)
    headers = {**signed_headers(raw), "Content-Type": "application/json"}
    async with client.post(adapter.address + adapter.config.path, data=raw, headers=headers) as response:
        return response.status


def in_team(form: str, team: str, channel: str) -> str:
    """A slash command's form (see `command_form`) as sent from `channel` in `team`."""
    fields = {key: values[0] for key, values in parse_qs(form).items()}
    return urlencode({**fields, "team_id": team, "channel_id": channel})


def clicked_in(payload: dict[str, Any], team: str) -> dict[str, Any]:
    """A `block_actions` payload (see `button_click`, `home_click`) as sent from `team`."""
    clicked = {
        **payload,
        "team": {**payload["team"], "id": team},
        "user": {**payload["user"], "team_id": team},
    }
    if "view" in payload:
        clicked["view"] = {**payload["view"], "team_id": team}
    return clicked


# Fixtures ------------------------------------------------------------------------------------------------


def oauth_config(fake: FakeSlack, **overrides: Any) -> SlackConfig:
    return SlackConfig(
        bot_token=None,
        mode="http",
        api_url=fake.api_url,
        signing_secret=SIGNING_SECRET,
        host="127.0.0.1",
        port=0,
        oauth=SlackOAuthConfig(CLIENT_ID, CLIENT_SECRET, ("commands", "chat:write", "users:read")),
        **overrides,
    )


@pytest.fixture
def workspaces(fake_slack: FakeSlack) -> FakeWorkspaces:
    """The fake Slack hosting two workspaces, A and B, with a channel each; nothing installed yet."""
    fake_slack.workspaces = FakeWorkspaces()
    return fake_slack.workspaces


def build_oauth_adapter(service: PracticeService, fake: FakeSlack, engine: AsyncEngine) -> SlackAdapter:
    adapter = SlackAdapter(service, oauth_config(fake), engine)
    service.register_adapter(adapter)
    return adapter


@pytest.fixture
async def slack_oauth(
    service: PracticeService, fake_slack: FakeSlack, workspaces: FakeWorkspaces, store: SqlStore
) -> AsyncIterator[SlackAdapter]:
    """The adapter installable to many workspaces (HTTP mode, tokens in the store's database)."""
    adapter = build_oauth_adapter(service, fake_slack, store.engine)
    await adapter.start()
    yield adapter
    await adapter.stop()
