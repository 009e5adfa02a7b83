"""HTTP mode's front door: bodies bounded and verified on their raw bytes before anything parses them,
malformed requests refused with one warning, nothing of a request's body or our replies in the logs.

Everything goes through the real aiohttp server and Bolt app over loopback HTTP (a bare socket where
the test must control what is sent when), with the fake Slack Web API behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from adapters.slack import render as R
from adapters.slack.adapter import SlackAdapter
from adapters.slack.components import SHOW_ANSWER_ACTION, suggest_view
from adapters.slack.inbound import MAX_BODY_BYTES, RefusalLog
from bot.content.taxonomy import TOPICS
from bot.messages import AnswerCard, RatingPrompt, SuggestForm
from bot.seam import Destination
from bot.store import SqlStore
from bot.text import ECHO_LIMIT
from tests.support.slack_support import (
    SIGNING_SECRET,
    FakeSlack,
    action_payload,
    button_click,
    chunked,
    command,
    command_form,
    exchange,
    interact,
    raw_post,
    signed_headers,
    view_submission,
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MIB = 1024 * 1024


def _unsigned(body: str | bytes, content_type: str) -> dict[str, str]:
    return {"Content-Type": content_type}


def _signed(body: str | bytes, content_type: str) -> dict[str, str]:
    return {**signed_headers(body), "Content-Type": content_type}


def _payload(value: object) -> str:
    return urlencode({"payload": json.dumps(value)})


def _problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


# The body cap ---------------------------------------------------------------------------------------------


async def test_a_body_declared_too_large_is_refused_before_it_is_sent(slack_http: SlackAdapter) -> None:
    """Content-Length of 10 MiB with a fresh signature: 413 while only 1 KiB of it has been sent."""
    headers = {**signed_headers(b"x"), "Content-Type": FORM, "Content-Length": str(10 * MIB)}
    assert await raw_post(slack_http, headers, [b"a=1&" * 256]) == 413


async def test_a_chunked_body_is_refused_once_it_passes_the_cap(slack_http: SlackAdapter) -> None:
    """No Content-Length: the server reads up to the cap, then answers 413 without waiting for the rest."""
    headers = {**signed_headers(b"x"), "Content-Type": FORM, "Transfer-Encoding": "chunked"}
    assert await raw_post(slack_http, headers, chunked(b"a=1&" * (MAX_BODY_BYTES // 2))) == 413


async def test_expect_continue_is_answered_413_without_taking_the_body(
    slack_http: SlackAdapter, http_client: aiohttp.ClientSession
) -> None:
    """A client that asks first (`Expect: 100-continue`, as curl does) is told 413 up front."""
    body = b"a=1&" * (MAX_BODY_BYTES // 2)
    url = slack_http.address + slack_http.config.path
    async with http_client.post(url, data=body, headers=_signed(body, FORM), expect100=True) as response:
        assert response.status == 413


@pytest.mark.parametrize("content_encoding", ["gzip", "deflate"])
async def test_a_compressed_body_is_refused_unread(
    slack_http: SlackAdapter, http_client: aiohttp.ClientSession, content_encoding: str
) -> None:
    """Slack never compresses; a compressed body could inflate past the cap, so it is refused (415)."""
    body = command_form(FakeSlack(), "keras")
    headers = {**_signed(body, FORM), "Content-Encoding": content_encoding}
    assert (await exchange(http_client, slack_http, body, **headers))[0] == 415


def test_the_largest_payloads_slack_sends_fit_under_the_cap_with_room_to_spare() -> None:
    """A full suggestion form and a rating click on our longest message, at their worst escaping
    (every character an emoji: a 12-character JSON escape, then percent-encoded), fit twice over."""
    fake = FakeSlack()
    topics = SuggestForm(tuple((t.slug, t.label) for t in TOPICS), ("easy", "medium", "hard"))
    metadata = json.dumps({"channel": "C0123456789", "team": "T0123456789", "response_url": "x" * 90})
    form = view_submission(suggest_view(topics, metadata), question="😀" * 3000, answer="😀" * 3000)
    sections = tuple((f"Part {n}", "😀 " * 3000) for n in range(20))
    card = AnswerCard("q" * 60, "T" * 150, sections, rating=RatingPrompt("q" * 60, "post:2147483647"))
    messages = R.answer_messages(card)
    largest = max(messages, key=lambda m: len(json.dumps(m.blocks)))
    buttons = messages[-1].blocks[-2:]  # the rating prompt and its buttons
    click = button_click(fake, {"blocks": largest.blocks + buttons, "text": "x"}, "mlq_rate_nailed")
    for payload in (form, click):
        assert len(_payload(payload)) * 2 <= MAX_BODY_BYTES


async def test_a_full_suggestion_form_of_emoji_is_accepted(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """The largest form people can send goes through the cap and is handled (not refused)."""
    topics = SuggestForm(tuple((t.slug, t.label) for t in TOPICS), ("easy", "medium", "hard"))
    view = suggest_view(topics, json.dumps({"channel": "C0GENERAL"}))
    status, _ = await interact(
        http_client, slack_http, view_submission(view, question="😀" * 3000, answer="😀" * 3000)
    )
    assert status == 200


# Malformed requests: refused, one warning, no traceback -----------------------------------------------

DEEP = 100_000
MALFORMED = [
    pytest.param("payload=not-json", FORM, id="payload-not-json"),
    pytest.param(_payload([1, 2]), FORM, id="payload-a-list"),
    pytest.param(_payload("text"), FORM, id="payload-a-string"),
    pytest.param("payload=", FORM, id="payload-empty"),
    pytest.param("payload=" + "[" * DEEP + "]" * DEEP, FORM, id="payload-100k-deep"),
    pytest.param("[" * DEEP + "]" * DEEP, JSON, id="json-100k-deep"),
    pytest.param('{"a":' * 30_000 + "1" + "}" * 30_000, JSON, id="json-object-30k-deep"),
    pytest.param("[1]", JSON, id="json-a-list"),
    pytest.param("", FORM, id="empty-body"),
    pytest.param(b"payload=\xff\xfe\xfd", FORM, id="not-utf8"),
    pytest.param("a=1&" * 5_000, FORM, id="5k-form-fields"),
    pytest.param(_payload({"type": "block_actions", "user": 5, "actions": []}), FORM, id="user-a-number"),
    pytest.param(_payload({"type": "block_actions", "enterprise": [1]}), FORM, id="enterprise-a-list"),
    pytest.param(json.dumps({"type": "event_callback", "event": "x"}), JSON, id="event-a-string"),
    pytest.param("command=%2Fmlquestion&user_id=U0ALICE&text=keras", FORM, id="command-without-channel"),
]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
@pytest.mark.parametrize(
    ("headers", "status"), [(_signed, 400), (_unsigned, 401)], ids=["signed", "unsigned"]
)
async def test_a_malformed_request_is_refused_with_one_warning_and_no_traceback(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    http_client: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    body: str | bytes,
    content_type: str,
    headers: Callable[[str | bytes, str], dict[str, str]],
    status: int,
) -> None:
    """Signed: 400 (it verified, but is not a Slack payload); unsigned: 401. Never a 500."""
    caplog.set_level(logging.INFO)
    assert (await exchange(http_client, slack_http, body, **headers(body, content_type)))[0] == status
    await asyncio.sleep(0.2)  # a listener that acked would fail after the answer: let it
    (warning,) = _problems(caplog)
    assert warning.levelno == logging.WARNING and warning.name == "adapters.slack.inbound"
    assert f": {status}, " in warning.getMessage()
    assert fake_slack.responses == [] and fake_slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("timestamp", ["not-a-number", "1e9", "", "١٢٣", "9" * 400])
async def test_a_timestamp_that_is_not_a_number_is_refused_401(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    http_client: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    timestamp: str,
) -> None:
    """Even signed over that timestamp: 401 with one warning."""
    caplog.set_level(logging.INFO)
    body = command_form(fake_slack, "keras")
    headers = {**signed_headers(body, timestamp=timestamp), "X-Slack-Request-Timestamp": timestamp}
    assert (await exchange(http_client, slack_http, body, **headers))[0] == 401
    assert len(_problems(caplog)) == 1


async def test_the_signature_is_checked_before_the_body_is_parsed(
    slack_http: SlackAdapter, http_client: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """An unsigned body no parser could read gets 401 (a parser run first would have failed on it)."""
    caplog.set_level(logging.INFO)
    body = "payload=" + "[" * DEEP
    status, text = await exchange(
        http_client,
        slack_http,
        body,
        **{**signed_headers(body, secret="not-the-secret"), "Content-Type": FORM},
    )
    assert status == 401 and json.loads(text) == {"error": "invalid request"}
    assert "signature does not match" in _problems(caplog)[0].getMessage()


def test_a_flood_of_refusals_writes_a_bounded_number_of_lines(caplog: pytest.LogCaptureFixture) -> None:
    """20 lines a minute at most; the next line says how many went unlogged."""
    now = [0.0]
    refusals = RefusalLog(lines=20, window=60, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING):
        for _ in range(1000):
            refusals.refused(401, "signature does not match the body", "192.0.2.1")
        now[0] = 61.0
        refusals.refused(413, "body over the limit", "192.0.2.1")
    assert len(caplog.records) == 21
    assert "980 more refused" in caplog.records[-1].getMessage()


# Bolt sees the body we verified, parsed once ------------------------------------------------------------


async def test_a_command_from_a_channel_named_payload_is_answered(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """Bolt alone reads any form containing the word "payload" as an interaction and drops it."""
    reply = await command(http_client, slack_http, fake_slack, "keras", channel_name="payload-team")
    assert "Your question" in json.dumps(reply["blocks"])


async def test_the_events_url_check_and_the_ssl_check_are_answered(
    slack_http: SlackAdapter, http_client: aiohttp.ClientSession
) -> None:
    """What Slack sends when the request URL is set up: the challenge echoed back; ssl_check → 200."""
    challenge = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})
    status, text = await exchange(http_client, slack_http, challenge, **_signed(challenge, JSON))
    assert status == 200 and json.loads(text) == {"challenge": "c-123"}
    check = "ssl_check=1&token=x"
    assert (await exchange(http_client, slack_http, check, **_signed(check, FORM)))[0] == 200


async def test_a_show_answer_click_echoes_at_most_a_clipped_unknown_id(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """A (signed) click carrying a 2,000-character value gets a short refusal, not the value back."""
    payload = action_payload(fake_slack, SHOW_ANSWER_ACTION, "z" * 2000)
    status, _ = await interact(http_client, slack_http, payload)
    assert status == 200
    await fake_slack.wait_until(lambda: bool(fake_slack.responses))
    reply = json.dumps(fake_slack.responses[0])
    assert "no longer in the bank" in reply and "z" * (ECHO_LIMIT + 1) not in reply


# Logs: no request body, no reply text --------------------------------------------------------------------

MARKER = "do-not-log-7f3a"


async def test_neither_request_bodies_nor_replies_reach_the_log_even_at_debug(
    slack_http: SlackAdapter,
    fake_slack: FakeSlack,
    http_client: aiohttp.ClientSession,
    store: SqlStore,
    slack_channel: Destination,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refused body, a command's words and the card sent back appear in no log line."""
    caplog.set_level(logging.DEBUG)
    forged = command_form(fake_slack, f"keras {MARKER}")
    headers = {**signed_headers(forged, secret="not-the-secret"), "Content-Type": FORM}
    assert (await exchange(http_client, slack_http, forged, **headers))[0] == 401
    reply = await command(http_client, slack_http, fake_slack, f"keras {MARKER}")
    assert MARKER in json.dumps(reply)  # the core echoed the unknown word back to the user
    click = action_payload(fake_slack, SHOW_ANSWER_ACTION, "keras-easy")
    assert (await interact(http_client, slack_http, click))[0] == 200
    await fake_slack.wait_until(lambda: len(fake_slack.responses) == 2)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert MARKER not in logged and "Short answer of keras-easy" not in logged
    assert "refused a Slack request" in logged  # the refusal itself is logged, without the body


async def test_a_verified_request_is_still_answered_at_the_edge_of_the_clock_window(
    slack_http: SlackAdapter, fake_slack: FakeSlack, http_client: aiohttp.ClientSession
) -> None:
    """A timestamp 4 minutes old is fine; 6 minutes old is refused (Slack's 5-minute rule)."""
    for minutes, status in ((4, 200), (6, 401)):
        body = command_form(fake_slack, "keras")
        headers = signed_headers(body, timestamp=int(time.time()) - minutes * 60)
        assert (await exchange(http_client, slack_http, body, **headers))[0] == status


def test_the_test_secret_signs_what_the_adapter_verifies() -> None:
    """The helpers sign bytes exactly as slack-sdk verifies them (a sanity check for the tests above)."""
    body = "a=1&b=%E2%9C%93"
    headers = signed_headers(body)
    verifier = SignatureVerifier(SIGNING_SECRET)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
