"""The App Home and your data in many workspaces: opening the Home tab, its admin section and its
"Start a review" button, `/mlquestion export` and the forget-me buttons in workspace B use B's
token, through real Bolt over HTTP against a fake Slack that refuses one team's token on another
team's people, direct messages and files."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackAdapter
from adapters.slack.home import HOME_REVIEW_ACTION
from adapters.slack.yourdata import EXPORT_SENT, FORGET_ACTION, KEEP_ACTION
from bot.practice.yourdata import DECK_FILE, RATINGS_FILE, REVIEWS_FILE
from bot.schedule.clock import FakeClock
from bot.seam import Destination
from bot.service import Invocation, PracticeService
from bot.store import SqlStore
from tests.support.slack_support import FakeSlack, button_click, click, command_form, dm_channel, send
from tests.support.slack_views import home_click, home_opened
from tests.support.slack_workspaces import (
    CHANNEL_B,
    TEAM_A,
    TEAM_B,
    USER_A,
    USER_B,
    FakeWorkspaces,
    clicked_in,
    in_team,
    install,
    post_team_event,
)

pytestmark = pytest.mark.usefixtures("workspaces")

IN_B = Destination("slack", CHANNEL_B, TEAM_B)
# Each person's direct messages with the app, as the fake names them.
DM_A, DM_B = dm_channel(USER_A), dm_channel(USER_B)
ADMINS_HEADER = "Channels' daily questions (admins)"
TODAY = "ask:2026-11-23"


def tokens(fake: FakeSlack, *methods: str) -> list[str | None]:
    """The tokens of the calls to `methods`, in order."""
    return [call.token for call in fake.calls if call.method in methods]


@pytest.fixture
async def token_b(
    slack_oauth: SlackAdapter, http_client: aiohttp.ClientSession, fake_slack: FakeSlack
) -> str:
    """The app installed to both workspaces, A first; B's bot token."""
    await install(http_client, slack_oauth, fake_slack, TEAM_A)
    return await install(http_client, slack_oauth, fake_slack, TEAM_B)


async def open_home_in_b(
    adapter: SlackAdapter, client: aiohttp.ClientSession, fake: FakeSlack
) -> dict[str, Any]:
    """USER_B opens the app's Home tab in workspace B; return the view published for them."""
    before = len(fake.published)
    assert await post_team_event(client, adapter, TEAM_B, home_opened(USER_B)) == 200
    await fake.wait_until(lambda: len(fake.published) > before)
    who, view = fake.published[-1]
    assert who == USER_B
    return view


async def command_in_b(
    adapter: SlackAdapter, client: aiohttp.ClientSession, fake: FakeSlack, text: str
) -> dict[str, Any]:
    """USER_B runs `/mlquestion text` in B's channel; return the first reply to its response_url."""
    before = len(fake.responses)
    form = in_team(command_form(fake, text, USER_B), TEAM_B, CHANNEL_B)
    assert await send(client, adapter, form) == 200
    await fake.wait_until(lambda: len(fake.responses) > before)
    return fake.responses[before]


async def press_in_b(
    adapter: SlackAdapter, client: aiohttp.ClientSession, fake: FakeSlack, payload: dict[str, Any]
) -> dict[str, Any]:
    """Click a button from workspace B; return the first reply to the click's response_url."""
    before = len(fake.responses)
    assert await click(client, adapter, clicked_in(payload, TEAM_B)) == 200
    await fake.wait_until(lambda: len(fake.responses) > before)
    return fake.responses[before]


async def rate_in_b(service: PracticeService, question_id: str, choice: str) -> None:
    await service.rate(Invocation(IN_B, USER_B), question_id, TODAY, choice)


# The fake's own checks ------------------------------------------------------------------------------


# A call about B's person or their direct messages, and the error Slack gives a token that can't see them.
FOREIGN_CALLS = [
    pytest.param(lambda c: c.users_info(user=USER_B), "user_not_found", id="users.info"),
    pytest.param(
        lambda c: c.views_publish(user_id=USER_B, view={"type": "home", "blocks": []}),
        "user_not_found",
        id="views.publish",
    ),
    pytest.param(
        lambda c: c.conversations_open(users=f"{USER_A},{USER_B}"), "user_not_found", id="conversations.open"
    ),
    pytest.param(
        lambda c: c.chat_postMessage(channel=DM_B, text="hi"), "channel_not_found", id="chat.postMessage"
    ),
]


@pytest.mark.usefixtures("token_b")
@pytest.mark.parametrize(("call", "error"), FOREIGN_CALLS)
async def test_the_fake_refuses_a_teams_token_on_another_teams_person(
    fake_slack: FakeSlack,
    workspaces: FakeWorkspaces,
    call: Callable[[AsyncWebClient], Awaitable[Any]],
    error: str,
) -> None:
    """With A's token, B's person is unknown and their direct messages are not found."""
    alpha = AsyncWebClient(token=workspaces.token_of(TEAM_A), base_url=fake_slack.api_url)
    with pytest.raises(SlackApiError) as caught:
        await call(alpha)
    assert caught.value.response["error"] == error


async def test_the_fake_refuses_to_share_a_file_another_team_asked_to_upload(
    fake_slack: FakeSlack, workspaces: FakeWorkspaces, token_b: str
) -> None:
    """A file id from files.getUploadURLExternal with B's token, shared with A's token in A's own
    direct messages: `file_not_found`."""
    bravo = AsyncWebClient(token=token_b, base_url=fake_slack.api_url)
    alpha = AsyncWebClient(token=workspaces.token_of(TEAM_A), base_url=fake_slack.api_url)
    upload = await bravo.files_getUploadURLExternal(filename="a.csv", length=1)
    with pytest.raises(SlackApiError) as caught:
        await alpha.files_completeUploadExternal(files=[{"id": upload["file_id"]}], channel_id=DM_A)
    assert caught.value.response["error"] == "file_not_found"


