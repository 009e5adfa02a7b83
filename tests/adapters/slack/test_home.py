"""Slack's App Home: the real Bolt app over loopback HTTP, app_home_opened and home-tab clicks in
Slack's wire formats, and the fake Web API's views.publish checking each view as Slack does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from adapters.slack.adapter import SlackAdapter
from adapters.slack.components import REVIEW_ANSWER_ACTION
from adapters.slack.home import HOME_REVIEW_ACTION, home_view
from bot.practice.home import ChannelHome, HomeSummary, MockRun, SubscriptionHome
from bot.practice.progress import Mastery
from bot.seam import Destination
from bot.store.transfer import export_store, import_store
from tests.support.slack_support import (
    POST_AT,
    TEAM,
    FakeSlack,
    SlackWorld,
    action_payload,
    button_click,
    event_body,
)
from tests.support.slack_views import MAX_HOME_BLOCKS, home_click, home_opened, view_problems

ALICE, BOSS = "U0ALICE", "U0BOSS"
ADMINS_HEADER = "Channels' daily questions (admins)"


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


async def open_home(world: SlackWorld, user: str = ALICE) -> dict[str, Any]:
    """`user` opens the app's Home tab; return the view published for them."""
    before = len(world.fake.published)
    assert await world.post_event(home_opened(user)) == 200
    await world.fake.wait_until(lambda: len(world.fake.published) > before)
    who, view = world.fake.published[-1]
    assert who == user
    return view


async def rate_missed(world: SlackWorld, question_id: str = "keras-easy", user: str = ALICE) -> None:
    """`user` shows a question's answer privately and rates it Missed it."""
    answer = await world.press(action_payload(world.fake, "mlq_show_answer", question_id, user))
    await world.press(button_click(world.fake, answer, "mlq_rate_missed", user, ephemeral=True))


async def test_opening_the_home_tab_publishes_the_persons_home(slack_daily: SlackWorld) -> None:
    """Alice answered Monday's question in its thread: her home names #general with her streak
    and the next question, as a home tab view Slack accepts."""
    thread = await slack_daily.question_thread()
    await slack_daily.answered_by(thread, ALICE)
    await slack_daily.run_due_at(POST_AT + timedelta(hours=6))
    view = await open_home(slack_daily)
    assert view["type"] == "home" and view_problems(view) == []
    text = text_of(view)
    assert "<#C0GENERAL> — next question <!date^" in text and "streak 1 (longest 1)" in text
    assert "*Streak:* 1 daily question in a row in <#C0GENERAL>" in text
    assert ADMINS_HEADER not in text


async def test_opening_the_messages_tab_publishes_nothing(slack_world: SlackWorld) -> None:
    """The Messages tab sends app_home_opened too; only the Home tab's open is answered."""
    assert await slack_world.post_event(home_opened(ALICE, tab="messages")) == 200
    await open_home(slack_world, BOSS)
    assert [who for who, _ in slack_world.fake.published] == [BOSS]


async def test_the_review_button_sends_the_most_overdue_question_to_direct_messages(
    slack_world: SlackWorld,
) -> None:
    """Two days after missing a question, the home offers a review; the click posts the review
    card (with its Show answer button) to Alice's direct messages with the app."""
    await rate_missed(slack_world)
    slack_world.clock.advance(timedelta(days=2))
    view = await open_home(slack_world)
    assert "*Reviews due:* 1 question" in text_of(view)
    assert await slack_world.click(home_click(view, HOME_REVIEW_ACTION, ALICE)) == 200
    await slack_world.fake.wait_until(lambda: bool(slack_world.fake.calls_to("chat.postMessage")))
    [card] = slack_world.fake.calls_to("chat.postMessage")
    assert card["channel"] == ALICE
    assert "Title of keras-easy" in json.dumps(card["blocks"]) and REVIEW_ANSWER_ACTION in json.dumps(
        card["blocks"]
    )


async def test_rating_the_review_in_direct_messages_refreshes_the_home(slack_world: SlackWorld) -> None:
    """Alice reviews from her home and rates the card Nailed it in her direct messages: her home is
    published again, with nothing due any more."""
    await rate_missed(slack_world)
    slack_world.clock.advance(timedelta(days=2))
    view = await open_home(slack_world)
    assert await slack_world.click(home_click(view, HOME_REVIEW_ACTION, ALICE)) == 200
    await slack_world.fake.wait_until(lambda: bool(slack_world.fake.messages.get("D0ALICE")))
    [card] = slack_world.fake.messages["D0ALICE"]
    posted = slack_world.fake.calls_to("chat.postMessage")[-1]
    message = {**posted, "ts": card["ts"]}
    click = button_click(slack_world.fake, message, "mlq_rate_nailed", ALICE, channel="D0ALICE")
    before = len(slack_world.fake.published)
    await slack_world.press(click)
    await slack_world.fake.wait_until(lambda: len(slack_world.fake.published) > before)
    assert "*Reviews due:* none. The next one is due" in text_of(slack_world.fake.home_of(ALICE))


