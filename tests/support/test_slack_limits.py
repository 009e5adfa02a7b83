"""The fake Slack keeps Slack's stated rate limits when told to: 429, `ratelimited` and Retry-After
past each budget, per channel, per workspace and per method tier."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.slack_support import BOT_TOKEN, FakeSlack, StoppedClock


@pytest.fixture
async def client(limited_slack: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    """A bare slack-sdk client with no retry handlers: every 429 reaches the test."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=limited_slack.api_url, retry_handlers=[])
    yield client
    if client.session is not None:
        await client.session.close()


async def refusal(call: object) -> tuple[int, str, str]:
    """The status, error and Retry-After of a call the fake refuses."""
    with pytest.raises(SlackApiError) as refused:
        await call  # type: ignore[misc]
    response = refused.value.response
    return response.status_code, response["error"], response.headers.get("Retry-After", "")


async def test_a_channel_takes_a_short_burst_then_one_message_a_second(
    client: AsyncWebClient, limits_clock: StoppedClock
) -> None:
    """Three messages at once pass; the fourth gets 429 with Retry-After 1; a second later one more passes."""
    for n in range(3):
        await client.chat_postMessage(channel="C1", text=f"burst {n}")
    refused = await refusal(client.chat_postMessage(channel="C1", text="one too many"))
    assert refused == (429, "ratelimited", "1")
    limits_clock.advance(1)
    assert (await client.chat_postMessage(channel="C1", text="a second later"))["ok"]


async def test_other_channels_are_not_held_by_a_busy_one(client: AsyncWebClient) -> None:
    """A channel over its limit doesn't stop a post to another channel."""
    for n in range(3):
        await client.chat_postMessage(channel="C1", text=f"burst {n}")
    await refusal(client.chat_postMessage(channel="C1", text="one too many"))
    assert (await client.chat_postMessage(channel="C2", text="elsewhere"))["ok"]


async def test_a_workspace_takes_300_messages_a_minute_over_all_its_channels(
    client: AsyncWebClient, limited_slack: FakeSlack, limits_clock: StoppedClock
) -> None:
    """A burst of 30 channels passes, the 31st waits; 0.2 s (a 300th of a minute) later one more passes."""
    for n in range(30):
        await client.chat_postMessage(channel=f"C{n:03d}", text="hello")
    assert (await refusal(client.chat_postMessage(channel="C999", text="hello")))[0] == 429
    limits_clock.advance(0.2)
    assert (await client.chat_postMessage(channel="C999", text="hello"))["ok"]
    assert limited_slack.limits is not None and limited_slack.limits.refused["chat.postMessage"] == 1


async def test_each_workspace_has_its_own_budget(client: AsyncWebClient, limited_slack: FakeSlack) -> None:
    """A workspace over its limit doesn't stop another workspace's posts."""
    limited_slack.channel_teams.update({"C0OTHER": "T0OTHER"})
    for n in range(30):
        await client.chat_postMessage(channel=f"C{n:03d}", text="hello")
    await refusal(client.chat_postMessage(channel="C999", text="hello"))
    assert (await client.chat_postMessage(channel="C0OTHER", text="hello"))["ok"]


async def test_a_calls_workspace_is_its_tokens_before_its_channels(
    limited_slack: FakeSlack, client: AsyncWebClient
) -> None:
    """With a token of its own workspace, a call counts there, whatever team its channel was given
    (a client without a session opens one per call: nothing to close)."""
    limited_slack.channel_teams.update({f"C{n:03d}": "T0OTHER" for n in range(31)})
    for n in range(30):
        await client.chat_postMessage(channel=f"C{n:03d}", text="hello")
    other = AsyncWebClient(token="xoxb-another-team", base_url=limited_slack.api_url, retry_handlers=[])
    limited_slack.token_teams["xoxb-another-team"] = "T0THIRD"
    assert (await other.chat_postMessage(channel="C030", text="hello"))["ok"]


@pytest.mark.parametrize(
    ("method", "arguments", "burst"),
    [
        ("chat_update", {"channel": "C1", "ts": "1.000001", "text": "edited"}, 5),  # Tier 3
        ("conversations_info", {"channel": "C1"}, 5),  # Tier 3
        ("users_info", {"user": "U1"}, 10),  # Tier 4
    ],
)
async def test_tier_methods_take_their_burst_then_429(
    client: AsyncWebClient, method: str, arguments: dict[str, str], burst: int
) -> None:
    """Tier 3 allows a burst of 5 (50 a minute), Tier 4 a burst of 10 (100 a minute), per workspace."""
    for _ in range(burst):
        await getattr(client, method)(**arguments)
    status, error, retry_after = await refusal(getattr(client, method)(**arguments))
    assert (status, error, int(retry_after) >= 1) == (429, "ratelimited", True)


@pytest.mark.parametrize("method", ["conversations_history", "conversations_replies"])
async def test_history_reads_are_one_a_minute(
    client: AsyncWebClient, limits_clock: StoppedClock, method: str
) -> None:
    """Outside the Marketplace: a second read within the minute waits the rest of it (Retry-After 60)."""
    await getattr(client, method)(channel="C1", ts="1.000001")
    assert await refusal(getattr(client, method)(channel="C1", ts="1.000001")) == (429, "ratelimited", "60")
    limits_clock.advance(60)
    assert (await getattr(client, method)(channel="C1", ts="1.000001"))["ok"]


async def test_a_history_page_holds_at_most_15_messages(
    client: AsyncWebClient, limits_clock: StoppedClock
) -> None:
    """Asked for 200 messages, the history answers the newest 15 and says there are more."""
    for n in range(20):
        limits_clock.advance(1)
        await client.chat_postMessage(channel="C1", text=f"message {n}")
    history = await client.conversations_history(channel="C1", limit=200)
    assert [m["text"] for m in history["messages"]] == [f"message {n}" for n in range(19, 4, -1)]
    assert history["has_more"] is True