# The App Home ---------------------------------------------------------------------------------------


async def test_opening_the_home_tab_in_b_publishes_it_with_bs_token(
    slack_oauth: SlackAdapter, http_client: aiohttp.ClientSession, fake_slack: FakeSlack, token_b: str
) -> None:
    """The Home tab opened in B: the admin check (users.info) and views.publish use B's token."""
    view = await open_home_in_b(slack_oauth, http_client, fake_slack)
    assert view["type"] == "home"
    assert tokens(fake_slack, "users.info", "views.publish") == [token_b, token_b]


async def test_an_admin_of_b_sees_the_admin_section_in_bs_home(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    token_b: str,
) -> None:
    """B's workspace admin (as B's users.info says) sees B's channel schedule in the Home tab."""
    fake_slack.admins.add(USER_B)
    view = await open_home_in_b(slack_oauth, http_client, fake_slack)
    assert ADMINS_HEADER in json.dumps(view["blocks"])


async def test_start_a_review_in_b_posts_to_the_persons_direct_messages_with_bs_token(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    service: PracticeService,
    clock: FakeClock,
    token_b: str,
) -> None:
    """Two days after missing a question in B, "Start a review" in B's Home tab sends the review
    card to the person's direct messages with B's token."""
    await rate_in_b(service, "keras-easy", "missed")
    clock.advance(timedelta(days=2))
    view = await open_home_in_b(slack_oauth, http_client, fake_slack)
    home = clicked_in(home_click(view, HOME_REVIEW_ACTION, USER_B), TEAM_B)
    assert await click(http_client, slack_oauth, home) == 200
    await fake_slack.wait_until(lambda: bool(fake_slack.messages.get(DM_B)))
    [card] = fake_slack.calls_to("chat.postMessage")
    assert card["channel"] == USER_B and "Title of keras-easy" in json.dumps(card["blocks"])
    assert tokens(fake_slack, "chat.postMessage") == [token_b]


async def test_rating_the_review_in_b_publishes_bs_home_again_with_bs_token(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    service: PracticeService,
    clock: FakeClock,
    token_b: str,
) -> None:
    """The review card rated Nailed it in B's direct messages: the Home tab shown in B is published
    again (the rating's team is B's), with nothing due any more."""
    await rate_in_b(service, "keras-easy", "missed")
    clock.advance(timedelta(days=2))
    view = await open_home_in_b(slack_oauth, http_client, fake_slack)
    home = clicked_in(home_click(view, HOME_REVIEW_ACTION, USER_B), TEAM_B)
    assert await click(http_client, slack_oauth, home) == 200
    await fake_slack.wait_until(lambda: bool(fake_slack.messages.get(DM_B)))
    [card] = fake_slack.messages[DM_B]
    message = {**fake_slack.calls_to("chat.postMessage")[-1], "ts": card["ts"]}
    rating = button_click(fake_slack, message, "mlq_rate_nailed", USER_B, channel=DM_B)
    before = len(fake_slack.published)
    await press_in_b(slack_oauth, http_client, fake_slack, rating)
    await fake_slack.wait_until(lambda: len(fake_slack.published) > before)
    assert "*Reviews due:* none." in json.dumps(fake_slack.home_of(USER_B)["blocks"])
    assert set(tokens(fake_slack, "views.publish")) == {token_b}


# Your data -------------------------------------------------------------------------------------------


async def test_export_in_b_uploads_to_the_direct_messages_with_bs_token(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    service: PracticeService,
    token_b: str,
) -> None:
    """`/mlquestion export` in B: the direct messages are opened and the three files uploaded and
    shared there with B's token, and the reply says where they went."""
    await rate_in_b(service, "keras-easy", "missed")
    reply = await command_in_b(slack_oauth, http_client, fake_slack, "export")
    assert EXPORT_SENT in reply["text"]
    shared = {f["filename"]: f["channel_id"] for f in fake_slack.files.values() if f.get("channel_id")}
    assert shared == {RATINGS_FILE: DM_B, REVIEWS_FILE: DM_B, DECK_FILE: DM_B}
    used = tokens(
        fake_slack, "conversations.open", "files.getUploadURLExternal", "files.completeUploadExternal"
    )
    assert len(used) == 5 and set(used) == {token_b}


async def test_confirming_forget_me_in_b_forgets_the_person_in_b(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    token_b: str,
) -> None:
    """forget-me in B, confirmed: the outcome replaces the question and B's ratings are gone."""
    await rate_in_b(service, "keras-easy", "missed")
    question = await command_in_b(slack_oauth, http_client, fake_slack, "forget-me")
    click = button_click(fake_slack, question, FORGET_ACTION, USER_B, CHANNEL_B, ephemeral=True)
    reply = await press_in_b(slack_oauth, http_client, fake_slack, click)
    assert reply["replace_original"] is True and "Deleted everything kept about you" in reply["text"]
    assert await store.user_ratings(Invocation(IN_B, USER_B).user_key) == []


async def test_keeping_in_b_deletes_nothing(
    slack_oauth: SlackAdapter,
    http_client: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    service: PracticeService,
    store: SqlStore,
    token_b: str,
) -> None:
    await rate_in_b(service, "keras-easy", "missed")
    question = await command_in_b(slack_oauth, http_client, fake_slack, "forget-me")
    click = button_click(fake_slack, question, KEEP_ACTION, USER_B, CHANNEL_B, ephemeral=True)
    reply = await press_in_b(slack_oauth, http_client, fake_slack, click)
    assert "Nothing was deleted." in reply["text"]
    assert await store.user_ratings(Invocation(IN_B, USER_B).user_key)
