"""Installing to many workspaces: the "Add to Slack" flow and its state, a token per workspace for
every call, uninstalls and revocations, token rotation; through real Bolt over HTTP against the fake."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from adapters.slack.adapter import SlackAdapter
from adapters.slack.workspaces import SlackClients
from bot.content.bank import Filters
from bot.records import Subscription
from bot.schedule.clock import FakeClock
from bot.schedule.rules import Schedule
from bot.seam import Destination
from bot.store import SqlStore
from tests.support.slack_support import POST_AT, REVEAL_AT, FakeSlack, command_form, eventually, send
from tests.support.slack_workspaces import (
    CHANNEL_A,
    CHANNEL_B,
    CLIENT_ID,
    TEAM_A,
    TEAM_B,
    FakeWorkspaces,
    in_team,
    install,
    open_install_page,
    post_team_event,
    redirect,
)

pytestmark = pytest.mark.usefixtures("workspaces")


async def installed_bot(adapter: SlackAdapter, team: str) -> Bot | None:
    store = adapter.clients.installations
    assert store is not None
    return await store.async_find_bot(enterprise_id=None, team_id=team)


async def subscribe(
    store: SqlStore, team: str, channel: str, schedule: Schedule, clock: FakeClock
) -> Subscription:
    return await store.save_subscription(
        Destination("slack", channel, team), schedule, Filters(), clock.now()
    )


def tokens_used(fake: FakeSlack, method: str, channel: str) -> list[str | None]:
    return [
        call.token for call in fake.calls if call.method == method and call.args.get("channel") == channel
    ]


# The install flow ---------------------------------------------------------------------------------------


async def test_add_to_slack_links_to_slacks_consent_screen_with_a_state_also_set_as_a_cookie(
    slack_oauth: SlackAdapter, http_client: aiohttp.ClientSession
) -> None:
    """GET /slack/install: a page linking to Slack with our client id, scopes and a fresh state."""
    page = await open_install_page(http_client, slack_oauth)
    assert page.status == 200 and page.link is not None
    assert f"client_id={CLIENT_ID}" in page.link and "scope=commands,chat:write,users:read&" in page.link
    assert page.state and page.cookie == page.state


async def test_the_redirect_with_its_state_installs_the_workspace(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    workspaces: FakeWorkspaces,
) -> None:
    """Slack's redirect with the code and the state we issued: the code is exchanged and the team's
    bot token saved in our database."""
    token = await install(http_client, slack_oauth, fake_slack, TEAM_A)
    bot = await installed_bot(slack_oauth, TEAM_A)
    assert bot is not None and bot.bot_token == token
    assert [grant.get("code", "").startswith("code-T0ALPHA") for grant in workspaces.exchanges] == [True]


@pytest.mark.parametrize(
    ("state", "cookie", "status"),
    [
        pytest.param(None, None, 400, id="missing state"),
        pytest.param("issued", None, 400, id="state without its cookie"),
        pytest.param("forged", "issued", 400, id="forged state, real cookie"),
        pytest.param("forged", "forged", 401, id="forged state and cookie"),
    ],
)
async def test_a_redirect_without_a_state_we_issued_to_that_browser_installs_nothing(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    workspaces: FakeWorkspaces,
    state: str | None,
    cookie: str | None,
    status: int,
) -> None:
    """The state must be one we issued, unused, and the same as the browser's cookie."""
    page = await open_install_page(http_client, slack_oauth)
    values = {"issued": page.state, "forged": "0b7a5c1e-forged-state", None: None}
    code = workspaces.approve(TEAM_A)
    answer, _ = await redirect(http_client, slack_oauth, code, values[state], values[cookie])
    assert answer == status
    assert workspaces.exchanges == [] and await installed_bot(slack_oauth, TEAM_A) is None


async def test_a_state_is_used_once(
    slack_oauth: SlackAdapter, http_client: aiohttp.ClientSession, workspaces: FakeWorkspaces
) -> None:
    """Replaying a redirect (same state and cookie, a new code) is refused: the state was consumed."""
    page = await open_install_page(http_client, slack_oauth)
    first, _ = await redirect(http_client, slack_oauth, workspaces.approve(TEAM_A), page.state, page.cookie)
    again, _ = await redirect(http_client, slack_oauth, workspaces.approve(TEAM_B), page.state, page.cookie)
    assert (first, again) == (200, 401)
    assert await installed_bot(slack_oauth, TEAM_B) is None