async def test_a_review_click_with_nothing_due_says_when_the_next_one_is(slack_world: SlackWorld) -> None:
    """A click on a home tab shown before the review was done: the direct message says so."""
    await rate_missed(slack_world)
    slack_world.clock.advance(timedelta(days=2))
    view = await open_home(slack_world)
    slack_world.clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))  # back before it fell due
    assert await slack_world.click(home_click(view, HOME_REVIEW_ACTION, ALICE)) == 200
    await slack_world.fake.wait_until(lambda: bool(slack_world.fake.calls_to("chat.postMessage")))
    [notice] = slack_world.fake.calls_to("chat.postMessage")
    assert notice["channel"] == ALICE and "Nothing to review right now" in notice["text"]


async def test_the_home_tab_is_published_over_socket_mode(
    slack_socket: SlackAdapter, fake_slack: FakeSlack
) -> None:
    """The same listener serves Socket Mode: an events_api envelope in, views.publish out."""
    await fake_slack.send_envelope("events_api", event_body(home_opened(ALICE)))
    await fake_slack.wait_until(lambda: bool(fake_slack.published))
    assert fake_slack.home_of(ALICE)["type"] == "home"


async def test_a_rating_publishes_no_home_that_was_never_opened(slack_world: SlackWorld) -> None:
    await rate_missed(slack_world)
    assert slack_world.fake.published == []


@pytest.mark.parametrize("admin", [BOSS, "U0CONFIGURED"], ids=["workspace admin", "MLQ_ADMIN_USER_IDS"])
async def test_admins_see_every_channels_schedule_with_its_next_post(
    slack_daily: SlackWorld, admin: str
) -> None:
    """The same check as admin commands: a workspace admin (users.info) or a configured user."""
    slack_daily.fake.admins.add(BOSS)
    await slack_daily.subscribe(where=Destination("slack", "C0RANDOM", TEAM))
    text = text_of(await open_home(slack_daily, admin))
    assert ADMINS_HEADER in text
    assert "<#C0GENERAL> — 09:00 Europe/Berlin, mon-fri · next post <!date^" in text
    assert "<#C0RANDOM> —" in text


async def test_members_do_not_see_the_channels_schedules(slack_daily: SlackWorld) -> None:
    assert ADMINS_HEADER not in text_of(await open_home(slack_daily, ALICE))


async def subscribe_many(world: SlackWorld, count: int) -> None:
    """Subscribe channels C00000… of the workspace as #general is, in one transaction through the
    path `mlq import` takes (subscribing 5,000 one at a time takes about a minute on SQLite)."""
    template = await world.subscribe()
    data = await export_store(world.store)
    [row] = data["tables"]["subscriptions"]
    rows = [{**row, "id": number + 1, "channel_id": f"C{number:05d}"} for number in range(count)]
    data["tables"]["subscriptions"] = rows
    await world.store.delete_subscription(template.id)
    await import_store(world.store, data)


async def test_a_workspace_of_5000_channels_stays_within_the_home_tabs_limits(
    slack_world: SlackWorld,
) -> None:
    """5,000 subscribed channels, Alice an admin: Slack takes the view, which lists the channels
    posting soonest and counts the rest."""
    slack_world.fake.admins.add(ALICE)
    await subscribe_many(slack_world, 5000)
    view = await open_home(slack_world)
    assert view_problems(view) == [] and len(view["blocks"]) <= MAX_HOME_BLOCKS
    assert "…and 4,940 more channels." in text_of(view)


def huge_summary(dashboard_url: str | None) -> HomeSummary:
    """Far more of everything than anyone has: 300 topics, 5,000 channels, long labels."""
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    long = "An exceedingly long & <odd> label " * 10
    return HomeSummary(
        user_id=ALICE,
        now=now,
        reviews_due=12_345,
        next_review_at=now,
        mastery=tuple(Mastery(f"t{n}", f"{long}{n}", n, 1, 2, 400) for n in range(300)),
        channels=tuple(
            ChannelHome(Destination("slack", f"C{n:05d}", TEAM), now, n, n + 1) for n in range(5000)
        ),
        more_channels=0,
        mocks=tuple(MockRun(now, long, 8, 8, 0.5, "finished") for _ in range(50)),
        subscriptions=tuple(
            SubscriptionHome(
                Destination("slack", f"C{n:05d}", TEAM), "09:00 Europe/Berlin, mon-fri", None, long
            )
            for n in range(5000)
        ),
        dashboard_url=dashboard_url,
    )


@pytest.mark.parametrize("dashboard_url", [None, "https://mlq.example"])
def test_any_amount_of_data_fits_a_home_view(dashboard_url: str | None) -> None:
    """slack_sdk's own checks pass (home_view builds through them) and so do Slack's view limits;
    each cut list says how many more there are, with the dashboard linked when it is served."""
    view = home_view(huge_summary(dashboard_url))
    assert view_problems(view) == []
    text = text_of(view)
    assert "more topics" in text and "more channels" in text
    assert ("<https://mlq.example|web dashboard>" in text) == (dashboard_url is not None)


async def test_the_fake_refuses_a_view_slack_would_refuse(slack_world: SlackWorld) -> None:
    """views.publish on the fake fails as Slack does for a view of 101 blocks."""
    blocks = [{"type": "divider"}] * (MAX_HOME_BLOCKS + 1)
    with pytest.raises(SlackApiError) as refused:
        await slack_world.adapter.client.views_publish(user_id=ALICE, view={"type": "home", "blocks": blocks})
    assert refused.value.response["error"] == "invalid_arguments"