# A token per workspace ------------------------------------------------------------------------------------


async def test_two_workspaces_get_their_daily_questions_and_reveals_with_their_own_tokens(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    store: SqlStore,
    clock: FakeClock,
    berlin_schedule: Schedule,
) -> None:
    """Each channel's post, reveal and card update go out with its own workspace's bot token (the
    fake refuses a token on another team's channel)."""
    token_a = await install(http_client, slack_oauth, fake_slack, TEAM_A)
    token_b = await install(http_client, slack_oauth, fake_slack, TEAM_B)
    await subscribe(store, TEAM_A, CHANNEL_A, berlin_schedule, clock)
    await subscribe(store, TEAM_B, CHANNEL_B, berlin_schedule, clock)
    clock.set(POST_AT)
    await slack_oauth.service.run_due()
    clock.set(REVEAL_AT)
    await slack_oauth.service.run_due()
    for channel, token in ((CHANNEL_A, token_a), (CHANNEL_B, token_b)):
        posts = tokens_used(fake_slack, "chat.postMessage", channel)
        assert len(posts) >= 2 and set(posts) == {token}  # the question and its answer
        assert tokens_used(fake_slack, "chat.update", channel) == [token]


async def test_a_command_is_handled_with_the_token_of_the_workspace_it_came_from(
    slack_oauth: SlackAdapter, http_client: aiohttp.ClientSession, fake_slack: FakeSlack, store: SqlStore
) -> None:
    """`/mlquestion subscribe` from workspace B: the admin and membership checks use B's token."""
    await install(http_client, slack_oauth, fake_slack, TEAM_A)
    token_b = await install(http_client, slack_oauth, fake_slack, TEAM_B)
    fake_slack.admins.add("U0ALICE")
    fake_slack.members.add(CHANNEL_B)
    form = in_team(command_form(fake_slack, "subscribe 09:00 Europe/Berlin"), TEAM_B, CHANNEL_B)
    assert await send(http_client, slack_oauth, form) == 200
    await fake_slack.wait_until(lambda: bool(fake_slack.responses))
    assert [c.token for c in fake_slack.calls if c.method in ("users.info", "conversations.info")] == [
        token_b,
        token_b,
    ]
    assert await store.get_subscription(Destination("slack", CHANNEL_B, TEAM_B)) is not None


async def test_a_mock_interview_reaches_the_app_home_messages_with_its_workspaces_token(
    slack_oauth: SlackAdapter, http_client: aiohttp.ClientSession, fake_slack: FakeSlack
) -> None:
    """`/mlquestion mock` from workspace B: the direct messages (the app's Messages tab) go out with
    B's token."""
    await install(http_client, slack_oauth, fake_slack, TEAM_A)
    token_b = await install(http_client, slack_oauth, fake_slack, TEAM_B)
    form = in_team(command_form(fake_slack, "mock count 3"), TEAM_B, CHANNEL_B)
    assert await send(http_client, slack_oauth, form) == 200
    await fake_slack.wait_until(lambda: bool(fake_slack.responses))
    direct = tokens_used(fake_slack, "chat.postMessage", "U0ALICE")
    assert len(direct) == 2 and set(direct) == {token_b}  # the intro and question 1


# Uninstalls and revocations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"type": "app_uninstalled"}, id="app_uninstalled"),
        pytest.param({"type": "tokens_revoked", "tokens": {"bot": ["U0BOTT0ALPHA"]}}, id="tokens_revoked"),
    ],
)
async def test_losing_a_workspace_pauses_its_subscriptions_and_deletes_its_tokens(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    workspaces: FakeWorkspaces,
    store: SqlStore,
    clock: FakeClock,
    berlin_schedule: Schedule,
    event: dict[str, object],
) -> None:
    """Workspace A uninstalls (or revokes the bot token): A's tokens are gone and its channel paused
    with the reason; workspace B still gets its question, and nothing is sent to A."""
    await install(http_client, slack_oauth, fake_slack, TEAM_A)
    await install(http_client, slack_oauth, fake_slack, TEAM_B)
    alpha = await subscribe(store, TEAM_A, CHANNEL_A, berlin_schedule, clock)
    bravo = await subscribe(store, TEAM_B, CHANNEL_B, berlin_schedule, clock)
    workspaces.revoke(TEAM_A)
    assert await post_team_event(http_client, slack_oauth, TEAM_A, {**event, "event_ts": "1.0"}) == 200

    async def paused() -> bool:
        found = await store.get_subscription_by_id(alpha.id)
        return found is not None and found.paused

    await eventually(paused)
    found = await store.get_subscription_by_id(alpha.id)
    assert found is not None and found.paused_reason == f"platform: {event['type']}"
    assert await installed_bot(slack_oauth, TEAM_A) is None
    clock.set(POST_AT)
    await slack_oauth.service.run_due()
    assert tokens_used(fake_slack, "chat.postMessage", CHANNEL_A) == []
    assert len(tokens_used(fake_slack, "chat.postMessage", CHANNEL_B)) == 1
    still = await store.get_subscription_by_id(bravo.id)
    assert still is not None and not still.paused


async def test_a_post_for_a_workspace_that_never_installed_pauses_that_channel(
    slack_oauth: SlackAdapter,
    fake_slack: FakeSlack,
    store: SqlStore,
    clock: FakeClock,
    berlin_schedule: Schedule,
) -> None:
    """No token for the channel's team: nothing is sent and the subscription is paused, with a reason."""
    sub = await subscribe(store, TEAM_A, CHANNEL_A, berlin_schedule, clock)
    clock.set(POST_AT)
    await slack_oauth.service.run_due()
    found = await store.get_subscription_by_id(sub.id)
    assert found is not None and found.paused_reason == "platform: not_installed"
    assert fake_slack.calls_to("chat.postMessage") == []


# Token rotation ----------------------------------------------------------------------------------


async def test_an_expiring_token_is_refreshed_before_the_post_and_the_new_one_saved(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    workspaces: FakeWorkspaces,
    store: SqlStore,
    clock: FakeClock,
    berlin_schedule: Schedule,
) -> None:
    """A token expiring within the rotation window (2 h) is exchanged with its refresh token first;
    the post goes out with the new token (the old one is dead at Slack) and the store keeps it."""
    workspaces.token_lifetime = int(timedelta(minutes=30).total_seconds())
    old = await install(http_client, slack_oauth, fake_slack, TEAM_A)
    await subscribe(store, TEAM_A, CHANNEL_A, berlin_schedule, clock)
    clock.set(POST_AT)
    await slack_oauth.service.run_due()
    new = workspaces.token_of(TEAM_A)
    assert new != old and workspaces.retired[old] == "token_expired"
    assert [grant.get("grant_type") for grant in workspaces.exchanges] == [None, "refresh_token"]
    assert tokens_used(fake_slack, "chat.postMessage", CHANNEL_A) == [new]
    bot = await installed_bot(slack_oauth, TEAM_A)
    assert bot is not None and bot.bot_token == new


class FirstReadStale(AsyncInstallationStore):
    """The store as a replica saw it just before another replica refreshed the token: the first read
    returns the earlier bot row, later reads and writes go to the real store."""

    def __init__(self, store: AsyncInstallationStore, stale: Bot) -> None:
        self.store = store
        self.stale: Bot | None = stale

    async def async_find_bot(self, **where: Any) -> Bot | None:
        if self.stale is not None:
            bot, self.stale = self.stale, None
            return bot
        return await self.store.async_find_bot(**where)

    async def async_save_bot(self, bot: Bot) -> None:
        await self.store.async_save_bot(bot)


async def test_a_token_another_replica_just_refreshed_is_used_not_refreshed_again(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    workspaces: FakeWorkspaces,
) -> None:
    """Two replicas refresh at once: the loser's refresh token is spent, so it takes the token the
    winner saved instead of pausing the workspace."""
    workspaces.token_lifetime = int(timedelta(minutes=30).total_seconds())
    await install(http_client, slack_oauth, fake_slack, TEAM_A)
    stale = await installed_bot(slack_oauth, TEAM_A)
    assert stale is not None and slack_oauth.clients.installations is not None
    await slack_oauth.clients.for_team(TEAM_A)  # the first replica refreshes
    late = SlackClients(
        slack_oauth.client,
        FirstReadStale(slack_oauth.clients.installations, stale),
        slack_oauth.clients.rotator,
    )
    client = await late.for_team(TEAM_A)
    assert client.token == workspaces.token_of(TEAM_A) != stale.bot_token
    assert [grant.get("grant_type") for grant in workspaces.exchanges] == [
        None,
        "refresh_token",
        "refresh_token",
    ]
